"""The server's machine-readable error details (google.rpc.ErrorInfo, BadRequest) as
BakeError reads them. They need a qbake-server that attaches them to every non-OK
status (issue 16, part 2)."""

import pathlib

import grpc
import pytest

import qbake
from conftest import Server
from test_errors import CASE, bad_bit_width_config


def test_config_invalid_names_operation_variable_field(server: Server,
                                                       tmp_path: pathlib.Path) -> None:
    with qbake.Client(server.target) as client:
        with pytest.raises(qbake.BakeError) as raised:
            client.bake_files(CASE / "model.onnx", bad_bit_width_config(tmp_path),
                              tmp_path / "out" / "model.onnx")
    error = raised.value
    assert (error.reason, error.operation, error.variable, error.field) == (
        "CONFIG_INVALID", "/c1/Conv", "onnx::Conv_32", "bit_width")


def test_model_invalid(server: Server) -> None:
    with qbake.Client(server.target) as client:
        with pytest.raises(qbake.BakeError) as raised:
            client.bake(b"not a model", (CASE / "ppq_config.json").read_text())
    assert raised.value.reason == "MODEL_INVALID"


def test_model_too_large(start_server) -> None:
    server = start_server("--max-model-bytes", "64K")
    with qbake.Client(server.target) as client:
        with pytest.raises(qbake.BakeError) as raised:
            client.bake((CASE / "model.onnx").read_bytes(), (CASE / "ppq_config.json").read_text())
    assert raised.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert raised.value.reason == "MODEL_TOO_LARGE"
