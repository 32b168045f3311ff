"""A model over 1 GiB, its weight stored as ONNX external data, through bake_files: the
outputs are `qbake bake --server`'s byte for byte, and the client's peak memory stays
far below the model's size."""

import filecmp
import pathlib
import subprocess
import sys

import pytest

from conftest import Server, run_cli
from weight_model import COLUMNS, write_config, write_weight_model

ROWS = 16400  # W in float32: 1,074,790,400 bytes, just over 1 GiB
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


@pytest.mark.large
def test_over_one_gibibyte_in_little_memory(start_server, cli_binary: str,
                                            tmp_path: pathlib.Path) -> None:
    server: Server = start_server()
    model = write_weight_model(tmp_path / "in", ROWS)
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
