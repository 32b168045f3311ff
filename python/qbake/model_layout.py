"""Where the bytes of a serialized ONNX model's tensors lie, read without loading the
large ones, as the qbake CLI reads a model (cli/model_skeleton.h, cli/model_files.h).

The wire format of the model is walked: the raw_data of each top-level initializer and
Constant value is located in the file, and the model without the large ones (its
skeleton) is parsed to find every tensor stored as ONNX external data. A model the walk
does not take as it is (malformed, or an initializer with raw_data twice) is parsed
whole instead; no raw_data is located then.
"""

import io
import os
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Dict, Iterator, List, Optional, Tuple, Union

from google.protobuf.message import DecodeError

from qbake import _schemas

# raw_data of this many bytes or more is left out of the skeleton (as the CLI does).
_STRIP_MIN_BYTES = 1024

# Field numbers on the way to a tensor's raw_data, and of external data entries.
_MODEL_GRAPH = 7
_GRAPH_NODE = 1
_GRAPH_INITIALIZER = 5
_NODE_ATTRIBUTE = 5
_ATTRIBUTE_TENSOR = 5
_TENSOR_RAW_DATA = 9
_TENSOR_EXTERNAL = 1  # onnx.TensorProto.DataLocation.EXTERNAL

_LENGTH_DELIMITED = 2
_FIXED_SIZES = {1: 8, 5: 4}  # wire type: bytes

Owner = Tuple[int, int, int]  # (initializer, node, attribute), -1 where none


@dataclass(frozen=True)
class ByteRange:
    offset: int
    length: int


@dataclass(frozen=True)
class ExternalTensor:
    """A tensor whose bytes lie in an external data file beside the model."""
    name: str
    location: str  # as the model states it, relative to the model's folder
    offset: int
    length: Optional[int]  # None: to the end of the file


@dataclass
class ModelLayout:
    size: int  # of the serialized model
    # Where the bytes of each parameter (GraphIndex's: initializers, then Constant
    # values) lie: its raw_data in the model, or its external data. A parameter whose
    # bytes are elsewhere (float_data, a model parsed whole) is not named.
    parameters: Dict[str, Union[ByteRange, "ExternalTensor"]] = field(default_factory=dict)
    external: List["ExternalTensor"] = field(default_factory=list)  # in model order
    # False when the walk did not take the model and it was parsed whole: the CLI then
    # writes it serialized again, not copied.
    walked: bool = True


class _Unwalked(Exception):
    """The walk does not take the model's wire format as it is."""


@dataclass(frozen=True)
class _Span:
    owner: Owner
    range: ByteRange


class _SkeletonWalk:
    """Reads the fields of a ModelProto and writes them again, but the raw_data of
    _STRIP_MIN_BYTES or more of the top-level initializers and node attribute
    tensors, whose places it records."""

    def __init__(self, source: BinaryIO) -> None:
        self._in = source
        self._position = 0
        self._initializer = -1
        self._node = -1
        self._attribute = -1
        self._owner: Owner = (-1, -1, -1)
        self._tensor_has_raw_data = False
        self.spans: List[_Span] = []

    def run(self, size: int) -> bytes:
        return self._fields("model", size)

    def _read(self, count: int) -> bytes:
        data = self._in.read(count)
        if len(data) != count:
            raise _Unwalked("truncated")
        self._position += count
        return data

    def _varint(self) -> Tuple[int, bytes]:
        value, shift, encoded = 0, 0, bytearray()
        while True:
            byte = self._read(1)[0]
            encoded.append(byte)
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value, bytes(encoded)
            shift += 7
            if shift > 63:
                raise _Unwalked("a varint of more than 10 bytes")

    def _fields(self, level: str, end: int) -> bytes:
        out = bytearray()
        while self._position < end:
            tag, encoded_tag = self._varint()
            number, wire_type = tag >> 3, tag & 7
            if wire_type == _LENGTH_DELIMITED:
                length, encoded_length = self._varint()
                if self._position + length > end:
                    raise _Unwalked("a field runs past its message")
                out += self._delimited(level, number, length, encoded_tag, encoded_length)
            elif wire_type == 0:
                out += encoded_tag + self._varint()[1]
            elif wire_type in _FIXED_SIZES:
                out += encoded_tag + self._read(_FIXED_SIZES[wire_type])
            else:
                raise _Unwalked("a group field")
        if self._position != end:
            raise _Unwalked("a field runs past its message")
        return bytes(out)

    def _delimited(self, level: str, number: int, length: int, encoded_tag: bytes,
                   encoded_length: bytes) -> bytes:
        end = self._position + length
        nested = self._nested_level(level, number)
        if nested is not None:
            inner = self._fields(nested, end)
            return encoded_tag + _encode_varint(len(inner)) + inner
        if level == "tensor" and number == _TENSOR_RAW_DATA:
            return self._raw_data(length, encoded_tag, encoded_length)
        return encoded_tag + encoded_length + self._read(length)

    def _nested_level(self, level: str, number: int) -> Optional[str]:
        if level == "model" and number == _MODEL_GRAPH:
            return "graph"
        if level == "graph" and number == _GRAPH_INITIALIZER:
            self._initializer += 1
            return self._tensor((self._initializer, -1, -1))
        if level == "graph" and number == _GRAPH_NODE:
            self._node += 1
            self._attribute = -1
            return "node"
        if level == "node" and number == _NODE_ATTRIBUTE:
            self._attribute += 1
            return "attribute"
        if level == "attribute" and number == _ATTRIBUTE_TENSOR:
            return self._tensor((-1, self._node, self._attribute))
        return None

    def _tensor(self, owner: Owner) -> str:
        self._owner = owner
        self._tensor_has_raw_data = False
        return "tensor"

    def _raw_data(self, length: int, encoded_tag: bytes, encoded_length: bytes) -> bytes:
        if self._tensor_has_raw_data:
            raise _Unwalked("a tensor with raw_data twice")
        self._tensor_has_raw_data = True
        self.spans.append(_Span(self._owner, ByteRange(self._position, length)))
        if length >= _STRIP_MIN_BYTES:
            self._in.seek(length, io.SEEK_CUR)
            self._position += length
            return b""
        return encoded_tag + encoded_length + self._read(length)


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def parameter_tensors(graph: object) -> Dict[str, Tuple[Owner, object]]:
    """The parameters of the top-level graph by name, as the core's GraphIndex finds
    them: initializers, then the `value` tensors of Constant nodes; the first of a
    name wins."""
    found: Dict[str, Tuple[Owner, object]] = {}
    for index, tensor in enumerate(graph.initializer):  # type: ignore[attr-defined]
        if tensor.name:
            found.setdefault(tensor.name, ((index, -1, -1), tensor))
    for node_index, node in enumerate(graph.node):  # type: ignore[attr-defined]
        if node.op_type != "Constant" or not node.output or not node.output[0]:
            continue
        for attribute_index, attribute in enumerate(node.attribute):
            if attribute.name == "value" and attribute.HasField("t"):
                found.setdefault(node.output[0], ((-1, node_index, attribute_index), attribute.t))
                break
    return found


