"""The errors a bake raises: BakeError, and RetryableError for those a later attempt may
mend, with what the server's status details say (google.rpc.Status in the
grpc-status-details-bin trailer: ErrorInfo and RetryInfo; its BadRequest repeats
ErrorInfo's names as a JSON pointer, for generic clients)."""

from typing import Dict, Optional, Tuple

import grpc
from google.protobuf.message import DecodeError

from qbake import _schemas

STATUS_DETAILS_KEY = "grpc-status-details-bin"
_TYPE_URL_PREFIX = "type.googleapis.com/"

# The reason of a status that carries no ErrorInfo (one gRPC itself gave), by its code:
# the C++ client's (core/error_detail.h ErrorReason); INTERNAL for the others.
_REASON_BY_CODE = {
    grpc.StatusCode.INVALID_ARGUMENT: "REQUEST_INVALID",
    grpc.StatusCode.FAILED_PRECONDITION: "MODEL_UNSUPPORTED",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "RESOURCE_EXHAUSTED",
    grpc.StatusCode.UNAVAILABLE: "UNAVAILABLE",
    grpc.StatusCode.DEADLINE_EXCEEDED: "DEADLINE_EXCEEDED",
    grpc.StatusCode.CANCELLED: "CANCELLED",
    grpc.StatusCode.UNAUTHENTICATED: "UNAUTHENTICATED",
}


class BakeError(Exception):
    """A bake, or another call to the server, failed.

    Attributes:
        code: the gRPC status code.
        reason: the server's stable reason (google.rpc.ErrorInfo.reason), such as
            CONFIG_INVALID, MODEL_INVALID, MODEL_TOO_LARGE, SERVER_BUSY, DRAINING or
            UNAUTHENTICATED; for a status gRPC gave itself, derived from the code as the
            C++ client does (INVALID_ARGUMENT: REQUEST_INVALID, FAILED_PRECONDITION:
            MODEL_UNSUPPORTED; RESOURCE_EXHAUSTED, UNAVAILABLE, DEADLINE_EXCEEDED,
            CANCELLED, UNAUTHENTICATED: the code's name; otherwise INTERNAL).
        operation, variable, field: the config the error names (its operation, the
            variable, and the field of PPQ's config document), or None.
        message: the status message, word for word as the qbake CLI prints it.
        retry_delay: the server's hint (google.rpc.RetryInfo), in seconds, or None.
    """

    def __init__(self, code: grpc.StatusCode, message: str, *, reason: Optional[str] = None,
                 operation: Optional[str] = None, variable: Optional[str] = None,
                 field: Optional[str] = None, retry_delay: Optional[float] = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or _REASON_BY_CODE.get(code, "INTERNAL")
        self.operation = operation
        self.variable = variable
        self.field = field
        self.retry_delay = retry_delay

    def __str__(self) -> str:
        return "%s (%s): %s" % (self.reason, self.code.name, self.message)


class RetryableError(BakeError):
    """A BakeError a later attempt may mend (the server was unreachable, busy or lost
    mid-bake), raised once the client's retries or its deadline are spent."""


def malformed_reply(message: str) -> BakeError:
    """The error for a reply no correct server sends."""
    return BakeError(grpc.StatusCode.INTERNAL, "malformed reply from the server: " + message,
                     reason="INTERNAL")


def is_retryable(code: grpc.StatusCode, message: str, retry_delay: Optional[float]) -> bool:
    """As the C++ client (client/retry_policy.h): UNAVAILABLE but a failed TLS handshake,
    CANCELLED (by a proxy that lost its replica), RESOURCE_EXHAUSTED with a retry hint."""
    if code == grpc.StatusCode.UNAVAILABLE:
        return "handshake" not in message.lower()
    if code == grpc.StatusCode.CANCELLED:
        return True
    return code == grpc.StatusCode.RESOURCE_EXHAUSTED and retry_delay is not None


def error_from_status(code: grpc.StatusCode, message: str,
                      details: Optional[bytes]) -> BakeError:
    """The BakeError (or RetryableError) for a status and its serialized google.rpc.Status
    details, if any. Details that do not parse are ignored."""
    found = _read_details(details) if details else {}
    info = found.get("google.rpc.ErrorInfo")
    retry = found.get("google.rpc.RetryInfo")
    retry_delay = (retry.retry_delay.seconds + retry.retry_delay.nanos / 1e9
                   if retry is not None else None)
    names = _named_config(info)
    error_class = RetryableError if is_retryable(code, message, retry_delay) else BakeError
    return error_class(code, message, reason=info.reason if info is not None else None,
                       operation=names[0], variable=names[1], field=names[2],
                       retry_delay=retry_delay)


def error_from_rpc(error: grpc.RpcError) -> BakeError:
    """The BakeError for a failed call (a grpc.RpcError that is a grpc.Call)."""
    code = error.code()  # type: ignore[attr-defined]
    message = error.details() or ""  # type: ignore[attr-defined]
    trailers = error.trailing_metadata() or ()  # type: ignore[attr-defined]
    details = next((value for key, value in trailers if key == STATUS_DETAILS_KEY), None)
    return error_from_status(code, message, details)


def _read_details(serialized: bytes) -> Dict[str, object]:
    """The details of a serialized google.rpc.Status that qbake knows, by full name."""
    known = {"google.rpc.ErrorInfo": _schemas.ErrorInfo,
             "google.rpc.RetryInfo": _schemas.RetryInfo}
    found: Dict[str, object] = {}
    try:
        status = _schemas.Status.FromString(serialized)
        for detail in status.details:
            name = detail.type_url[len(_TYPE_URL_PREFIX):]
            if detail.type_url.startswith(_TYPE_URL_PREFIX) and name in known:
                found[name] = known[name].FromString(detail.value)
    except DecodeError:  # the details are not what they claim: use none
        return {}
    return found


def _named_config(info: object) -> Tuple[Optional[str], Optional[str], Optional[str]]:
    """(operation, variable, field) from ErrorInfo's metadata; the server sends them
    there whenever its BadRequest names a config."""
    metadata = info.metadata if info is not None else {}  # type: ignore[attr-defined]
    return (metadata.get("operation"), metadata.get("variable"), metadata.get("field"))
