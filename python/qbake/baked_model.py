"""Baked values written into a parsed ONNX model, each tensor keeping its storage form
(raw_data, float_data, or int32_data for FLOAT16 and BFLOAT16), as the C++ client
does (client/baked_tensor_assembly.h): for the models whose parameters are not all
rewritten in place, and for in-memory bakes."""

import array
import sys
from typing import Mapping, Union

from qbake import _schemas
from qbake.errors import malformed_reply
from qbake.model_layout import parameter_tensors

_FLOAT = 1  # onnx.TensorProto.DataType


def write_baked(model: "_schemas.ModelProto", baked: Mapping[str, Union[bytes, bytearray]]
                ) -> None:
    """Writes each baked tensor's raw little-endian bytes into its parameter."""
    parameters = parameter_tensors(model.graph)
    for name, data in baked.items():
        if name not in parameters:
            raise malformed_reply("'%s' is no parameter of the model" % name)
        _write_tensor(parameters[name][1], bytes(data))


def _write_tensor(tensor: "_schemas.TensorProto", data: bytes) -> None:
    if tensor.HasField("raw_data"):
        if len(tensor.raw_data) != len(data):
            raise malformed_reply("'%s' has %d bytes, not %d"
                                  % (tensor.name, len(tensor.raw_data), len(data)))
        tensor.raw_data = data
        return
    is_float = tensor.data_type == _FLOAT
    values = array.array("f" if is_float else "H", data)
    if sys.byteorder != "little":
        values.byteswap()
    stored = tensor.float_data if is_float else tensor.int32_data
    if len(stored) != len(values):
        raise malformed_reply("'%s' stores %d values, not %d" % (tensor.name, len(stored),
                                                                 len(values)))
    del stored[:]
    stored.extend(values)
