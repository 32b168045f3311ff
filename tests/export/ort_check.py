#!/usr/bin/python3
"""Checks `qbake bake --format qdq|qdq-float` in ONNX Runtime, for every PPQ e2e case.

Per case (tests/data/ppq_e2e/CASE) it bakes baked.onnx and four exports, `qdq weights`
and `qdq-float weights` (--qdq-activations none), `qdq full` and `qdq-float full`
(activation pairs), each with --report, locally and on qbake-server (--server-binary),
which must write the same bytes. Each export passes onnx.checker; its weights, graph,
activation pairs and report agree (check_weights, check_graph_unchanged, check_pairs,
check_report_weights). In ONNX Runtime, a weights export gives back every baked tensor
and the reference's outputs bit for bit, and `qdq weights` is at most 0.30 of
baked.onnx for a weight-dominated case; a full export runs with the default
optimizations (or is refused as EXPECTED_ORT_REFUSALS says, then runs at 'basic') and
its outputs are finite; at 'basic' (no QDQ fused into integer kernels, whose figures
depend on the CPU) each has an SNR of 15 dB or more. Max abs diff, SNR and cosine
similarity against the reference (make_reference) are recorded at both levels.

ONNX Runtime is onnxruntime-node under .ort/ (.ci/install-deps), run by ort_run.js.
Run with /usr/bin/python3 (Debian's python3-onnx 1.12, python3-numpy). Exits 0 when
every check passes.

Usage: ort_check.py --qbake QBAKE --ort ORT_MODULE_DIR --data DATA_DIR --work WORK_DIR
                    [--server-binary QBAKE_SERVER] [--case NAME ...] [--json OUT.json]
"""

import argparse
import base64
import contextlib
import ctypes
import json
import math
import os
import select
import shutil
import signal
import subprocess
import sys
from collections import Counter

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, version_converter

ORT_RUN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ort_run.js")

# The exports: (label, --format, --qdq-activations).
EXPORTS = (("qdq weights", "qdq", "none"), ("qdq-float weights", "qdq-float", "none"),
           ("qdq full", "qdq", "all"), ("qdq-float full", "qdq-float", "all"))

# (case, export label) -> a substring of ONNX Runtime's error when its default
# optimizations refuse the export. PPQ quantizes a MatMul weight [K, N] per row (axis 0,
# K: ocrcls's [200, 2] for OpenVINO, trt's [32, 10] for TensorRT); with activation pairs
# around that MatMul (trt's is the graph output's producer) ONNX Runtime 1.30 fuses it
# into QLinearMatMul, whose kernel takes no such zero point, and fails the run. Level
# 'basic' fuses no QDQ and runs it. An entry ONNX Runtime stops refusing fails the check.
PER_ROW_MATMUL_REFUSAL = ("weight zero point must be a scalar, 1D tensor of size 1, "
                          "or last to second")
EXPECTED_ORT_REFUSALS = {(case, export): PER_ROW_MATMUL_REFUSAL
                         for case in ("ocrcls_openvino_int8", "synth_trt_int8")
                         for export in ("qdq full", "qdq-float full")}

SIZE_RATIO_LIMIT = 0.30        # qdq weights / baked.onnx, for weight-dominated cases
WEIGHT_DOMINATED_SHARE = 0.95  # baked parameter bytes / baked.onnx bytes
SNR_FLOOR_DB = 15.0            # full exports against the reference
INPUT_SEED = 20240601
COMMAND_TIMEOUT = 600

# FLOAT8E4M3FN and FLOAT8E5M2 by number: python3-onnx 1.12 predates them (ONNX 1.14).
FLOAT8_TYPES = (17, 19)
QUANTIZED_TYPES = {TensorProto.INT8: "INT8", TensorProto.UINT8: "UINT8",
                   TensorProto.INT32: "INT32", 17: "FLOAT8E4M3FN", 19: "FLOAT8E5M2"}


class CheckFailure(Exception):
    """A failed check: the case records it and goes on with the checks that do not
    depend on it; outside a case (tools missing, no server) it ends the run."""


# --- Tensors and models ----------------------------------------------------------------

def tensor_array(tensor):
    """A TensorProto's values; float8 as its uint8 bit patterns, since numpy_helper of
    python3-onnx 1.12 knows no float8."""
    if tensor.data_type not in FLOAT8_TYPES:
        return numpy_helper.to_array(tensor)
    data = tensor.raw_data if tensor.HasField("raw_data") else bytes(tensor.int32_data)
    return np.frombuffer(data, np.uint8).reshape(tuple(tensor.dims)).copy()


def parameter_tensors(model):
    """name -> TensorProto of the graph's parameters: initializers and Constant values."""
    tensors = {tensor.name: tensor for tensor in model.graph.initializer}
    for node in model.graph.node:
        if is_op(node, "Constant"):
            tensors.update((node.output[0], attribute.t) for attribute in node.attribute
                           if attribute.name == "value")
    return tensors


def parameter_values(model):
    return {name: tensor_array(tensor) for name, tensor in parameter_tensors(model).items()}


def bit_equal(left, right):
    """Same shape, type and bytes."""
    return (left.shape == right.shape and left.dtype == right.dtype
            and np.ascontiguousarray(left).tobytes() == np.ascontiguousarray(right).tobytes())


