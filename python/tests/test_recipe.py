"""The PPQ recipe's last step (docs/PPQ.md): examples/compare_with_ppq.py bakes each
PPQ case on the server and finds every parameter equal to PPQ's own bake, and it
does tell one flipped bit."""

import os
import pathlib
import runpy
import subprocess
import sys

import onnx
import pytest

from conftest import E2E_CASES, E2E_DIR, Server

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "compare_with_ppq.py"


@pytest.mark.parametrize("case", E2E_CASES)
def test_every_parameter_equals_ppqs_bake(case: str, server: Server,
                                          tmp_path: pathlib.Path) -> None:
    run = subprocess.run([sys.executable, str(EXAMPLE), str(E2E_DIR / case), "--server",
                          server.target, "--output", str(tmp_path)],
                         capture_output=True, text=True, env=dict(os.environ))
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.rstrip().endswith("parameters compared, 0 differ from PPQ's")
    assert (tmp_path / "model.onnx").is_file() and (tmp_path / "ppq_config.json").is_file()


def test_a_flipped_bit_is_a_difference() -> None:
    differences = runpy.run_path(str(EXAMPLE))["differences"]
    expected = onnx.load(str(E2E_DIR / "synth_trt_int8" / "expected_baked.onnx"))
    baked = onnx.ModelProto()
    baked.CopyFrom(expected)
    assert differences(baked, expected) == {}
    tensor = next(t for t in baked.graph.initializer if t.raw_data)
    flipped = bytearray(tensor.raw_data)
    flipped[0] ^= 0x01
    tensor.raw_data = bytes(flipped)
    assert differences(baked, expected) == {tensor.name: 1}
