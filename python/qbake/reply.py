"""The events of a bake's reply, put together as they arrive: each baked tensor's
chunks written where its bytes go (a range of a staged file) or held, the updated
config document written out, the summary last. Anything a correct server never sends
is a malformed reply (BakeError, INTERNAL)."""

from dataclasses import dataclass
from typing import BinaryIO, Callable, Dict, Iterable, Optional, Set

from qbake.errors import malformed_reply
from qbake.results import Summary
from qbake.v1 import bake_pb2


@dataclass(frozen=True)
class Placement:
    """Where a tensor's bytes go: `length` bytes at `offset` of `file`."""
    file: BinaryIO
    offset: int
    length: int


class TensorAssembly:
    """The baked tensors of a reply. `place(name)` says where a tensor's bytes are
    written; a tensor it places nowhere (None) is held in `held`."""

    def __init__(self, place: Callable[[str], Optional[Placement]]) -> None:
        self._place = place
        self._received: Dict[str, int] = {}
        self._totals: Dict[str, int] = {}
        self.held: Dict[str, bytearray] = {}
        self.placed: Set[str] = set()  # the tensors written where place() put them

    def add(self, chunk: "bake_pb2.TensorChunk") -> None:
        received = self._received.get(chunk.name, 0)
        total = self._totals.setdefault(chunk.name, chunk.total_bytes)
        end = chunk.offset + len(chunk.data)
        if chunk.offset != received or chunk.total_bytes != total or end > total:
            raise malformed_reply("a chunk of '%s' at byte %d of %d does not continue its "
                                  "%d bytes" % (chunk.name, chunk.offset, total, received))
        placement = self._place(chunk.name)
        if placement is None:
            self.held.setdefault(chunk.name, bytearray()).extend(chunk.data)
        elif placement.length != total:
            raise malformed_reply("'%s' has %d bytes, not %d" % (chunk.name, placement.length,
                                                                 total))
        else:
            placement.file.seek(placement.offset + chunk.offset)
            placement.file.write(chunk.data)
            self.placed.add(chunk.name)
        self._received[chunk.name] = end

    def check_whole(self) -> None:
        for name, total in self._totals.items():
            if self._received[name] != total:
                raise malformed_reply("'%s' ended after %d of its %d bytes"
                                      % (name, self._received[name], total))


class DocumentAssembly:
    """The updated config document, written to `into` as its chunks arrive."""

    def __init__(self, into: BinaryIO) -> None:
        self._into = into
        self._received = 0
        self._total: Optional[int] = None

    def add(self, chunk: "bake_pb2.ConfigDocumentChunk") -> None:
        total = self._total if self._total is not None else chunk.total_bytes
        if chunk.offset != self._received or chunk.total_bytes != total:
            raise malformed_reply("a config document chunk out of order")
        self._total = chunk.total_bytes
        self._into.write(chunk.data)
        self._received += len(chunk.data)

    def check_whole(self) -> None:
        if self._total is None:
            raise malformed_reply("no updated config document (a server older than "
                                  "ppq_config_json)")
        if self._received != self._total:
            raise malformed_reply("the config document ended after %d of its %d bytes"
                                  % (self._received, self._total))


def read_events(events: Iterable["bake_pb2.BakeEvent"], tensors: TensorAssembly,
                document: DocumentAssembly) -> Summary:
    """Reads a reply to its end; its summary."""
    summary = None
    for event in events:
        kind = event.WhichOneof("event")
        if summary is not None:
            raise malformed_reply("a %s event after the summary" % kind)
        if kind == "tensor":
            tensors.add(event.tensor)
        elif kind == "config_document":
            document.add(event.config_document)
        elif kind == "summary":
            summary = event.summary
        elif kind != "config":  # ConfigUpdates: the document carries the new states
            raise malformed_reply("a %s event, which the request did not ask for" % kind)
    if summary is None:
        raise malformed_reply("the reply ended without a summary")
    tensors.check_whole()
    document.check_whole()
    return Summary.from_message(summary)