def default_opset(model):
    return next(entry.version for entry in model.opset_import
                if entry.domain in ("", "ai.onnx"))


def model_bytes(path):
    """Bytes of a model file plus the external data files its tensors name."""
    model = onnx.load(path, load_external_data=False)
    locations = {entry.value for tensor in parameter_tensors(model).values()
                 if tensor.data_location == TensorProto.EXTERNAL
                 for entry in tensor.external_data if entry.key == "location"}
    folder = os.path.dirname(os.path.abspath(path))
    return os.path.getsize(path) + sum(os.path.getsize(os.path.join(folder, location))
                                       for location in locations)


def is_op(node, op_type):
    return node.op_type == op_type and node.domain in ("", "ai.onnx")


def node_attribute(node, name):
    return next((helper.get_attribute_value(attribute) for attribute in node.attribute
                 if attribute.name == name), None)


def load(path):
    try:
        return onnx.load(path)
    except Exception as error:  # protobuf's DecodeError and the I/O errors
        raise CheckFailure("cannot read %s: %s" % (path, error))


def run_checker(model):
    """onnx.checker with shape inference. python3-onnx 1.12 refuses float8 and IR
    versions past its own outright, so it checks a copy with float8 initializers as
    UINT8 (same bytes) at its IR version: topology, SSA form, schemas, attributes and
    shapes are still checked, and ONNX Runtime loads the real file."""
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    for tensor in parameter_tensors(copy).values():
        if tensor.data_type in FLOAT8_TYPES:
            tensor.data_type = TensorProto.UINT8
    copy.ir_version = min(copy.ir_version, onnx.IR_VERSION)
    try:
        onnx.checker.check_model(copy, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as error:
        raise CheckFailure("onnx.checker rejects it: %s" % str(error).strip())


# --- The FP32 reference ----------------------------------------------------------------

LEGALIZED_OPSET = 13  # a legalized reference's opset: qbake's int8 exports'


def make_reference(baked):
    """The FP32 model the exports are compared with, and notes on how it was made.

    baked.onnx itself, unless it writes nodes in a later opset's form than it declares:
    ocrcls_openvino_int8 (paddle2onnx) declares opset 9 but gives each Clip min and max
    as inputs (opset 11's form) and its Slice starts, ends and axes as inputs (opset
    10's), which ONNX Runtime refuses and onnx.version_converter cannot start from. The
    values are constant initializers, so the copy writes them as Clip-6's and Slice-1's
    attributes, then onnx.version_converter takes it to opset 13, whose adapters turn
    them back into inputs: the same float computation, in a form ONNX Runtime loads.
    Other opsets than the exports' are fine: only outputs are compared.
    """
    reference = onnx.ModelProto()
    reference.CopyFrom(baked)
    notes = legalize_for_declared_opset(reference)
    if not notes:
        return baked, []
    try:
        reference = version_converter.convert_version(reference, LEGALIZED_OPSET)
    except Exception as error:  # the converter raises bare RuntimeErrors and others
        raise CheckFailure("onnx.version_converter cannot take the legalized baked.onnx "
                           "to opset %d: %s" % (LEGALIZED_OPSET, error))
    return reference, notes + ["reference: then converted from opset %d to %d by "
                               "onnx.version_converter" % (default_opset(baked),
                                                           LEGALIZED_OPSET)]


def legalize_for_declared_opset(model):
    """Rewrites, in place, each Clip and Slice written in a later opset's form than the
    model declares into the declared opset's; returns a note per kind rewritten."""
    opset = default_opset(model)
    counts = Counter()
    for node in model.graph.node:
        since, names, kind = LATER_FORMS.get(node.op_type, (0, (), None))
        if is_op(node, node.op_type) and opset < since and len(node.input) > 1:
            inputs_to_attributes(model, node, names, kind)
            counts[node.op_type] += 1
    return ["reference: %d %s in a later opset's form rewritten to opset %d's"
            % (count, op_type, opset) for op_type, count in sorted(counts.items())]


# op type -> (the opset that made its attributes inputs 1.., their names, their type).
LATER_FORMS = {"Clip": (11, ("min", "max"), float),
               "Slice": (10, ("starts", "ends", "axes", "steps"),
                         lambda value: [int(item) for item in value])}


def inputs_to_attributes(model, node, names, kind):
    """A node's constant inputs 1.. as the attributes `names` of type `kind`: Clip-6's
    float min and max, Slice-1's int lists (Slice-1 has no steps: all must be 1)."""
    initializers = {tensor.name: tensor for tensor in model.graph.initializer}
    for name, input_name in zip(names, node.input[1:]):
        if input_name and input_name not in initializers:
            raise CheckFailure("%s %s: input %s is no initializer"
                               % (node.op_type, node.name, input_name))
        value = tensor_array(initializers[input_name]) if input_name else None
        if name == "steps" and value is not None and np.any(value != 1):
            raise CheckFailure("Slice %s has steps other than 1" % node.name)
        if value is not None and name != "steps":
            node.attribute.append(helper.make_attribute(name, kind(value)))
    del node.input[1:]


# --- The export's structure ------------------------------------------------------------

class Graph:
    """An export indexed: initializers, producers, consumers, and its activation pairs
    (QuantizeLinear -> DequantizeLinear of a variable that is no initializer)."""

    def __init__(self, model):
        self.model = model
        self.initializers = {tensor.name: tensor for tensor in model.graph.initializer}
        self.producers = {}
        for node in model.graph.node:
            for output in node.output:
                self.producers.setdefault(output, []).append(node)
        self.consumed = Counter(name for node in model.graph.node for name in node.input)
        self.outputs = {value.name for value in model.graph.output}
        self.pairs = []
        for node in (node for node in model.graph.node if is_op(node, "DequantizeLinear")):
            quantize = self.producer(node.input[0])
            if (quantize is not None and is_op(quantize, "QuantizeLinear")
                    and quantize.input[0] not in self.initializers):
                self.pairs.append((quantize, node))

    def pair_variable(self, quantize, dequantize):
        """The activation a pair quantizes: a graph output keeps its name for the pair's
        output (its producer writes NAME_unquantized); any other value is the pair's
        input."""
        output = dequantize.output[0]
        return output if output in self.outputs else quantize.input[0]

    def unquantized_outputs(self):
        """For each pair on a graph output, the producer's new output name -> the graph
        output's."""
        return {quantize.input[0]: dequantize.output[0] for quantize, dequantize in self.pairs
                if dequantize.output[0] in self.outputs}

    def producer(self, name):
        """The one node writing `name`, or None."""
        writers = self.producers.get(name, [])
        return writers[0] if len(writers) == 1 else None

    def dead_pairs(self):
        """Pair outputs that no node reads and the graph does not give."""
        return [dequantize.output[0] for _, dequantize in self.pairs
                if not self.consumed[dequantize.output[0]]
                and dequantize.output[0] not in self.outputs]


def check_zero_point(node, graph, data_type):
    """Problems with a weight DequantizeLinear's zero point: given unless the type is
    INT32, an initializer of the quantized type and the scale's shape. (ONNX Runtime
    checks the scale's shape against the axis as it runs the node.)"""
    scale, zero_point = (graph.initializers.get(name)
                         for name in (list(node.input) + [""])[1:3])
    if scale is None or scale.data_type != TensorProto.FLOAT:
        return ["its scale is no FLOAT initializer"]
    if zero_point is None:
        return [] if data_type == TensorProto.INT32 else ["it has no zero point initializer"]
    if (zero_point.data_type, zero_point.dims) != (data_type, scale.dims):
        return ["its zero point's type or shape is not its data's or its scale's"]
    return []


def weight_source(node, graph, baked_value, float_format):
    """A weight DequantizeLinear's quantized type name and problems. qdq: it reads an
    INT8, UINT8, INT32 or FLOAT8 initializer of the baked shape; qdq-float: a
    QuantizeLinear, with its scale, zero point and axis, of a FLOAT initializer
    bit-equal to the baked tensor."""
    if float_format:
        quantize = graph.producer(node.input[0])
        if quantize is None or not is_op(quantize, "QuantizeLinear"):
            return None, ["its input 0 is not written by one QuantizeLinear"]
        source = graph.initializers.get(quantize.input[0])
        if source is None or not bit_equal(tensor_array(source), baked_value):
            return None, ["its QuantizeLinear reads no initializer bit-equal to the baked one"]
        if (quantize.input[1:] != node.input[1:]
                or node_attribute(quantize, "axis") != node_attribute(node, "axis")):
            return None, ["its QuantizeLinear has another scale, zero point or axis"]
        zero_point = graph.initializers.get(node.input[2]) if len(node.input) > 2 else None
        data_type = zero_point.data_type if zero_point is not None else TensorProto.UINT8
    else:
        source = graph.initializers.get(node.input[0])
        if source is None or tuple(source.dims) != baked_value.shape:
            return None, ["its input 0 is no initializer of the baked shape"]
        data_type = source.data_type
    if data_type not in QUANTIZED_TYPES or (float_format and data_type == TensorProto.INT32):
        return None, ["it dequantizes type %d" % data_type]
    return QUANTIZED_TYPES[data_type], check_zero_point(node, graph, data_type)


def check_weights(graph, baked, baked_values, changed, float_format):
    """Every weight DequantizeLinear and every changed parameter's form; returns the
    stored weights [{variable, data_type, per_channel}], the parameters kept float
    and the problems found."""
    stored, problems = [], []
    pair_outputs = {dequantize.output[0] for _, dequantize in graph.pairs}
    for node in graph.model.graph.node:
        name = node.output[0]
        if not is_op(node, "DequantizeLinear") or name in pair_outputs:
            continue
        if name not in baked_values:
            problems.append("DequantizeLinear %s writes %s, no baked.onnx parameter"
                            % (node.name, name))
            continue
        type_name, found = weight_source(node, graph, baked_values[name], float_format)
        problems += ["DequantizeLinear for %s: %s" % (name, problem) for problem in found]
        stored.append({"variable": name, "data_type": type_name or "?",
                       "per_channel": node_attribute(node, "axis") is not None})
    export_values = parameter_values(graph.model)
    kept = sorted(set(changed) - {entry["variable"] for entry in stored})
    problems += ["baked parameter %s is neither dequantized nor kept float" % name
                 for name in kept if not kept_as_float(name, changed[name], graph, baked,
                                                       export_values)]
    return stored, kept, problems


def kept_as_float(name, value, graph, baked, export_values):
    """True when the export keeps baked parameter `name` as a float bit-equal to it:
    under its name, or, gone from the export, as the constants that every node of
    baked.onnx reading it reads in its place (the nodes are found by their outputs,
    which keep their names). Raising the opset rebuilds some inputs under new names:
    ONNX's version converter turns Clip's min and max attributes into Constant nodes."""
    if name in export_values:
        return bit_equal(export_values[name], value)
    if name in graph.consumed or name in graph.producers:
        return False
    twins = {tuple(node.output): node for node in graph.model.graph.node}
    for node in baked.graph.node:
        for slot in (slot for slot, input_name in enumerate(node.input) if input_name == name):
            twin = twins.get(tuple(node.output))
            stand_in = twin.input[slot] if twin is not None and slot < len(twin.input) else ""
            if stand_in not in export_values or not bit_equal(export_values[stand_in], value):
                return False
    return True


def check_report_weights(report, stored, kept):
    """The report's export.stored is the graph's stored weights, export.kept_float lists
    every parameter kept float."""
    problems = []
    listed, found = ([(entry["variable"], entry["data_type"], entry["per_channel"])
                      for entry in entries] for entries in (report["stored"], stored))
    if sorted(listed) != sorted(found):
        problems.append("export.stored differs from the graph: only listed %s, only found %s"
                        % (sorted(set(listed) - set(found)), sorted(set(found) - set(listed))))
    missing = set(kept) - {entry["variable"] for entry in report["kept_float"]}
    if missing:
        problems.append("kept float, not in kept_float: %s" % ", ".join(sorted(missing)))
    return problems


def check_pairs(graph, report, full):
    """The activation pairs against the report's export.activations: their variables are
    the pair: true entries', one pair per entry that does not share its producer's."""
    entries = [entry for entry in report["activations"] if entry["pair"]]
    expected = {entry["variable"] for entry in entries}
    found = {graph.pair_variable(quantize, dequantize) for quantize, dequantize in graph.pairs}
    problems = []
    if not full and (graph.pairs or report["activations"]):
        problems.append("a weights export has activation pairs or entries")
    if found != expected:
        problems.append("pairs on %s but not in the report; in the report but no pair: %s"
                        % (sorted(found - expected), sorted(expected - found)))
    own = [entry for entry in entries if not entry["shared"]]
    if len(graph.pairs) != len(own):
        problems.append("%d pairs for %d pair: true entries that share none"
                        % (len(graph.pairs), len(own)))
    dead = graph.dead_pairs()
    if dead:
        problems.append("pairs whose output nothing reads: %s" % ", ".join(dead))
    return problems


def check_graph_unchanged(graph, baked):
    """Graph inputs and outputs are baked.onnx's; when the opset is unchanged, so are the
    nodes other than QuantizeLinear and DequantizeLinear (a pair's output read as its
    variable)."""
    problems = []
    interface = [[[value.name for value in getattr(model.graph, kind) if value.name not in
                   parameters] for kind in ("input", "output")]
                 for model, parameters in ((baked, parameter_tensors(baked)),
                                           (graph.model, graph.initializers))]
    if interface[0] != interface[1]:
        problems.append("graph inputs and outputs %s, baked.onnx's %s" % interface[::-1])
    renames = {dequantize.output[0]: quantize.input[0] for quantize, dequantize in graph.pairs
               if dequantize.output[0] not in graph.outputs}
    output_renames = graph.unquantized_outputs()
    ours = [comparable_node(node, renames, output_renames) for node in graph.model.graph.node
            if not is_op(node, "DequantizeLinear") and not is_op(node, "QuantizeLinear")]
    if (default_opset(graph.model) == default_opset(baked)
            and ours != [comparable_node(node, {}, {}) for node in baked.graph.node]):
        problems.append("the nodes other than QuantizeLinear and DequantizeLinear differ "
                        "from baked.onnx's")
    return problems


def comparable_node(node, renames, output_renames):
    """What must stay the same of a node, `renames` applied to its inputs and
    `output_renames` to its outputs."""
    return (node.domain or "", node.op_type, [renames.get(name, name) for name in node.input],
            [output_renames.get(name, name) for name in node.output],
            sorted(attribute.SerializeToString(deterministic=True)
                   for attribute in node.attribute))


# --- ONNX Runtime ----------------------------------------------------------------------

def calibrated_range(config, name):
    """(low, high) that the ACTIVATED per-tensor config of variable `name` in PPQ's
    config document represents, scale * (quant_min - zero_point .. quant_max -
    zero_point), or None."""
    for operation in config["configs"].values():
        entry = operation.get(name, {})
        value = config["values"].get(str(entry.get("dominator")))
        if entry.get("state") == "ACTIVATED" and entry["policy"]["PER_TENSOR"] and value:
            scale, zero_point = (float(np.ravel(value[key])[0])
                                 for key in ("scale", "zero_point"))
            return tuple(scale * (entry[key] - zero_point)
                         for key in ("quant_min", "quant_max"))
    return None


def random_inputs(model, config, seed=INPUT_SEED):
    """Random values for the graph inputs (unknown dimensions 1), float32 only: uniform
    over the range PPQ calibrated for them (which the quantized models do not clip),
    else standard normal."""
    rng = np.random.default_rng(seed)
    initializers = {tensor.name for tensor in model.graph.initializer}
    inputs = {}
    for value in (value for value in model.graph.input if value.name not in initializers):
        if value.type.tensor_type.elem_type != TensorProto.FLOAT:
            raise CheckFailure("graph input %s is no float32 tensor" % value.name)
        shape = [max(dim.dim_value, 1) for dim in value.type.tensor_type.shape.dim]
        span = calibrated_range(config, value.name)
        values = rng.uniform(*span, shape) if span else rng.standard_normal(shape)
        inputs[value.name] = values.astype(np.float32)
    return inputs


class OrtRunner:
    """Runs models in ONNX Runtime through ort_run.js on inputs written once. Tensors go
    as {type: ONNX Runtime's name (numpy's too), dims, data: raw little-endian bytes in
    base64}."""

    def __init__(self, ort_dir, work_dir, inputs):
        self.ort_dir = ort_dir
        self.inputs_path = os.path.join(work_dir, "inputs.json")
        encoded = {name: {"type": "float32", "dims": list(array.shape),
                          "data": base64.b64encode(array.astype("<f4").tobytes()).decode()}
                   for name, array in inputs.items()}
        with open(self.inputs_path, "w") as stream:
            json.dump(encoded, stream)

    def run(self, model_path, level):
        """name -> array of every output at graph optimization `level` (disabled,
        basic, extended, all; exact: disabled and no weight prepacking, the graph run
        node by node as written); CheckFailure with ONNX Runtime's message."""
        outputs_path = "%s.%s.outputs.json" % (model_path[:-len(".onnx")], level)
        options = (["--optimization", "disabled", "--no-prepack"] if level == "exact"
                   else ["--optimization", level])
        result = run_command(["node", ORT_RUN, self.ort_dir, model_path, self.inputs_path,
                              outputs_path] + options)
        if result.returncode != 0:
            raise CheckFailure("ONNX Runtime (optimization %s) fails on %s (exit %d): %s"
                               % (level, os.path.basename(model_path), result.returncode,
                                  result.stderr.strip()))
        with open(outputs_path) as stream:
            encoded = json.load(stream)
        return {name: np.frombuffer(base64.b64decode(entry["data"]), np.dtype(entry["type"])
                                    .newbyteorder("<")).reshape(entry["dims"])
                for name, entry in encoded.items()}


def run_command(command):
    """subprocess.run with the output captured as text; CheckFailure past the timeout."""
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise CheckFailure("`%s` ran over %d s" % (" ".join(command), COMMAND_TIMEOUT))


def compare(expected, actual):
    """Max abs diff, SNR in dB (inf when equal) and cosine similarity of `actual`."""
    expected = expected.astype(np.float64).ravel()
    actual = actual.astype(np.float64).ravel()
    noise = float(np.sum((expected - actual) ** 2))
    power = float(np.sum(expected ** 2))
    if noise == 0 or power == 0:
        snr = math.inf if noise == 0 else -math.inf
    else:
        snr = 10 * math.log10(power / noise)
    norms = float(np.linalg.norm(expected) * np.linalg.norm(actual))
    return {"max_abs_diff": float(np.max(np.abs(expected - actual), initial=0.0)),
            "snr_db": snr,
            "cosine": float(np.dot(expected, actual)) / norms if norms else float(noise == 0)}


def expose_dequantize_outputs(model, baked_values, path):
    """Saves at `path` a copy of `model` whose graph outputs also give every
    DequantizeLinear output that is a baked parameter; returns those names."""
    exposed = onnx.ModelProto()
    exposed.CopyFrom(model)
    listed = {value.name for value in exposed.graph.output}
    names = [node.output[0] for node in exposed.graph.node
             if is_op(node, "DequantizeLinear") and node.output[0] in baked_values]
    exposed.graph.output.extend(
        helper.make_tensor_value_info(name, TensorProto.FLOAT, list(baked_values[name].shape))
        for name in names if name not in listed)
    onnx.save(exposed, path)
    return names


# --- qbake and qbake-server ------------------------------------------------------------

def bake(qbake, case_dir, output, options, server=None):
    """`qbake bake` of the case's model and config to `output`, its report to
    OUTPUT.report.json; CheckFailure with its stderr if it fails."""
    command = [qbake, "bake", os.path.join(case_dir, "model.onnx"),
               "--config", os.path.join(case_dir, "ppq_config.json"), "--output", output,
               "--report", output[:-len(".onnx")] + ".report.json"]
    result = run_command(command + options + (["--server", server] if server else []))
    if result.returncode != 0:
        raise CheckFailure("`%s` exited %d:\n%s"
                           % (" ".join(command), result.returncode, result.stderr.rstrip()))
    with open(output[:-len(".onnx")] + ".report.json") as stream:
        return json.load(stream)


def same_bytes(left, right):
    with open(left, "rb") as a, open(right, "rb") as b:
        return a.read() == b.read()


LISTENING = "qbake-server listening on "


def terminate_with_parent():
    """In a child, before exec: SIGTERM once this process ends, however it ends (even
    by SIGKILL from a ctest timeout), so that no server is left behind."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


@contextlib.contextmanager
def qbake_server(binary, work_dir):
    """A qbake-server on a free loopback port for the `with` block, yielding HOST:PORT;
    stopped (SIGTERM, then SIGKILL after 30 s) however the block ends."""
    log_path = os.path.join(work_dir, "qbake-server.log")
    with open(log_path, "wb") as log:
        process = subprocess.Popen([binary, "--listen", "127.0.0.1:0", "--threads", "1"],
                                   stdout=subprocess.PIPE, stderr=log,
                                   preexec_fn=terminate_with_parent)
    try:
        ready, _, _ = select.select([process.stdout], [], [], 30)
        line = process.stdout.readline().decode() if ready else ""
        if not line.startswith(LISTENING):
            raise CheckFailure("no listening line from qbake-server (%r); its log: %s"
                               % (line, log_path))
        yield line[len(LISTENING):].split(",")[0].strip()
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        process.stdout.close()


# --- One case --------------------------------------------------------------------------

class CaseCheck:
    """Every check of one case. A failed check is recorded in `failures` and the checks
    that do not depend on it still run; a failed bake or ONNX Runtime run ends that
    export's checks (for baked.onnx, the case's)."""

    def __init__(self, name, args, server):
        self.name, self.args, self.server = name, args, server
        self.case_dir = os.path.join(args.data, name)
        self.work_dir = os.path.join(args.work, name)
        self.failures, self.notes = [], []
        self.figures = {"case": name, "exports": {}}
        self.reference_runs = {}

    def run(self):
        """Runs the checks; True when all passed."""
        shutil.rmtree(self.work_dir, ignore_errors=True)
        os.makedirs(os.path.join(self.work_dir, "remote"))
        if self.attempt("baked", self.prepare):
            for export in EXPORTS:
                self.attempt(export[0], self.check_export, *export)
        self.figures.update(notes=self.notes, failures=self.failures)
        return not self.failures

    def attempt(self, label, check, *args):
        """check(*args), or None with its CheckFailure recorded under `label`."""
        try:
            return check(*args)
        except CheckFailure as failure:
            self.failures.append("%s: %s" % (label, failure))
            return None

    def bake(self, stem, options):
        """Bakes WORK/stem.onnx (and its config JSON and report) locally and, with a
        server, remotely, which must give the same bytes and report export section.
        Returns the local model's path and report."""
        path = os.path.join(self.work_dir, stem + ".onnx")
        report = bake(self.args.qbake, self.case_dir, path, options)
        if self.server:
            remote = os.path.join(self.work_dir, "remote", stem + ".onnx")
            remote_report = bake(self.args.qbake, self.case_dir, remote, options, self.server)
            for suffix in (".onnx", ".json"):
                if not same_bytes(path[:-5] + suffix, remote[:-5] + suffix):
                    raise CheckFailure("%s%s from qbake-server differs from the local one"
                                       % (stem, suffix))
            if remote_report.get("export") != report.get("export"):
                raise CheckFailure("the report's export section from qbake-server differs")
        return path, report

    def prepare(self):
        """Bakes baked.onnx; finds the baked parameters; makes the reference and inputs."""
        self.baked_path, _ = self.bake("baked", [])
        self.baked = load(self.baked_path)
        self.baked_values = parameter_values(self.baked)
        original = parameter_values(load(os.path.join(self.case_dir, "model.onnx")))
        self.changed = {name: value for name, value in self.baked_values.items()
                        if name not in original or not bit_equal(original[name], value)}
        baked_bytes = model_bytes(self.baked_path)
        share = sum(value.nbytes for value in self.changed.values()) / baked_bytes
        self.figures.update(baked_bytes=baked_bytes, baked_parameters=len(self.changed),
                            baked_parameter_share=share,
                            weight_dominated=share >= WEIGHT_DOMINATED_SHARE)
        reference, notes = make_reference(self.baked)
        self.notes += notes
        self.reference_path = self.baked_path
        if reference is not self.baked:
            self.reference_path = os.path.join(self.work_dir, "reference.onnx")
            onnx.save(reference, self.reference_path)
        with open(os.path.join(self.case_dir, "ppq_config.json")) as stream:
            inputs = random_inputs(self.baked, json.load(stream))
        self.runner = OrtRunner(self.args.ort, self.work_dir, inputs)
        return True

    def check_export(self, label, export_format, activations):
        """Bakes one export and runs its checks."""
        path, report = self.bake(label.replace(" ", "."), ["--format", export_format,
                                                           "--qdq-activations", activations])
        if "export" not in report:
            raise CheckFailure("its report has no export section")
        report = report["export"]
        graph = Graph(load(path))
        figures = self.figures["exports"][label] = {
            "bytes": model_bytes(path), "opset": default_opset(graph.model),
            "report_stored": len(report["stored"]),
            "report_kept_float": len(report["kept_float"])}
        figures["ratio"] = figures["bytes"] / self.figures["baked_bytes"]
        self.attempt(label, run_checker, graph.model)
        self.check_structure(label, graph, report, export_format == "qdq-float",
                             activations == "all", figures)
        if activations == "none":
            self.check_bit_exact(label, path, graph, figures)
            self.check_weights_outputs(label, path, figures)
            if (export_format == "qdq" and self.figures["weight_dominated"]
                    and figures["ratio"] > SIZE_RATIO_LIMIT):
                self.failures.append("%s: %.3f of baked.onnx, above %.2f for a weight-"
                                     "dominated case"
                                     % (label, figures["ratio"], SIZE_RATIO_LIMIT))
        else:
            self.check_full_outputs(label, path, figures)

    def check_structure(self, label, graph, report, float_format, full, figures):
        """Weights, report, activation pairs and the unchanged graph."""
        stored, kept, problems = check_weights(graph, self.baked, self.baked_values,
                                               self.changed, float_format)
        problems += check_report_weights(report, stored, kept)
        problems += check_pairs(graph, report, full) + check_graph_unchanged(graph, self.baked)
        self.failures += ["%s: %s" % (label, problem) for problem in problems]
        figures.update(
            dequantize_by_type=Counter(entry["data_type"] for entry in stored),
            per_channel=sum(entry["per_channel"] for entry in stored), kept_float=kept,
            activations=len(report["activations"]), pairs=len(graph.pairs),
            pair_entries=sum(entry["pair"] for entry in report["activations"]))

    def check_bit_exact(self, label, path, graph, figures):
        """ONNX Runtime computes every weight DequantizeLinear output equal to
        baked.onnx's tensor bit for bit, node by node and with default optimizations."""
        exposed_path = path[:-5] + ".exposed.onnx"
        names = expose_dequantize_outputs(graph.model, self.baked_values, exposed_path)
        exact = set(names)
        for level in ("exact", "all"):
            outputs = self.attempt(label, self.runner.run, exposed_path, level) or {}
            exact = {name for name in exact if name in outputs
                     and bit_equal(outputs[name], self.baked_values[name])}
        self.failures += ["%s: DequantizeLinear output %s is not baked.onnx's tensor bit for "
                          "bit in ONNX Runtime" % (label, name) for name in names
                          if name not in exact]
        figures.update(dequantize_outputs=len(names), bit_exact_tensors=len(exact),
                       bit_exact_elements=sum(self.baked_values[name].size for name in exact))

    def check_weights_outputs(self, label, path, figures):
        """Outputs bit-identical to the reference's node by node; figures with the
        default optimizations."""
        outputs = figures["outputs"] = {}
        for name, expected, actual in self.attempt(label, self.outputs, path, "exact") or ():
            outputs[name] = {"bit_identical_no_opt": bit_equal(expected, actual)}
            if not outputs[name]["bit_identical_no_opt"]:
                self.failures.append("%s: output %s is not bit-identical to the reference's "
                                     "without optimizations" % (label, name))
        figures["optimization"] = "all"
        for name, expected, actual in self.attempt(label, self.outputs, path, "all") or ():
            outputs.setdefault(name, {}).update(compare(expected, actual))

    def check_full_outputs(self, label, path, figures):
        """Finite outputs at the level full_export_level finds (what a deployment runs;
        its figures are recorded), and at 'basic', where ONNX Runtime computes each
        QuantizeLinear and DequantizeLinear as ONNX defines them and fuses none into
        its integer kernels, an SNR of SNR_FLOOR_DB or more for each output: the
        export means what PPQ's quantization means. The fused integer kernels' figures
        depend on the CPU: without VNNI, x86's u8s8 kernels saturate 16-bit pair sums
        (ONNX Runtime's quantization docs advise reduce_range there)."""
        level = self.attempt(label, self.full_export_level, label, path)
        figures.update(optimization=level, outputs={},
                       refused_by_default_optimizations=level == "basic")
        if level is None:
            return
        outputs = figures["outputs"]
        for name, expected, actual in self.attempt(label, self.outputs, path, level) or ():
            outputs[name] = compare(expected, actual)
            if not np.all(np.isfinite(actual)):
                self.failures.append("%s: output %s is not finite" % (label, name))
        for name, expected, actual in self.attempt(label, self.outputs, path, "basic") or ():
            basic = compare(expected, actual)
            outputs.setdefault(name, {})["snr_db_basic"] = basic["snr_db"]
            if not basic["snr_db"] >= SNR_FLOOR_DB:
                self.failures.append("%s: output %s has SNR %.1f dB at 'basic', below %.0f dB"
                                     % (label, name, basic["snr_db"], SNR_FLOOR_DB))

    def full_export_level(self, label, path):
        """'all' (the default optimizations), or for an EXPECTED_ORT_REFUSALS entry
        'basic', after checking that 'all' fails with the expected message."""
        refusal = EXPECTED_ORT_REFUSALS.get((self.name, label))
        if not refusal:
            return "all"
        try:
            self.runner.run(path, "all")
        except CheckFailure as failure:
            if refusal in str(failure):
                return "basic"
            raise
        raise CheckFailure("ONNX Runtime now runs it with its default optimizations: "
                           "remove its EXPECTED_ORT_REFUSALS entry")

    def outputs(self, path, level):
        """(name, reference value, export value) of each output at `level`; the
        reference runs once per level."""
        if level not in self.reference_runs:
            self.reference_runs[level] = self.runner.run(self.reference_path, level)
        expected = self.reference_runs[level]
        actual = self.runner.run(path, level)
        if {name: value.shape for name, value in actual.items()} != {
                name: value.shape for name, value in expected.items()}:
            raise CheckFailure("its outputs' names or shapes differ from the reference's")
        return [(name, value, actual[name]) for name, value in expected.items()]


