#!/usr/bin/env node
// Runs one ONNX model in ONNX Runtime (onnxruntime-node, CPU) for ort_check.py.
//
// Usage: node ort_run.js ORT_MODULE_DIR MODEL.onnx INPUTS.json OUTPUTS.json
//                        [--optimization LEVEL] [--no-prepack]
//
//   ORT_MODULE_DIR  the onnxruntime-node package folder (.ort/node_modules/onnxruntime-node)
//   INPUTS.json     {"NAME": {"type": "float32", "dims": [1, 3], "data": "<base64>"}, ...}
//                   where data is the tensor's raw little-endian bytes
//   OUTPUTS.json    written with every model output in the same form
//   --optimization LEVEL
//                   ONNX Runtime's graphOptimizationLevel: disabled (the graph runs node
//                   by node as written, no constant folding or fusion), basic (constant
//                   folding and semantics-preserving fusions; QuantizeLinear /
//                   DequantizeLinear groups become QLinear kernels only from extended
//                   on), extended, all (the default, as a deployment runs it)
//   --no-prepack    session.disable_prepacking: no kernel packs a constant weight ahead
//                   of time. A MatMul's or Gemm's initializer weight, packed, goes
//                   through another kernel than a weight computed by DequantizeLinear,
//                   whose sums come out a few ulps apart
//
// One intra-op thread: results do not depend on how work is split, and the machine's
// cores stay free for the build. Any error (load, feeds, run, an output type with no
// raw bytes) is printed on stderr and the exit status is 1.
'use strict';

const fs = require('fs');
const path = require('path');

// Tensor types ort_check.py sends and the typed arrays that hold their bytes.
const INPUT_ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

const LEVELS = ['disabled', 'basic', 'extended', 'all'];

function usage() {
  return 'usage: node ort_run.js ORT_MODULE_DIR MODEL.onnx INPUTS.json OUTPUTS.json ' +
         `[--optimization ${LEVELS.join('|')}] [--no-prepack]`;
}

function parseArgs(argv) {
  const args = {optimization: 'all', prepack: true};
  const positionals = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--no-prepack') {
      args.prepack = false;
    } else if (argv[i] === '--optimization' && LEVELS.includes(argv[i + 1])) {
      args.optimization = argv[++i];
    } else if (argv[i].startsWith('--')) {
      throw new Error(usage());
    } else {
      positionals.push(argv[i]);
    }
  }
  if (positionals.length !== 4) throw new Error(usage());
  [args.ortDir, args.model, args.inputs, args.outputs] = positionals;
  return args;
}

// One JSON entry -> ort.Tensor. The bytes are copied into a fresh ArrayBuffer so the
// typed array is aligned whatever Buffer's pool offset is.
function decodeTensor(ort, name, entry) {
  const ArrayType = INPUT_ARRAYS[entry.type];
  if (ArrayType === undefined) throw new Error(`input ${name}: unsupported type '${entry.type}'`);
  const bytes = Buffer.from(entry.data, 'base64');
  if (bytes.length % ArrayType.BYTES_PER_ELEMENT !== 0) {
    throw new Error(`input ${name}: ${bytes.length} bytes is no whole number of ${entry.type}`);
  }
  const buffer = new ArrayBuffer(bytes.length);
  new Uint8Array(buffer).set(bytes);
  return new ort.Tensor(entry.type, new ArrayType(buffer), entry.dims);
}

// ort.Tensor -> JSON entry: the raw bytes of whatever typed array holds the data, so
// any numeric type ONNX Runtime hands out reaches Python unchanged (int8, uint8, int32,
// int64, float16 ...). onnxruntime-node 1.30 has no float8 tensors: a model with a
// float8e4m3fn or float8e5m2 output fails to load ("Unsupported data type: 17"), so
// ort_check.py only asks for float outputs (float8 weights are read from the file).
function encodeTensor(name, tensor) {
  const data = tensor.data;
  if (!ArrayBuffer.isView(data)) {
    throw new Error(`output ${name}: type '${tensor.type}' has no raw bytes`);
  }
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return {type: tensor.type, dims: Array.from(tensor.dims), data: bytes.toString('base64')};
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const ort = require(path.resolve(args.ortDir));
  // logSeverityLevel 4 (fatal only): ONNX Runtime's own error lines would repeat, in
  // color, the message the thrown error carries.
  const options = {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    logSeverityLevel: 4,
    graphOptimizationLevel: args.optimization,
  };
  if (!args.prepack) options.extra = {session: {disable_prepacking: '1'}};
  const session = await ort.InferenceSession.create(args.model, options);

  const entries = JSON.parse(fs.readFileSync(args.inputs, 'utf8'));
  const feeds = {};
  for (const [name, entry] of Object.entries(entries)) {
    feeds[name] = decodeTensor(ort, name, entry);
  }

  const results = await session.run(feeds);
  const outputs = {};
  for (const name of session.outputNames) outputs[name] = encodeTensor(name, results[name]);
  fs.writeFileSync(args.outputs, JSON.stringify(outputs));
}

main().catch((error) => {
  process.stderr.write(`ort_run: ${error && error.message ? error.message : error}\n`);
  process.exit(1);
});
