"""BakeError read from google.rpc.Status details built here, as the server sends them
in the grpc-status-details-bin trailer, and from statuses without them."""

import grpc

import qbake
from qbake import _schemas
from qbake.errors import error_from_status


def status_with(code: grpc.StatusCode, *details: object) -> bytes:
    status = _schemas.Status(code=code.value[0], message="refused")
    for detail in details:
        status.details.add(type_url="type.googleapis.com/" + detail.DESCRIPTOR.full_name,
                           value=detail.SerializeToString())
    return status.SerializeToString()


def test_error_info_names_the_config() -> None:
    info = _schemas.ErrorInfo(reason="CONFIG_INVALID", domain="qbake.dev",
                              metadata={"operation": "/c1/Conv", "variable": "w",
                                        "field": "bit_width"})
    error = error_from_status(grpc.StatusCode.INVALID_ARGUMENT, "refused",
                              status_with(grpc.StatusCode.INVALID_ARGUMENT, info))
    assert type(error) is qbake.BakeError
    assert (error.reason, error.operation, error.variable, error.field) == (
        "CONFIG_INVALID", "/c1/Conv", "w", "bit_width")
    assert error.message == "refused"


def test_bad_request_alone_names_no_config() -> None:
    bad_request = _schemas.BadRequest()
    bad_request.field_violations.add(field="/configs/c1/w/bit_width", description="bad")
    details = status_with(grpc.StatusCode.INVALID_ARGUMENT,
                          _schemas.ErrorInfo(reason="CONFIG_INVALID"), bad_request)
    error = error_from_status(grpc.StatusCode.INVALID_ARGUMENT, "refused", details)
    assert (error.reason, error.operation, error.variable, error.field) == (
        "CONFIG_INVALID", None, None, None)


def test_retry_info_makes_it_retryable() -> None:
    retry = _schemas.RetryInfo()
    retry.retry_delay.FromMilliseconds(1500)
    error = error_from_status(grpc.StatusCode.RESOURCE_EXHAUSTED, "busy",
                              status_with(grpc.StatusCode.RESOURCE_EXHAUSTED,
                                          _schemas.ErrorInfo(reason="SERVER_BUSY"), retry))
    assert isinstance(error, qbake.RetryableError)
    assert error.retry_delay == 1.5
    assert error.reason == "SERVER_BUSY"


def test_without_details_the_reason_comes_from_the_code() -> None:
    too_large = error_from_status(grpc.StatusCode.RESOURCE_EXHAUSTED, "too large", None)
    assert type(too_large) is qbake.BakeError and too_large.reason == "RESOURCE_EXHAUSTED"
    unsupported = error_from_status(grpc.StatusCode.FAILED_PRECONDITION, "opset", None)
    assert unsupported.reason == "MODEL_UNSUPPORTED"
    denied = error_from_status(grpc.StatusCode.PERMISSION_DENIED, "no", None)
    assert denied.reason == "INTERNAL"
    invalid = error_from_status(grpc.StatusCode.INVALID_ARGUMENT, "bad", None)
    assert (invalid.reason, invalid.operation, invalid.variable, invalid.field) == (
        "REQUEST_INVALID", None, None, None)
    lost = error_from_status(grpc.StatusCode.UNAVAILABLE, "connection reset", None)
    assert isinstance(lost, qbake.RetryableError) and lost.reason == "UNAVAILABLE"
    handshake = error_from_status(grpc.StatusCode.UNAVAILABLE, "SSL handshake failed", None)
    assert type(handshake) is qbake.BakeError


def test_details_that_do_not_parse_are_ignored() -> None:
    error = error_from_status(grpc.StatusCode.INTERNAL, "bug", b"\xff\xff\xff")
    assert (error.reason, error.operation, error.retry_delay) == ("INTERNAL", None, None)
