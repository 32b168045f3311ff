"""A model with one large weight stored as ONNX external data, and PPQ's document for it:
what the large-model and lost-replica tests bake."""

import json
import pathlib

import numpy
from onnx import TensorProto, helper, save_model

COLUMNS = 16384  # a row of W: 64 KiB of float32


def write_weight_model(folder: pathlib.Path, rows: int) -> pathlib.Path:
    """model.onnx: Y = X x W, W's `rows` x COLUMNS float32 in weight.bin, written a block
    of rows at a time."""
    folder.mkdir()
    rows_per_block = 64
    block = numpy.random.default_rng(16).uniform(-1, 1, (rows_per_block, COLUMNS))
    with open(folder / "weight.bin", "wb") as data:
        for _ in range(rows // rows_per_block):
            data.write(block.astype("<f4").tobytes())
        data.write(block[:rows % rows_per_block].astype("<f4").tobytes())
    weight = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[rows, COLUMNS])
    weight.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "weight.bin"), ("offset", "0"),
                       ("length", str(rows * COLUMNS * 4))):
        weight.external_data.add(key=key, value=value)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["X", "W"], ["Y"], name="MatMul_0")], "weight",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, rows])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, COLUMNS])], [weight])
    save_model(helper.make_model(graph), str(folder / "model.onnx"))
    return folder / "model.onnx"


def write_config(path: pathlib.Path) -> pathlib.Path:
    """PPQ's document: W per tensor, INT8, symmetrical, scale 1/127, ACTIVATED."""
    policy = {"PER_TENSOR": True, "PER_CHANNEL": False, "LINEAR": True, "FLOATING": False,
              "SYMMETRICAL": True, "ASYMMETRICAL": False, "POWER_OF_2": False, "DYNAMIC": False}
    config = {"bit_width": 8, "policy": policy, "state": "ACTIVATED", "quant_min": -128,
              "quant_max": 127, "hash": 1, "dominator": 1}
    path.write_text(json.dumps({"configs": {"MatMul_0": {"W": config}},
                                "dispatchings": {"MatMul_0": "TRT_INT8"},
                                "values": {"1": {"scale": 1 / 127, "zero_point": 0.0}}},
                               indent=4))
    return path
