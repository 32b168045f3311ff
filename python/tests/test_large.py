"""A model over 1 GiB, its weight stored as ONNX external data, through bake_files: the
outputs are `qbake bake --server`'s byte for byte, and the client's peak memory stays
far below the model's size."""

import filecmp
import json
import pathlib
import subprocess
import sys

import numpy
import onnx
import pytest
from onnx import TensorProto, helper

from conftest import Server, run_cli

ROWS, COLUMNS = 16400, 16384  # float32: 1,074,790,400 bytes, just over 1 GiB
PEAK_RSS_LIMIT = 200 << 20

BAKE_AND_MEASURE = """
import resource, sys, time
import qbake
started = time.monotonic()
with qbake.Client(sys.argv[1]) as client:
    summary = client.bake_files(sys.argv[2], sys.argv[3], sys.argv[4])
print(summary.bytes, time.monotonic() - started,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def write_large_model(folder: pathlib.Path) -> pathlib.Path:
    """model.onnx: Y = X x W, W's bytes in weight.bin, written a block of rows at a time."""
    folder.mkdir()
    rows_per_block = 64
    block = numpy.random.default_rng(16).uniform(-1, 1, (rows_per_block, COLUMNS))
    with open(folder / "weight.bin", "wb") as data:
        for _ in range(ROWS // rows_per_block):
            data.write(block.astype("<f4").tobytes())
        data.write(block[:ROWS % rows_per_block].astype("<f4").tobytes())
    weight = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[ROWS, COLUMNS])
    weight.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "weight.bin"), ("offset", "0"),
                       ("length", str(ROWS * COLUMNS * 4))):
        weight.external_data.add(key=key, value=value)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["X", "W"], ["Y"], name="MatMul_0")], "large",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, ROWS])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, COLUMNS])], [weight])
    onnx.save_model(helper.make_model(graph), str(folder / "model.onnx"))
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


@pytest.mark.large
def test_over_one_gibibyte_in_little_memory(start_server, cli_binary: str,
                                            tmp_path: pathlib.Path) -> None:
    server: Server = start_server()
    model = write_large_model(tmp_path / "in")
    config = write_config(tmp_path / "config.json")
    measured = subprocess.run(
        [sys.executable, "-c", BAKE_AND_MEASURE, server.target, str(model), str(config),
         str(tmp_path / "py" / "model.onnx")], capture_output=True, text=True, check=True)
    baked_bytes, seconds, peak_rss = measured.stdout.split()
    print("1 GiB bake_files: %.1f s, peak RSS %.1f MiB" % (float(seconds),
                                                            int(peak_rss) / (1 << 20)))
    assert int(baked_bytes) == ROWS * COLUMNS * 4
    assert int(peak_rss) < PEAK_RSS_LIMIT
    run_cli(cli_binary, "bake", str(model), "--config", str(config), "--output",
            str(tmp_path / "cli" / "model.onnx"), "--server", server.target)
    for name in ("model.onnx", "weight.bin", "model.json"):
        assert filecmp.cmp(tmp_path / "py" / name, tmp_path / "cli" / name, shallow=False), name
    assert not filecmp.cmp(tmp_path / "py" / "weight.bin", model.parent / "weight.bin",
                           shallow=False)
