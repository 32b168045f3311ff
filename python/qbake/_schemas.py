"""Messages of schemas qbake reads but does not own: google.rpc's error details, gRPC's
health service and ONNX's ModelProto.

They live in a descriptor pool of their own, built from _schemas.binpb (which
python/install generates from proto/ and Debian's onnx.proto), so that loading the onnx
package, grpcio-status or grpcio-health-checking in the same process never clashes with
them: the wire format depends only on field numbers.
"""

import pathlib
from typing import Any, Type

from google.protobuf import descriptor_pb2, descriptor_pool, message, message_factory

_DESCRIPTOR_SET = pathlib.Path(__file__).with_name("_schemas.binpb")


def _load_pool() -> descriptor_pool.DescriptorPool:
    files = descriptor_pb2.FileDescriptorSet.FromString(_DESCRIPTOR_SET.read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:
        pool.Add(file)
    return pool


_POOL = _load_pool()
_FACTORY = message_factory.MessageFactory(_POOL)


def _message_class(full_name: str) -> Type[message.Message]:
    return _FACTORY.GetPrototype(_POOL.FindMessageTypeByName(full_name))


Status: Any = _message_class("google.rpc.Status")
ErrorInfo: Any = _message_class("google.rpc.ErrorInfo")
BadRequest: Any = _message_class("google.rpc.BadRequest")
RetryInfo: Any = _message_class("google.rpc.RetryInfo")
HealthCheckRequest: Any = _message_class("grpc.health.v1.HealthCheckRequest")
HealthCheckResponse: Any = _message_class("grpc.health.v1.HealthCheckResponse")
ModelProto: Any = _message_class("onnx.ModelProto")
TensorProto: Any = _message_class("onnx.TensorProto")


def data_type_name(data_type: int) -> str:
    """onnx.TensorProto.DataType's name, as the CLI's report spells it."""
    newer = {17: "FLOAT8E4M3FN", 19: "FLOAT8E5M2"}  # newer than Debian's ONNX 1.12
    if data_type in newer:
        return newer[data_type]
    value = _POOL.FindEnumTypeByName("onnx.TensorProto.DataType").values_by_number.get(data_type)
    return value.name if value is not None else str(data_type)