def _model_tensors(graph: object) -> Iterator[object]:
    """Every tensor of a graph, its subgraphs, node attributes and sparse tensors, in
    the order of the CLI's CollectModelTensors."""
    yield from graph.initializer  # type: ignore[attr-defined]
    for sparse in graph.sparse_initializer:  # type: ignore[attr-defined]
        yield from _sparse_tensors(sparse)
    for node in graph.node:  # type: ignore[attr-defined]
        for attribute in node.attribute:
            if attribute.HasField("t"):
                yield attribute.t
            yield from attribute.tensors
            if attribute.HasField("sparse_tensor"):
                yield from _sparse_tensors(attribute.sparse_tensor)
            for sparse in attribute.sparse_tensors:
                yield from _sparse_tensors(sparse)
            if attribute.HasField("g"):
                yield from _model_tensors(attribute.g)
            for subgraph in attribute.graphs:
                yield from _model_tensors(subgraph)


def _sparse_tensors(sparse: object) -> Iterator[object]:
    if sparse.HasField("values"):  # type: ignore[attr-defined]
        yield sparse.values  # type: ignore[attr-defined]
    if sparse.HasField("indices"):  # type: ignore[attr-defined]
        yield sparse.indices  # type: ignore[attr-defined]


def _external_tensor(tensor: Any) -> ExternalTensor:
    entries = {entry.key: entry.value for entry in tensor.external_data}
    length = entries.get("length")
    return ExternalTensor(tensor.name, entries.get("location", ""),
                          int(entries.get("offset", "0")),
                          int(length) if length is not None else None)


def parse_model(source: BinaryIO, size: int) -> "_schemas.ModelProto":
    """The whole model, parsed (ValueError when it is not one)."""
    source.seek(0)
    try:
        return _schemas.ModelProto.FromString(source.read(size))
    except DecodeError:
        raise ValueError("the model does not parse as an ONNX ModelProto") from None


def read_layout(source: BinaryIO) -> ModelLayout:
    """The layout of the serialized model in `source` (a seekable binary file)."""
    size = source.seek(0, os.SEEK_END)
    source.seek(0)
    walk = _SkeletonWalk(source)
    try:
        model = _schemas.ModelProto.FromString(walk.run(size))
        spans = {span.owner: span.range for span in walk.spans}
        walked = True
    except (_Unwalked, DecodeError):  # parsed whole then: no raw_data is located
        model = parse_model(source, size)
        spans, walked = {}, False
    layout = ModelLayout(size, walked=walked)
    for name, (owner, tensor) in parameter_tensors(model.graph).items():
        if tensor.data_location == _TENSOR_EXTERNAL:  # type: ignore[attr-defined]
            layout.parameters[name] = _external_tensor(tensor)
        elif owner in spans:
            layout.parameters[name] = spans[owner]
    layout.external = [_external_tensor(tensor) for tensor in _model_tensors(model.graph)
                       if tensor.data_location == _TENSOR_EXTERNAL]  # type: ignore[attr-defined]
    return layout
