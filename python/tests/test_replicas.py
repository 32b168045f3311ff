"""A replica lost in the middle of a bake: the client's call breaks while the baked
tensors stream back, it tries again on the other replica behind its target, and the
files it writes are those of a bake that nothing interrupted, byte for byte, with no
temporary left beside them."""

import filecmp
import pathlib
import urllib.request
from typing import List

import grpc
import pytest

import qbake
from conftest import Server, run_cli
from qbake.reply import TensorAssembly
from qbake.v1 import bake_pb2
from weight_model import COLUMNS, write_config, write_weight_model

ROWS = 1024  # W: 64 MiB, far more than the HTTP/2 flow-control window holds


def calls_in_flight(server: Server) -> float:
    """The server's qbake_calls_in_flight gauge."""
    with urllib.request.urlopen(server.metrics_url, timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("qbake_calls_in_flight "):
                return float(line.split()[1])
    raise AssertionError("no qbake_calls_in_flight in %s" % server.metrics_url)


def start_replica(server_binary: str, log: pathlib.Path) -> Server:
    """A qbake-server with its metrics served; the test stops it (it may be killed)."""
    return Server(server_binary, ["--metrics-listen", "127.0.0.1:0"], log)


def kill_at_first_chunk(monkeypatch: pytest.MonkeyPatch, replicas: List[Server]) -> List[Server]:
    """Makes the first baked chunk the client takes kill (SIGKILL) the replica serving the
    call, the one whose qbake_calls_in_flight gauge reads 1: the rest of the reply (all
    but what the flow-control window let through) never comes. Returns the list the
    killed replica goes into."""
    killed: List[Server] = []
    take_chunk = TensorAssembly.add

    def kill_then_take(assembly: TensorAssembly, chunk: bake_pb2.TensorChunk) -> None:
        if not killed:
            serving = [replica for replica in replicas if calls_in_flight(replica) == 1]
            assert len(serving) == 1, "not one replica serving the call"
            serving[0].process.kill()
            serving[0].process.wait()
            killed.append(serving[0])
        take_chunk(assembly, chunk)

    monkeypatch.setattr(TensorAssembly, "add", kill_then_take)
    return killed


def test_a_replica_killed_mid_reply_is_replaced_by_another(
        server_binary: str, start_server, cli_binary: str, tmp_path: pathlib.Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    model = write_weight_model(tmp_path / "in", ROWS)
    config = write_config(tmp_path / "config.json")
    replicas = [start_replica(server_binary, tmp_path / ("replica%d.log" % number))
                for number in range(2)]
    killed = kill_at_first_chunk(monkeypatch, replicas)
    target = "ipv4:%s" % ",".join(replica.target for replica in replicas)
    output = tmp_path / "py" / "model.onnx"
    try:
        with qbake.Client(target, retries=3, deadline=120) as client:
            summary = client.bake_files(model, config, output)
    finally:
        monkeypatch.undo()
        survivors = [replica for replica in replicas if replica not in killed]
        exit_codes = [replica.stop() for replica in survivors]
        for replica in killed:
            replica.stop()

    assert len(killed) == 1
    assert exit_codes == [0]
    # The survivor served one call, the whole bake; the killed replica logged none.
    assert survivors[0].logged_codes() == ["OK"]
    assert killed[0].logged_codes() == []
    assert summary.bytes == ROWS * COLUMNS * 4

    reference = start_server()
    run_cli(cli_binary, "bake", str(model), "--config", str(config), "--output",
            str(tmp_path / "cli" / "model.onnx"), "--server", reference.target)
    for name in ("model.onnx", "weight.bin", "model.json"):
        assert filecmp.cmp(tmp_path / "py" / name, tmp_path / "cli" / name, shallow=False), name
    assert sorted(path.name for path in output.parent.iterdir()) == [
        "model.json", "model.onnx", "weight.bin"]


def test_a_lost_replica_with_no_other_fails_as_unavailable(
        server_binary: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = write_weight_model(tmp_path / "in", ROWS)
    config = write_config(tmp_path / "config.json")
    replica = start_replica(server_binary, tmp_path / "replica.log")
    killed = kill_at_first_chunk(monkeypatch, [replica])
    output = tmp_path / "py" / "model.onnx"
    try:
        with qbake.Client(replica.target, retries=1, deadline=60) as client:
            with pytest.raises(qbake.RetryableError) as raised:
                client.bake_files(model, config, output)
    finally:
        replica.stop()
    assert killed == [replica]
    assert raised.value.code == grpc.StatusCode.UNAVAILABLE
    assert not output.parent.exists()
