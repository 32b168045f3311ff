"""qbake.Client: bakes on a qbake-server, from files or from memory."""

import io
import json
import os
import time
from pathlib import Path
from types import TracebackType
from typing import (TYPE_CHECKING, Any, Callable, Dict, Optional, Sequence, Tuple, Type, TypeVar,
                    Union)

import grpc

from qbake import _schemas
from qbake.baked_model import write_baked
from qbake.errors import error_from_rpc
from qbake.model_layout import ByteRange, ExternalTensor, ModelLayout, parse_model, read_layout
from qbake.reply import DocumentAssembly, Placement, TensorAssembly, read_events
from qbake.results import BakeResult, Summary, Timings, report_json
from qbake.retry import RetryPolicy, call_with_retries
from qbake.staged_files import StagedOutputs
from qbake.upload import Upload, data_file_path, path_beneath
from qbake.v1 import bake_pb2, bake_pb2_grpc

if TYPE_CHECKING:
    import onnx

PathLike = Union[str, "os.PathLike[str]"]
Result = TypeVar("Result")
_HEALTH_CHECK = "/grpc.health.v1.Health/Check"


class Client:
    """A connection to a qbake-server (or several replicas behind one target).

    Args:
        target: HOST:PORT or any gRPC target (dns:///HOST:PORT, ipv4:IP:PORT,IP:PORT);
            calls are spread over its addresses round robin.
        tls_ca: PEM file of the CA that signed the server's certificate. Any TLS
            argument means TLS; without tls_ca the system's roots are trusted.
        tls_cert, tls_key: PEM files of a client certificate and its key (mutual TLS),
            given together.
        token: the server's auth token, sent as "authorization: Bearer TOKEN".
        deadline: seconds a call may take, its retries and their waits included.
        retries: attempts after the first while the server is unreachable, busy or
            lost mid-bake (RetryableError once they are spent).

    Connecting is lazy: an unreachable server shows on the first call. Calls may be
    made from several threads at once. Close it, or use it as a context manager.
    """

    def __init__(self, target: str, *, tls_ca: Optional[PathLike] = None,
                 tls_cert: Optional[PathLike] = None, tls_key: Optional[PathLike] = None,
                 token: Optional[str] = None, deadline: float = 600,
                 retries: int = 5) -> None:
        if not target:
            raise ValueError("no server address given")
        if (tls_cert is None) != (tls_key is None):
            raise ValueError("a TLS client certificate and its private key go together: "
                             "give both or neither")
        options = [("grpc.lb_policy_name", "round_robin")]
        if tls_ca is None and tls_cert is None:
            self._channel = grpc.insecure_channel(target, options)
        else:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=_read_optional(tls_ca), private_key=_read_optional(tls_key),
                certificate_chain=_read_optional(tls_cert))
            self._channel = grpc.secure_channel(target, credentials, options)
        self._stub = bake_pb2_grpc.BakerStub(self._channel)
        self._metadata: Sequence[Tuple[str, str]] = (
            (("authorization", "Bearer " + token),) if token else ())
        self._deadline = deadline
        self._retry = RetryPolicy(retries=retries)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, kind: Optional[Type[BaseException]], error: Optional[BaseException],
                 trace: Optional[TracebackType]) -> None:
        self.close()

    def close(self) -> None:
        """Closes the channel; calls in flight end with CANCELLED."""
        self._channel.close()

    def health(self, service: str = "") -> str:
        """The server's serving status by gRPC's health check: "SERVING",
        "NOT_SERVING" (draining), ..."""
        check = self._channel.unary_unary(
            _HEALTH_CHECK, request_serializer=_schemas.HealthCheckRequest.SerializeToString,
            response_deserializer=_schemas.HealthCheckResponse.FromString)
        response = self._call(lambda timeout: check(
            _schemas.HealthCheckRequest(service=service), timeout=timeout,
            metadata=self._metadata))
        statuses = _schemas.HealthCheckResponse.DESCRIPTOR.enum_types_by_name["ServingStatus"]
        return statuses.values_by_number[response.status].name

    def info(self) -> "bake_pb2.ServerInfo":
        """What the server runs and accepts (version, limits, kernel, auth_required)."""
        return self._call(lambda timeout: self._stub.Info(
            bake_pb2.InfoRequest(), timeout=timeout, metadata=self._metadata))

    def bake(self, model: Union[bytes, "onnx.ModelProto"],
             ppq_config: Union[str, Dict[str, Any]]) -> BakeResult:
        """Bakes a model held in memory: `model` serialized, or an onnx.ModelProto, with
        all its tensor data inline; `ppq_config` PPQ's config document as JSON text or
        as the dict json.load gives."""
        model_bytes = bytes(model) if isinstance(model, (bytes, bytearray, memoryview)) else (
            model.SerializeToString())
        header = _header(ppq_config if isinstance(ppq_config, str) else json.dumps(ppq_config))

        def attempt(timeout: float) -> BakeResult:
            tensors = TensorAssembly(lambda name: None)
            document = io.BytesIO()
            upload = Upload(header, io.BytesIO(model_bytes), len(model_bytes))
            summary = self._bake_stream(upload, tensors, DocumentAssembly(document), timeout)
            baked = _schemas.ModelProto.FromString(model_bytes)
            write_baked(baked, tensors.held)
            return BakeResult(baked.SerializeToString(), json.loads(document.getvalue()),
                              summary)

        return call_with_retries(attempt, self._retry, self._call_deadline())

    def bake_files(self, model_path: PathLike, config_path: PathLike, output_path: PathLike,
                   *, config_out: Optional[PathLike] = None,
                   report: Optional[PathLike] = None) -> Summary:
        """Bakes the model file at `model_path` (its external data read from the files
        beside it) with PPQ's config file at `config_path`, and writes the baked model
        to `output_path` (its external data files beside it, at the same locations),
        the updated config document to `config_out` (default: `output_path` with
        .json) and, when asked, the JSON report of `qbake bake --report`. The outputs
        are byte for byte those of `qbake bake --server`; they appear all together, or
        on any error none. Memory holds the model's structure and a few chunks."""
        started = time.monotonic()
        files = _BakeFiles(Path(model_path), Path(config_path), Path(output_path),
                           Path(config_out) if config_out is not None
                           else Path(output_path).with_suffix(".json"),
                           Path(report) if report is not None else None)
        files.read_inputs()
        files.timings.read_s = time.monotonic() - started
        return call_with_retries(lambda timeout: files.bake(self._bake_stream, timeout),
                                 self._retry, self._call_deadline(started))

    def _call_deadline(self, started: Optional[float] = None) -> float:
        return (started if started is not None else time.monotonic()) + self._deadline

    def _call(self, call: Callable[[float], Result]) -> Result:
        def attempt(timeout: float) -> Result:
            try:
                return call(timeout)
            except grpc.RpcError as error:
                raise error_from_rpc(error) from None
        return call_with_retries(attempt, self._retry, self._call_deadline())

    def _bake_stream(self, upload: Upload, tensors: TensorAssembly, document: DocumentAssembly,
                     timeout: float) -> Summary:
        events = self._stub.BakeStream(iter(upload), timeout=timeout, metadata=self._metadata)
        try:
            return read_events(events, tensors, document)
        except grpc.RpcError as error:
            upload.raise_failure()
            raise error_from_rpc(error) from None
        except BaseException:
            events.cancel()
            raise