# --- Figures and the command line ------------------------------------------------------

TABLE_COLUMNS = ("case", "export", "bytes", "ratio", "DequantizeLinear", "kept float",
                 "pairs", "bit-exact", "ORT opt", "min SNR dB", "max abs diff", "min cosine",
                 "min SNR dB, basic")


def table_rows(check):
    """The case's lines of the figures table: baked.onnx's, then each export's."""
    if "baked_bytes" in check.figures:
        yield [check.name, "baked", check.figures["baked_bytes"], "1.000", "(parameters "
               "%.1f%% of bytes)" % (100 * check.figures["baked_parameter_share"])] + ["-"] * 8
    for label, export in check.figures["exports"].items():
        outputs = export.get("outputs", {}).values()
        worst = [op([values[key] for values in outputs if key in values], default=None)
                 for op, key in ((min, "snr_db"), (max, "max_abs_diff"), (min, "cosine"),
                                 (min, "snr_db_basic"))]
        bit_exact = "-"
        if "bit_exact_tensors" in export:
            bit_exact = "%d/%d tensors%s" % (
                export["bit_exact_tensors"], export["dequantize_outputs"],
                ", outputs" if all(v.get("bit_identical_no_opt") for v in outputs) else "")
        yield [check.name, label, export["bytes"], "%.3f" % export["ratio"],
               ", ".join("%d %s" % (count, name) for name, count
                         in sorted(export.get("dequantize_by_type", {}).items())) or "-",
               export["report_kept_float"], export.get("pairs", "-"), bit_exact,
               export.get("optimization") or "-"] + [
                   "-" if value is None else text % value
                   for text, value in zip(("%.1f", "%.3g", "%.6f", "%.1f"), worst)]


