"""Each error a client can provoke from a real server: the BakeError's code, message and
class (RetryableError only where a retry may help), and outputs left as they were."""

import json
import os
import signal
import pathlib
import threading
import time
from typing import Iterator

import grpc
import pytest

import qbake
from conftest import E2E_DIR, Server
from qbake.v1 import bake_pb2, bake_pb2_grpc

CASE = E2E_DIR / "synth_trt_int8"
WEIGHT = ("/c1/Conv", "onnx::Conv_32")  # an ACTIVATED per-channel weight of CASE


def bad_bit_width_config(folder: pathlib.Path) -> pathlib.Path:
    document = json.loads((CASE / "ppq_config.json").read_text())
    document["configs"][WEIGHT[0]][WEIGHT[1]]["bit_width"] = 99
    path = folder / "bad_config.json"
    path.write_text(json.dumps(document, indent=4))
    return path


def test_bad_config_names_the_config_and_leaves_nothing(server: Server,
                                                        tmp_path: pathlib.Path) -> None:
    output = tmp_path / "out" / "model.onnx"
    with qbake.Client(server.target) as client:
        with pytest.raises(qbake.BakeError) as raised:
            client.bake_files(CASE / "model.onnx", bad_bit_width_config(tmp_path), output,
                              report=tmp_path / "out" / "report.json")
    error = raised.value
    assert type(error) is qbake.BakeError
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.message.startswith(
        "operation '/c1/Conv', variable 'onnx::Conv_32', field 'bit_width': bit_width 99")
    assert not (tmp_path / "out").exists()


def test_failed_bake_keeps_existing_outputs(server: Server, tmp_path: pathlib.Path) -> None:
    output = tmp_path / "model.onnx"
    output.write_bytes(b"the old model")
    (tmp_path / "model.json").write_bytes(b"the old config")
    with qbake.Client(server.target) as client:
        with pytest.raises(qbake.BakeError):
            client.bake_files(CASE / "model.onnx", bad_bit_width_config(tmp_path), output)
    assert output.read_bytes() == b"the old model"
    assert (tmp_path / "model.json").read_bytes() == b"the old config"
    assert sorted(os.listdir(tmp_path)) == ["bad_config.json", "model.json", "model.onnx"]


def test_output_never_replaces_an_input(server: Server, tmp_path: pathlib.Path) -> None:
    model = tmp_path / "model.onnx"
    model.write_bytes((CASE / "model.onnx").read_bytes())
    with qbake.Client(server.target) as client:
        with pytest.raises(ValueError, match="would replace the input model"):
            client.bake_files(model, CASE / "ppq_config.json", model,
                              config_out=tmp_path / "out.json")
    assert model.read_bytes() == (CASE / "model.onnx").read_bytes()
    assert sorted(os.listdir(tmp_path)) == ["model.onnx"]


def test_bad_model(server: Server) -> None:
    with qbake.Client(server.target) as client:
        with pytest.raises(qbake.BakeError) as raised:
            client.bake(b"not a model", (CASE / "ppq_config.json").read_text())
    assert raised.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "not a valid onnx.ModelProto" in raised.value.message
    assert not isinstance(raised.value, qbake.RetryableError)


def test_malformed_config_json(server: Server) -> None:
    with qbake.Client(server.target) as client:
        with pytest.raises(qbake.BakeError) as raised:
            client.bake((CASE / "model.onnx").read_bytes(), "{not json")
    assert raised.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.message.startswith("ppq_config_json: malformed JSON")


def test_model_too_large_is_not_retried(start_server) -> None:
    server = start_server("--max-model-bytes", "64K")
    with qbake.Client(server.target, retries=3) as client:
        with pytest.raises(qbake.BakeError) as raised:
            client.bake((CASE / "model.onnx").read_bytes(), (CASE / "ppq_config.json").read_text())
    assert raised.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "--max-model-bytes" in raised.value.message
    assert not isinstance(raised.value, qbake.RetryableError)
    assert raised.value.retry_delay is None
    # One call, no retry: every attempt had ended before the error was raised, and the
    # server logs a call just after its client has the status.
    deadline = time.monotonic() + 10
    while not server.logged_codes() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    assert server.logged_codes() == ["RESOURCE_EXHAUSTED"]


