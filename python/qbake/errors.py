"""The errors a bake raises: BakeError, and RetryableError for those a later attempt may
mend, with what the server's status details say (google.rpc.Status in the
grpc-status-details-bin trailer: ErrorInfo, BadRequest, RetryInfo)."""

from typing import Dict, Optional, Sequence, Tuple

import grpc
from google.protobuf.message import DecodeError

from qbake import _schemas

STATUS_DETAILS_KEY = "grpc-status-details-bin"
_TYPE_URL_PREFIX = "type.googleapis.com/"

# The reason of a status that carries no ErrorInfo, by its code.
_REASON_BY_CODE = {
    grpc.StatusCode.INVALID_ARGUMENT: "REQUEST_INVALID",
    grpc.StatusCode.UNAUTHENTICATED: "UNAUTHENTICATED",
    grpc.StatusCode.PERMISSION_DENIED: "UNAUTHENTICATED",
    grpc.StatusCode.DEADLINE_EXCEEDED: "DEADLINE_EXCEEDED",
    grpc.StatusCode.CANCELLED: "CANCELLED",
    grpc.StatusCode.INTERNAL: "INTERNAL",
}


class BakeError(Exception):
    """A bake, or another call to the server, failed.

    Attributes:
        code: the gRPC status code.
        reason: the server's stable reason (google.rpc.ErrorInfo.reason), such as
            CONFIG_INVALID, MODEL_INVALID, MODEL_TOO_LARGE, SERVER_BUSY, DRAINING or
            UNAUTHENTICATED; without one, derived from the code (INVALID_ARGUMENT:
            REQUEST_INVALID; codes that tell nothing more, such as UNAVAILABLE: the
            code's name).
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
        self.reason = reason or _reason_from_code(code, retry_delay)
        self.operation = operation
        self.variable = variable
        self.field = field
        self.retry_delay = retry_delay

    def __str__(self) -> str:
        return "%s (%s): %s" % (self.reason, self.code.name, self.message)


class RetryableError(BakeError):
    """A BakeError a later attempt may mend (the server was unreachable, busy or lost
    mid-bake), raised once the client's retries or its deadline are spent."""


def _reason_from_code(code: grpc.StatusCode, retry_delay: Optional[float]) -> str:
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED and retry_delay is not None:
        return "SERVER_BUSY"
    return _REASON_BY_CODE.get(code, code.name)


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
    bad_request = found.get("google.rpc.BadRequest")
    retry = found.get("google.rpc.RetryInfo")
    retry_delay = (retry.retry_delay.seconds + retry.retry_delay.nanos / 1e9
                   if retry is not None else None)
    names = _named_config(info, bad_request)
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
             "google.rpc.BadRequest": _schemas.BadRequest,
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


def _named_config(info: object, bad_request: object
                  ) -> Tuple[Optional[str], Optional[str], Optional[str]]:
    """(operation, variable, field): from ErrorInfo's metadata, else from the first
    BadRequest field violation's JSON pointer /configs/<operation>/<variable>/<field>."""
    if info is not None:
        metadata = info.metadata  # type: ignore[attr-defined]
        if any(key in metadata for key in ("operation", "variable", "field")):
            return (metadata.get("operation"), metadata.get("variable"), metadata.get("field"))
    violations = (bad_request.field_violations  # type: ignore[attr-defined]
                  if bad_request is not None else ())
    for violation in violations:
        names = _config_pointer(violation.field)
        if names is not None:
            return names
    return (None, None, None)


def _config_pointer(pointer: str) -> Optional[Tuple[Optional[str], Optional[str], Optional[str]]]:
    """The names of an RFC 6901 pointer /configs/<operation>[/<variable>[/<field>]]."""
    tokens: Sequence[str] = [token.replace("~1", "/").replace("~0", "~")
                             for token in pointer.split("/")[1:]]
    if len(tokens) < 2 or tokens[0] != "configs":
        return None
    variable = tokens[2] if len(tokens) > 2 else None
    field = "/".join(tokens[3:]) if len(tokens) > 3 else None
    return (tokens[1], variable, field)
