#!/usr/bin/python3
"""A client in another language: Python stubs generated from qbake/v1/bake.proto at
test time (with Debian's python3-grpcio) bake one PPQ end-to-end case on the real
qbake-server. The configs come from PPQ's config document through a small JSON to
TensorQuantConfig conversion; the answer must carry PPQ's states and baked tensors
(read from expected_baked.onnx with Python code generated from ONNX's own
onnx.proto, not the onnx package). Asked for the QDQ export (BakeOptions.format), the
server sends the exported model, which this client rebuilds; each stored weight,
dequantized here with numpy as ONNX defines DequantizeLinear, must be PPQ's baked
value bit for bit. Last, the request is made as grpcurl makes one from its -d JSON
(protobuf's JSON mapping: the model base64, PPQ's document as it is in
ppq_config_json): the answer must be the same bake, and carry the updated document
byte for byte as `qbake bake --config-out` writes it. Exits non-zero on any failure.

Bookworm's grpc_tools bundles libprotoc 3.5, which rejects the proto3 `optional`
fields of bake.proto, so the stubs are generated with the system protoc and
grpc_python_plugin instead.
"""

import argparse
import json
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile

POLICY_BITS = {
    "PER_TENSOR": 0x01, "PER_CHANNEL": 0x02, "LINEAR": 0x04, "FLOATING": 0x08,
    "SYMMETRICAL": 0x10, "ASYMMETRICAL": 0x20, "POWER_OF_2": 0x40, "DYNAMIC": 0x80,
}


class TestFailure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def generate_modules(args, out):
    """bake_pb2 / bake_pb2_grpc, and onnx_pb2 from onnx.proto copied under `out`."""
    subprocess.run(
        [args.protoc, "-I" + args.proto_dir, "--python_out=" + out, "--grpc_python_out=" + out,
         "--plugin=protoc-gen-grpc_python=" + args.grpc_python_plugin,
         os.path.join(args.proto_dir, "qbake", "v1", "bake.proto")], check=True)
    schema = os.path.join(out, "schema")
    os.mkdir(schema)
    shutil.copy(args.onnx_proto, os.path.join(schema, "onnx.proto"))
    subprocess.run([args.protoc, "-I" + schema, "--python_out=" + out,
                    os.path.join(schema, "onnx.proto")], check=True)
    sys.path.insert(0, out)


def start_server(server, stderr_file):
    """Starts qbake-server on a free loopback port; returns (process, port)."""
    process = subprocess.Popen([server, "--listen", "127.0.0.1:0", "--threads", "2"],
                               stdout=subprocess.PIPE, stderr=stderr_file)
    ready, _, _ = select.select([process.stdout], [], [], 20)
    line = process.stdout.readline().decode() if ready else ""
    prefix = "qbake-server listening on "
    if not line.startswith(prefix):
        process.kill()
        raise TestFailure("no listening line from qbake-server: %r" % line)
    return process, int(line.strip().rsplit(":", 1)[1])


def scale_values(document, config):
    """The config's scale and zero_point lists, through values[dominator] or values[hash]."""
    values = document.get("values", {})
    entry = values.get(str(config.get("dominator"))) or values.get(str(config.get("hash"))) or {}
    as_list = lambda v: v if isinstance(v, list) else [v]
    return as_list(entry.get("scale", [])), as_list(entry.get("zero_point", []))


def tensor_configs(bake_pb2, document):
    """One TensorQuantConfig per (operation, variable), in document order."""
    configs = []
    for operation, variables in document["configs"].items():
        for variable, config in variables.items():
            wire = bake_pb2.TensorQuantConfig(
                operation=operation, variable=variable,
                policy=sum(bit for name, bit in POLICY_BITS.items() if config["policy"][name]),
                bit_width=config["bit_width"], quant_min=config["quant_min"],
                quant_max=config["quant_max"], state=bake_pb2.QuantState.Value(config["state"]))
            if operation in document.get("dispatchings", {}):
                wire.platform = document["dispatchings"][operation]
            scale, zero_point = scale_values(document, config)
            wire.scale.extend(scale)
            wire.zero_point.extend(zero_point)
            configs.append(wire)
    return configs


def rebuild_tensors(events):
    tensors = {}
    for event in events:
        if event.WhichOneof("event") != "tensor":
            continue
        chunk = event.tensor
        data = tensors.setdefault(chunk.name, bytearray())
        check(chunk.offset == len(data), "chunk of %s at %d, expected %d"
              % (chunk.name, chunk.offset, len(data)))
        data.extend(chunk.data)
    return tensors