class StalledBake:
    """A BakeStream that sends its header and then nothing until released, so that it
    holds a place on the server."""

    def __init__(self, server: Server) -> None:
        self._release = threading.Event()
        self._channel = grpc.insecure_channel(server.target)
        self._call = bake_pb2_grpc.BakerStub(self._channel).BakeStream(self._requests())
        # The server sends a call's headers when it admits the call, before any event.
        self._call.initial_metadata()
        assert not self._call.done(), "the stalled BakeStream was refused: %s" % (
            self._call.details())

    def _requests(self) -> Iterator[bake_pb2.BakeStreamRequest]:
        model = (CASE / "model.onnx").read_bytes()
        header = bake_pb2.BakeStreamHeader(
            model_bytes=len(model), ppq_config_json=(CASE / "ppq_config.json").read_text())
        yield bake_pb2.BakeStreamRequest(header=header)
        yield bake_pb2.BakeStreamRequest(model_data=model[:1000])
        self._release.wait(60)

    def release(self) -> None:
        self._release.set()
        self._call.cancel()
        self._channel.close()


def test_busy_server_is_retryable_with_its_hint(start_server) -> None:
    server = start_server("--max-concurrent", "1", "--max-queued", "0")
    stalled = StalledBake(server)
    try:
        with qbake.Client(server.target, retries=1, deadline=30) as client:
            started = time.monotonic()
            with pytest.raises(qbake.RetryableError) as raised:
                client.bake((CASE / "model.onnx").read_bytes(),
                            (CASE / "ppq_config.json").read_text())
            waited = time.monotonic() - started
    finally:
        stalled.release()
    assert raised.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert raised.value.reason == "SERVER_BUSY"
    assert raised.value.retry_delay == pytest.approx(1.0)
    assert waited >= 1.0  # the one retry waited the server's hint, not 0.25 s


def test_busy_server_then_free_bakes_on_retry(start_server) -> None:
    server = start_server("--max-concurrent", "1", "--max-queued", "0")
    stalled = StalledBake(server)
    threading.Timer(0.5, stalled.release).start()
    with qbake.Client(server.target, retries=3, deadline=30) as client:
        result = client.bake((CASE / "model.onnx").read_bytes(),
                             (CASE / "ppq_config.json").read_text())
    assert result.summary.baked > 0


def test_deadline_in_the_queue(start_server) -> None:
    server = start_server("--max-concurrent", "1", "--max-queued", "1")
    stalled = StalledBake(server)
    try:
        with qbake.Client(server.target, deadline=1.0) as client:
            started = time.monotonic()
            with pytest.raises(qbake.BakeError) as raised:
                client.bake((CASE / "model.onnx").read_bytes(),
                            (CASE / "ppq_config.json").read_text())
    finally:
        stalled.release()
    assert raised.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert raised.value.reason == "DEADLINE_EXCEEDED"
    assert not isinstance(raised.value, qbake.RetryableError)
    assert 0.9 < time.monotonic() - started < 5


def test_unreachable_server_after_retries(tmp_path: pathlib.Path) -> None:
    with qbake.Client("127.0.0.1:1", retries=2, deadline=30) as client:
        started = time.monotonic()
        with pytest.raises(qbake.RetryableError) as raised:
            client.bake_files(CASE / "model.onnx", CASE / "ppq_config.json",
                              tmp_path / "out" / "model.onnx")
    assert raised.value.code == grpc.StatusCode.UNAVAILABLE
    assert time.monotonic() - started >= 0.2 + 0.4  # two waits, from 0.25 s -20%
    assert not (tmp_path / "out").exists()


def test_draining_server_is_retryable_elsewhere(start_server) -> None:
    server = start_server()
    stalled = StalledBake(server)  # keeps the drain going
    try:
        server.process.send_signal(signal.SIGTERM)
        with qbake.Client(server.target, retries=0, deadline=30) as client:
            deadline = time.monotonic() + 10
            while client.health() != "NOT_SERVING":
                assert time.monotonic() < deadline, "the server never started draining"
                time.sleep(0.05)
            with pytest.raises(qbake.RetryableError) as raised:
                client.bake((CASE / "model.onnx").read_bytes(),
                            (CASE / "ppq_config.json").read_text())
    finally:
        stalled.release()
    assert raised.value.code == grpc.StatusCode.UNAVAILABLE
    assert raised.value.reason == "DRAINING"
    assert raised.value.retry_delay == pytest.approx(0.1)
