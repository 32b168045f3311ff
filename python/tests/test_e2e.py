"""Every PPQ end-to-end case baked through the package, byte for byte as
`qbake bake --server` bakes it: from files (with the model's tensors inline, and
stored as ONNX external data), and from memory."""

import json
import pathlib

import onnx
import pytest

import qbake
from conftest import E2E_CASES, E2E_DIR, Server, run_cli


def cli_bake(cli: str, server: Server, model: pathlib.Path, config: pathlib.Path,
             output: pathlib.Path) -> None:
    run_cli(cli, "bake", str(model), "--config", str(config), "--output", str(output),
            "--report", str(output.with_name("report.json")), "--server", server.target)


def files_of(folder: pathlib.Path) -> dict:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def with_external_data(case: str, folder: pathlib.Path) -> pathlib.Path:
    """The case's model saved with every tensor of 1 KiB or more in model.onnx.data."""
    folder.mkdir()
    model = onnx.load(str(E2E_DIR / case / "model.onnx"))
    path = folder / "model.onnx"
    onnx.save_model(model, str(path), save_as_external_data=True, location="model.onnx.data",
                    size_threshold=1024)
    return path


def assert_reports_agree(python_report: pathlib.Path, cli_report: pathlib.Path) -> None:
    """The same document but the timings, which differ from run to run."""
    ours, theirs = json.loads(python_report.read_text()), json.loads(cli_report.read_text())
    assert list(ours) == list(theirs) == ["counts", "parameters", "timings"]
    assert sorted(ours["timings"]) == sorted(theirs["timings"]) == ["bake_s", "read_s",
                                                                   "write_s"]
    del ours["timings"], theirs["timings"]
    assert ours == theirs


@pytest.mark.parametrize("case", E2E_CASES)
def test_bake_files_equals_cli(case: str, server: Server, cli_binary: str,
                               tmp_path: pathlib.Path) -> None:
    model, config = E2E_DIR / case / "model.onnx", E2E_DIR / case / "ppq_config.json"
    cli_bake(cli_binary, server, model, config, tmp_path / "cli" / "model.onnx")
    with qbake.Client(server.target) as client:
        summary = client.bake_files(model, config, tmp_path / "py" / "model.onnx",
                                    report=tmp_path / "py" / "report.json")
    assert summary.baked + summary.passive_baked == len(summary.parameters) > 0
    python_files, cli_files = files_of(tmp_path / "py"), files_of(tmp_path / "cli")
    assert sorted(python_files) == ["model.json", "model.onnx", "report.json"]
    assert python_files["model.onnx"] == cli_files["model.onnx"]
    assert python_files["model.json"] == cli_files["model.json"]
    assert python_files["model.onnx"] != model.read_bytes()
    assert_reports_agree(tmp_path / "py" / "report.json", tmp_path / "cli" / "report.json")


@pytest.mark.parametrize("case", E2E_CASES)
def test_bake_files_with_external_data_equals_cli(case: str, server: Server, cli_binary: str,
                                                  tmp_path: pathlib.Path) -> None:
    model = with_external_data(case, tmp_path / "in")
    config = E2E_DIR / case / "ppq_config.json"
    cli_bake(cli_binary, server, model, config, tmp_path / "cli" / "model.onnx")
    with qbake.Client(server.target) as client:
        client.bake_files(model, config, tmp_path / "py" / "model.onnx",
                          config_out=tmp_path / "py" / "model.json")
    python_files, cli_files = files_of(tmp_path / "py"), files_of(tmp_path / "cli")
    assert sorted(python_files) == ["model.json", "model.onnx", "model.onnx.data"]
    for name in python_files:
        assert python_files[name] == cli_files[name], name
    assert python_files["model.onnx.data"] != (model.parent / "model.onnx.data").read_bytes()


@pytest.mark.parametrize("case", E2E_CASES)
def test_bake_in_memory_equals_cli(case: str, server: Server, cli_binary: str,
                                   tmp_path: pathlib.Path) -> None:
    model, config = E2E_DIR / case / "model.onnx", E2E_DIR / case / "ppq_config.json"
    cli_bake(cli_binary, server, model, config, tmp_path / "cli" / "model.onnx")
    document = json.loads(config.read_text())
    with qbake.Client(server.target) as client:
        from_bytes = client.bake(model.read_bytes(), document)
        from_proto = client.bake(onnx.load(str(model)), config.read_text())
    assert from_bytes.model == (tmp_path / "cli" / "model.onnx").read_bytes()
    assert from_bytes.config == json.loads((tmp_path / "cli" / "model.json").read_text())
    assert from_proto.model == from_bytes.model
    assert from_proto.config == from_bytes.config
    assert from_proto.summary.parameters == from_bytes.summary.parameters
    states = json.loads((E2E_DIR / case / "states.json").read_text())
    for variable, state in states.items():
        assert from_bytes.config["configs"][state["operation"]][variable]["state"] == state["after"]