def print_table(checks):
    """The figures of every case as a markdown table (for docs/EXPORT.md)."""
    print("| %s |" % " | ".join(TABLE_COLUMNS))
    print("|%s" % ("---|" * len(TABLE_COLUMNS)))
    for check in checks:
        for row in table_rows(check):
            print("| %s |" % " | ".join(str(cell) for cell in row))


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--qbake", required=True, help="the qbake CLI")
    parser.add_argument("--ort", required=True,
                        help="the onnxruntime-node package folder (.ort/node_modules/...)")
    parser.add_argument("--data", required=True, help="tests/data/ppq_e2e")
    parser.add_argument("--work", required=True, help="a folder for the models made")
    parser.add_argument("--server-binary", help="also bake on this qbake-server")
    parser.add_argument("--case", action="append", help="a case to check (default: all)")
    parser.add_argument("--json", help="write every figure to this JSON file")
    args = parser.parse_args(argv)
    args.work, args.ort = os.path.abspath(args.work), os.path.abspath(args.ort)
    return args


def check_environment(args):
    """The tools this run needs, or CheckFailure saying how to get them."""
    if not os.path.isfile(os.path.join(args.ort, "package.json")):
        raise CheckFailure("no onnxruntime-node at %s: run .ci/install-deps" % args.ort)
    if shutil.which("node") is None:
        raise CheckFailure("no `node` on PATH: run .ci/install-deps")
    for path in (args.qbake, args.server_binary):
        if path and not os.access(path, os.X_OK):
            raise CheckFailure("%s is no executable" % path)


