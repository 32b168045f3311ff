"""What a bake gives back: its Summary (BakeSummary of the API), the BakeResult of an
in-memory bake, and the JSON report of `qbake bake --report`."""

import json
from dataclasses import dataclass
from typing import Any, Dict, Tuple

from qbake import _schemas
from qbake.v1 import bake_pb2


@dataclass(frozen=True)
class ParameterSummary:
    """One baked parameter: its config's states, its data and the quantization error."""
    operation: str
    variable: str
    state_before: str  # PPQ's state names, e.g. "ACTIVATED"
    state_after: str  # e.g. "BAKED"
    data_type: str  # onnx.TensorProto.DataType name, e.g. "FLOAT"
    elements: int
    bytes: int
    max_abs_error: float
    mean_squared_error: float


@dataclass(frozen=True)
class Summary:
    """The counts of a bake, its parameters, and the server's timings (seconds; they
    overlap, the server bakes while it receives)."""
    configs: int
    baked: int  # ACTIVATED -> BAKED
    passive_baked: int  # PASSIVE -> PASSIVE_BAKED
    unchanged: int
    bytes: int  # parameter bytes rewritten
    parameters: Tuple[ParameterSummary, ...]
    receive_seconds: float
    bake_seconds: float
    send_seconds: float

    @classmethod
    def from_message(cls, summary: "bake_pb2.BakeSummary") -> "Summary":
        state = bake_pb2.QuantState.Name
        parameters = tuple(
            ParameterSummary(p.operation, p.variable, state(p.before), state(p.after),
                             _schemas.data_type_name(p.data_type), p.elements, p.bytes,
                             p.max_abs_error, p.mean_squared_error)
            for p in summary.parameters)
        return cls(summary.configs, summary.baked, summary.passive_baked, summary.unchanged,
                   summary.bytes, parameters, summary.receive_seconds, summary.bake_seconds,
                   summary.send_seconds)


@dataclass(frozen=True)
class BakeResult:
    """An in-memory bake's result."""
    model: bytes  # the baked model, serialized
    config: Dict[str, Any]  # PPQ's config document with the new states
    summary: Summary


@dataclass
class Timings:
    """Seconds spent reading the inputs, baking (the call) and writing the outputs."""
    read_s: float = 0.0
    bake_s: float = 0.0
    write_s: float = 0.0


def report_json(summary: Summary, timings: Timings) -> str:
    """The document `qbake bake --report` writes (cli/bake_report_json.h), keys in its
    order."""
    report = {
        "counts": {"configs": summary.configs, "baked": summary.baked,
                   "passive_baked": summary.passive_baked, "unchanged": summary.unchanged,
                   "parameters": len(summary.parameters), "bytes": summary.bytes},
        "parameters": [_parameter_json(parameter) for parameter in summary.parameters],
        "timings": {"read_s": timings.read_s, "bake_s": timings.bake_s,
                    "write_s": timings.write_s},
    }
    return json.dumps(report, indent=2) + "\n"


def _parameter_json(parameter: ParameterSummary) -> Dict[str, Any]:
    return {"operation": parameter.operation, "variable": parameter.variable,
            "state_before": parameter.state_before, "state_after": parameter.state_after,
            "data_type": parameter.data_type, "elements": parameter.elements,
            "bytes": parameter.bytes, "max_abs_error": parameter.max_abs_error,
            "mean_squared_error": parameter.mean_squared_error}