class _BakeFiles:
    """One bake_files: its inputs, read once, and each attempt's staged outputs."""

    def __init__(self, model: Path, config: Path, output: Path, config_out: Path,
                 report: Optional[Path]) -> None:
        self.model, self.config, self.output = model, config, output
        self.config_out, self.report = config_out, report
        self.timings = Timings()
        self.layout = ModelLayout(0)
        self.header = bake_pb2.BakeStreamHeader()

    def read_inputs(self) -> None:
        with open(self.config, "rb") as config:
            self.header = _header(config.read().decode("utf-8"))
        with open(self.model, "rb") as model:
            self.layout = read_layout(model)

    def bake(self, bake_stream: Callable[..., Summary], timeout: float) -> Summary:
        """One attempt: stages the outputs, bakes into them, commits them. write_s
        covers the staging, bake_s the call."""
        stopwatch = _Stopwatch()
        with StagedOutputs() as outputs:
            self._protect_inputs(outputs)
            model_file = outputs.stage_copy(self.output, self.model)
            data_files = self._stage_data_files(outputs)
            document = outputs.stage(self.config_out)
            tensors = TensorAssembly(lambda name: self._placement(name, model_file, data_files))
            self.timings.write_s = stopwatch.lap()
            with open(self.model, "rb") as model:
                upload = Upload(self.header, model, self.layout.size, self.layout.external,
                                self.model.parent)
                summary = bake_stream(upload, tensors, DocumentAssembly(document), timeout)
            self.timings.bake_s = stopwatch.lap()
            if tensors.held or not self.layout.walked:
                self._serialize_baked_model(model_file, tensors)
            self.timings.write_s += stopwatch.lap()
            if self.report is not None:
                outputs.stage(self.report).write(report_json(summary, self.timings).encode())
            outputs.commit()
        return summary

    def _protect_inputs(self, outputs: StagedOutputs) -> None:
        outputs.protect(self.model, "the input model")
        outputs.protect(self.config, "the input config")
        for tensor in self.layout.external:
            path = data_file_path(self.model.parent, tensor.location)
            outputs.protect(path, "the input data file '%s'" % path)

    def _stage_data_files(self, outputs: StagedOutputs) -> Dict[str, Any]:
        """A copy of each data file at its location beside the output, by location."""
        staged: Dict[str, Any] = {}
        for tensor in self.layout.external:
            location = os.path.normpath(tensor.location)
            if location not in staged:
                source = data_file_path(self.model.parent, tensor.location)
                staged[location] = outputs.stage_copy(
                    data_file_path_for_output(self.output.parent, location), source)
        return staged

    def _placement(self, name: str, model_file: Any, data_files: Dict[str, Any]
                   ) -> Optional[Placement]:
        where = self.layout.parameters.get(name)
        if isinstance(where, ByteRange):
            return Placement(model_file, where.offset, where.length)
        if isinstance(where, ExternalTensor) and where.length is not None:
            return Placement(data_files[os.path.normpath(where.location)], where.offset,
                             where.length)
        return None

    def _serialize_baked_model(self, model_file: Any, tensors: TensorAssembly) -> None:
        """Writes the model serialized again with every baked tensor it holds, as the
        CLI writes a model whose parameters are not all rewritten in place."""
        with open(self.model, "rb") as source:
            model = parse_model(source, self.layout.size)
        baked: Dict[str, Union[bytes, bytearray]] = dict(tensors.held)
        for name in tensors.placed:
            where = self.layout.parameters[name]
            if isinstance(where, ByteRange):
                model_file.seek(where.offset)
                baked[name] = model_file.read(where.length)
        write_baked(model, baked)
        model_file.seek(0)
        model_file.truncate()
        model_file.write(model.SerializeToString())


class _Stopwatch:
    def __init__(self) -> None:
        self._last = time.monotonic()

    def lap(self) -> float:
        """Seconds since construction or the previous lap."""
        now = time.monotonic()
        elapsed, self._last = now - self._last, now
        return elapsed


def data_file_path_for_output(folder: Path, location: str) -> Path:
    """Where an output data file goes: its location beneath the output's folder."""
    path = path_beneath(folder, location)
    if path is None:
        raise ValueError("external data location '%s' leaves the output's folder" % location)
    return path


def _header(ppq_config_json: str) -> "bake_pb2.BakeStreamHeader":
    return bake_pb2.BakeStreamHeader(ppq_config_json=ppq_config_json)


def _read_optional(path: Optional[PathLike]) -> Optional[bytes]:
    if path is None:
        return None
    with open(path, "rb") as file:
        return file.read()