def check_cases(args, server):
    """Runs every case, printing its notes and failures; returns the CaseChecks."""
    names = args.case or sorted(name for name in os.listdir(args.data)
                                if os.path.isfile(os.path.join(args.data, name, "model.onnx")))
    checks = []
    for name in names:
        check = CaseCheck(name, args, server)
        passed = check.run()
        for line in ["note: " + note for note in check.notes] + [
                "FAILED: " + failure for failure in check.failures]:
            print("%s: %s" % (name, line))
        print("%s: %s" % (name, "passed" if passed else "FAILED"), flush=True)
        checks.append(check)
    return checks


def json_ready(value):
    """Figures with infinities as strings, since JSON has none."""
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_ready(item) for item in value]
    return value


def write_json(path, args, checks):
    with open(os.path.join(args.ort, "package.json")) as stream:
        ort_version = json.load(stream).get("version")
    document = {"onnxruntime_node": ort_version, "onnx": onnx.__version__,
                "input_seed": INPUT_SEED, "size_ratio_limit": SIZE_RATIO_LIMIT,
                "weight_dominated_share": WEIGHT_DOMINATED_SHARE, "snr_floor_db": SNR_FLOOR_DB,
                "expected_ort_refusals": [
                    {"case": case, "export": label, "message": text}
                    for (case, label), text in EXPECTED_ORT_REFUSALS.items()],
                "passed": all(not check.failures for check in checks),
                "cases": [check.figures for check in checks]}
    with open(path, "w") as stream:
        json.dump(json_ready(document), stream, indent=2)
        stream.write("\n")


def main(argv):
    # SIGTERM (ctest's timeout, a CI stop) ends the run through SystemExit, so that the
    # `with` block stops the server on the way out.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    args = parse_args(argv)
    os.makedirs(args.work, exist_ok=True)
    try:
        check_environment(args)
        if args.server_binary:
            with qbake_server(args.server_binary, args.work) as address:
                checks = check_cases(args, address)
        else:
            checks = check_cases(args, None)
    except CheckFailure as failure:
        print("ort_check: FAILED: %s" % failure, file=sys.stderr)
        return 1
    print_table(checks)
    if args.json:
        write_json(args.json, args, checks)
    failed = [check.name for check in checks if check.failures]
    print("%d passed, %d failed" % (len(checks) - len(failed), len(failed)))
    if failed:
        print("ort_check: FAILED cases: %s" % ", ".join(failed), file=sys.stderr)
    return 1 if failed or not checks else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