def expected_parameters(onnx_pb2, path):
    """Every initializer and Constant value of the expected model as raw bytes."""
    model = onnx_pb2.ModelProto()
    with open(path, "rb") as f:
        model.ParseFromString(f.read())
    tensors = {t.name: t for t in model.graph.initializer}
    for node in model.graph.node:
        for attribute in node.attribute:
            if node.op_type == "Constant" and attribute.name == "value":
                tensors[node.output[0]] = attribute.t
    raw = lambda t: t.raw_data or struct.pack("<%df" % len(t.float_data), *t.float_data)
    return {name: raw(tensor) for name, tensor in tensors.items()}


def check_bake(bake_pb2, onnx_pb2, events, case_dir):
    check(events and events[-1].WhichOneof("event") == "summary", "the summary is not last")
    updates = [e.config for e in events if e.WhichOneof("event") == "config"]
    with open(os.path.join(case_dir, "states.json")) as f:
        states = json.load(f)
    matched = 0
    for update in updates:
        state = states.get(update.variable)
        if state is None or state["operation"] != update.operation:
            continue
        matched += 1
        check(bake_pb2.QuantState.Name(update.before) == state["before"],
              "%s: before %s" % (update.variable, bake_pb2.QuantState.Name(update.before)))
        check(bake_pb2.QuantState.Name(update.after) == state["after"],
              "%s: after %s" % (update.variable, bake_pb2.QuantState.Name(update.after)))
    check(matched == len(states), "%d of %d states matched" % (matched, len(states)))
    baked = {u.variable for u in updates if u.baked}
    summary = events[-1].summary
    check(summary.baked + summary.passive_baked == len(baked), "summary counts")
    tensors = rebuild_tensors(events)
    check(set(tensors) == baked and baked, "streamed tensors %s" % sorted(tensors))
    expected = expected_parameters(onnx_pb2, os.path.join(case_dir, "expected_baked.onnx"))
    for name in sorted(baked):
        check(bytes(tensors[name]) == expected[name], "%s differs from PPQ's" % name)
    return len(baked)


def rebuild_export(onnx_pb2, events):
    """The exported model from an export's ModelChunks and ExportedTensorChunks: the
    model's bytes, then each initializer left without raw_data filled in graph order."""
    kinds = [e.WhichOneof("event") for e in events]
    check("tensor" not in kinds, "an export's reply carries TensorChunks")
    check(kinds.count("export_report") == 1, "%d ExportReports" % kinds.count("export_report"))
    model_bytes = b"".join(e.model.data for e in events if e.WhichOneof("event") == "model")
    model = onnx_pb2.ModelProto()
    model.ParseFromString(model_bytes)
    chunks = [e.exported_tensor for e in events if e.WhichOneof("event") == "exported_tensor"]
    for tensor in model.graph.initializer:
        if tensor.HasField("raw_data"):
            continue
        data = bytearray()
        while chunks and chunks[0].name == tensor.name:
            data.extend(chunks.pop(0).data)
        tensor.raw_data = bytes(data)
    check(not chunks, "exported tensor chunks left over: %s" % chunks[:1])
    return model


NUMPY_TYPES = {2: "uint8", 3: "int8", 6: "int32"}  # onnx.TensorProto.DataType


def check_export(onnx_pb2, events, case_dir):
    """Every DequantizeLinear of the exported model gives PPQ's baked parameter bit for
    bit, computed here as ONNX defines it: (q - zero_point) * scale in float32."""
    import numpy
    model = rebuild_export(onnx_pb2, events)
    check(any(o.domain in ("", "ai.onnx") and o.version >= 13 for o in model.opset_import),
          "the export's opset is below 13")
    initializers = {t.name: t for t in model.graph.initializer}
    expected = expected_parameters(onnx_pb2, os.path.join(case_dir, "expected_baked.onnx"))
    checked = 0
    for node in model.graph.node:
        if node.op_type != "DequantizeLinear" or node.input[0] not in initializers:
            continue
        stored = initializers[node.input[0]]
        array = lambda t, dtype: numpy.frombuffer(t.raw_data, dtype=dtype)
        q = array(stored, NUMPY_TYPES[stored.data_type]).reshape(tuple(stored.dims))
        scale = array(initializers[node.input[1]], "<f4")
        zero = (array(initializers[node.input[2]], NUMPY_TYPES[stored.data_type])
                if len(node.input) > 2 else numpy.zeros(1, "int32"))
        axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
        shape = [1] * q.ndim
        if scale.size > 1:
            shape[axis] = scale.size
        values = ((q.astype("<f4") - zero.astype("<f4").reshape(shape))
                  * scale.reshape(shape)).astype("<f4")
        check(values.tobytes() == expected[node.output[0]],
              "%s: the export's DequantizeLinear differs from PPQ's baked value" % node.output[0])
        checked += 1
    check(checked > 0, "no DequantizeLinear of a stored weight in the export")
    return checked


