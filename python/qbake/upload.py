"""The requests of a BakeStream call: the header, the serialized model in chunks, then
the bytes of every tensor stored as ONNX external data, read from its file beside the
model a chunk at a time (gRPC's flow control holds the reader while the server is
behind, so a few chunks are in memory at most)."""

import os
from pathlib import Path
from typing import BinaryIO, Iterator, List, Optional, Sequence, Tuple

from qbake.model_layout import ExternalTensor
from qbake.v1 import bake_pb2

CHUNK_BYTES = 1 << 20


class Upload:
    """An iterator of BakeStreamRequests for one attempt. gRPC reads it on a thread of
    its own and cancels the call when it raises: raise_failure() then raises what it
    raised (an OSError reading the inputs, or a ValueError)."""

    def __init__(self, header: "bake_pb2.BakeStreamHeader", model: BinaryIO, model_size: int,
                 external: Sequence[ExternalTensor] = (),
                 model_folder: Optional[Path] = None) -> None:
        self._header = header
        self._model = model
        self._model_size = model_size
        self._external = external
        self._model_folder = model_folder
        self._failure: Optional[BaseException] = None

    def __iter__(self) -> Iterator["bake_pb2.BakeStreamRequest"]:
        try:
            yield from self._requests()
        except Exception as failure:
            self._failure = failure
            raise

    def raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def _requests(self) -> Iterator["bake_pb2.BakeStreamRequest"]:
        header = bake_pb2.BakeStreamHeader()
        header.CopyFrom(self._header)
        header.model_bytes = self._model_size
        yield bake_pb2.BakeStreamRequest(header=header)
        self._model.seek(0)
        for _, length in _chunks(0, self._model_size):
            yield bake_pb2.BakeStreamRequest(model_data=_read_exactly(self._model, length))
        for tensor, path, length in self._external_ranges():
            with open(path, "rb") as data_file:
                data_file.seek(tensor.offset)
                for offset, size in _chunks(tensor.offset, length):
                    chunk = bake_pb2.ExternalDataChunk(
                        location=tensor.location, offset=offset,
                        data=_read_exactly(data_file, size))
                    yield bake_pb2.BakeStreamRequest(external_data=chunk)

    def _external_ranges(self) -> List[Tuple[ExternalTensor, Path, int]]:
        """Each external tensor, its file and its length, checked before any is sent."""
        ranges = []
        for tensor in self._external:
            if self._model_folder is None:
                raise ValueError("tensor '%s' is stored as external data: bake it with "
                                 "bake_files" % tensor.name)
            path = data_file_path(self._model_folder, tensor.location)
            size = os.path.getsize(path)
            length = tensor.length if tensor.length is not None else size - tensor.offset
            if tensor.offset + length > size:
                raise ValueError("tensor '%s', external data '%s': bytes [%d, %d) run past "
                                 "its %d bytes" % (tensor.name, tensor.location, tensor.offset,
                                                   tensor.offset + length, size))
            ranges.append((tensor, path, length))
        return ranges


def data_file_path(folder: Path, location: str) -> Path:
    """The file of an external data `location`, which must be a regular file beneath
    `folder` reached without symbolic links (as the CLI requires)."""
    if not location or os.path.isabs(location):
        raise ValueError("external data location '%s' is not a relative path" % location)
    path = path_beneath(folder, location)
    if path is None or os.path.realpath(path) != str(path):
        raise ValueError("external data location '%s' leaves the model's folder or "
                         "passes a symbolic link" % location)
    if not path.is_file():
        raise ValueError("external data '%s' is not a regular file" % location)
    return path


def path_beneath(folder: Path, location: str) -> Optional[Path]:
    """`location` resolved lexically beneath `folder`; None when it leaves it."""
    beneath = Path(os.path.abspath(folder))
    path = Path(os.path.normpath(beneath / location))
    return path if beneath in path.parents else None


def _chunks(start: int, length: int) -> Iterator[Tuple[int, int]]:
    """(offset, size) of the CHUNK_BYTES pieces of [start, start + length)."""
    for offset in range(start, start + length, CHUNK_BYTES):
        yield offset, min(CHUNK_BYTES, start + length - offset)


def _read_exactly(file: BinaryIO, size: int) -> bytes:
    data = file.read(size)
    if len(data) != size:
        raise ValueError("'%s' shrank while it was being sent" % getattr(file, "name", "model"))
    return data