def grpcurl_request(bake_pb2, case_dir):
    """The BakeRequest grpcurl makes from `-d '{"model": ..., "ppq_config_json": ...}'`
    with the two files PPQ wrote: protobuf's JSON mapping, bytes as base64."""
    import base64
    from google.protobuf import json_format
    with open(os.path.join(case_dir, "model.onnx"), "rb") as f:
        model = base64.b64encode(f.read()).decode()
    with open(os.path.join(case_dir, "ppq_config.json")) as f:
        document = f.read()
    text = json.dumps({"model": model, "ppq_config_json": document})
    return json_format.Parse(text, bake_pb2.BakeRequest())


def rebuild_document(events):
    """The updated config document from its ConfigDocumentChunks, which come before
    the ConfigUpdates."""
    kinds = [e.WhichOneof("event") for e in events]
    check("config_document" in kinds, "no ConfigDocumentChunk")
    check(kinds.index("config") > max(i for i, k in enumerate(kinds) if k == "config_document"),
          "a ConfigUpdate before the document")
    data = bytearray()
    for event in events:
        if event.WhichOneof("event") == "config_document":
            check(event.config_document.offset == len(data), "document chunk out of order")
            data.extend(event.config_document.data)
    return bytes(data)


def cli_config_out(args, scratch):
    """The document `qbake bake --config-out` writes for the case."""
    out = os.path.join(scratch, "cli")
    os.mkdir(out)
    subprocess.run([args.qbake, "bake", os.path.join(args.case, "model.onnx"), "--config",
                    os.path.join(args.case, "ppq_config.json"), "--output",
                    os.path.join(out, "model.onnx"), "--config-out", os.path.join(out, "config.json")],
                   check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "config.json"), "rb") as f:
        return f.read()


def run(args, scratch):
    generate_modules(args, scratch)
    import grpc
    from qbake.v1 import bake_pb2, bake_pb2_grpc
    import onnx_pb2

    with open(os.path.join(args.case, "ppq_config.json")) as f:
        document = json.load(f)
    with open(os.path.join(args.case, "model.onnx"), "rb") as f:
        request = bake_pb2.BakeRequest(model=f.read(), configs=tensor_configs(bake_pb2, document))
    with open(os.path.join(scratch, "stderr.txt"), "wb") as stderr_file:
        process, port = start_server(args.server, stderr_file)
        try:
            with grpc.insecure_channel("127.0.0.1:%d" % port) as channel:
                stub = bake_pb2_grpc.BakerStub(channel)
                events = list(stub.Bake(request, timeout=60))
                request.options.format = bake_pb2.EXPORT_QDQ
                export_events = list(stub.Bake(request, timeout=60))
                document_events = list(stub.Bake(grpcurl_request(bake_pb2, args.case), timeout=60))
            tensors = check_bake(bake_pb2, onnx_pb2, events, args.case)
            exported = check_export(onnx_pb2, export_events, args.case)
            check(check_bake(bake_pb2, onnx_pb2, document_events, args.case) == tensors,
                  "the bake of PPQ's document differs")
            check(rebuild_document(document_events) == cli_config_out(args, scratch),
                  "the updated document differs from qbake bake --config-out's")
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise
    check(code == 0, "qbake-server exited %d" % code)
    print("python client: %d baked tensors equal PPQ's, states match; the QDQ export's %d "
          "stored weights give PPQ's values; PPQ's document as grpcurl sends it bakes the same "
          "and comes back as --config-out writes it" % (tensors, exported))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag in ("--server", "--qbake", "--protoc", "--grpc-python-plugin", "--proto-dir",
                 "--onnx-proto", "--case"):
        parser.add_argument(flag, required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qbake_python_client_") as scratch:
        try:
            run(args, scratch)
        except (TestFailure, subprocess.SubprocessError) as failure:
            print("python client: FAILED: %s" % failure, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
