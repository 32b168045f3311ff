#!/usr/bin/python3
"""Bakes a model on a qbake-server and checks the result against PPQ's own bake.

    compare_with_ppq.py CASE_DIR --server HOST:PORT [--output DIR]

CASE_DIR holds what PPQ wrote for the model, quantized with baking_parameter = False
(model.onnx, ppq_config.json), and the model PPQ baked itself (expected_baked.onnx),
as each case of tests/data/ppq_e2e does. Every parameter, initializer or Constant, of
qbake's output must hold PPQ's values bit for bit. Needs python3-onnx and
python3-numpy besides the qbake package. Exits 1 on any difference.
"""

import argparse
import pathlib
import sys
import tempfile
from typing import Dict

import numpy
import onnx
from onnx import numpy_helper

import qbake


def parameters(model: onnx.ModelProto) -> Dict[str, numpy.ndarray]:
    """Every initializer and Constant output of the main graph, by name."""
    found = {tensor.name: numpy_helper.to_array(tensor) for tensor in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant":
            value = next(a.t for a in node.attribute if a.name == "value")
            found[node.output[0]] = numpy_helper.to_array(value)
    return found


def bytes_of(values: numpy.ndarray) -> numpy.ndarray:
    """The bytes of each value, a row each: bit patterns, so -0.0 differs from 0.0."""
    flat = numpy.ascontiguousarray(values).reshape(-1)
    return flat.view(numpy.uint8).reshape(flat.size, flat.itemsize)


def differences(baked: onnx.ModelProto, expected: onnx.ModelProto) -> Dict[str, int]:
    """For each parameter whose bits differ, the number of values that do."""
    ours, ppqs = parameters(baked), parameters(expected)
    different = {}
    for name, values in ppqs.items():
        mine = ours.get(name)
        if mine is None or mine.shape != values.shape or mine.dtype != values.dtype:
            different[name] = values.size
            continue
        differ = (bytes_of(mine) != bytes_of(values)).any(axis=1)
        if differ.any():
            different[name] = int(differ.sum())
    return different


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", type=pathlib.Path)
    parser.add_argument("--server", required=True)
    parser.add_argument("--output", type=pathlib.Path)
    args = parser.parse_args()
    output = args.output or pathlib.Path(tempfile.mkdtemp(prefix="qbake-compare-"))
    with qbake.Client(args.server) as client:
        summary = client.bake_files(args.case / "model.onnx", args.case / "ppq_config.json",
                                    output / "model.onnx", config_out=output / "ppq_config.json")
    baked = onnx.load(str(output / "model.onnx"))
    expected = onnx.load(str(args.case / "expected_baked.onnx"))
    different = differences(baked, expected)
    for name, count in sorted(different.items()):
        print("%s: %d values differ from PPQ's bake" % (name, count))
    print("%s: %d configs baked, %d passive; %d parameters compared, %d differ from PPQ's"
          % (args.case.name, summary.baked, summary.passive_baked, len(parameters(expected)),
             len(different)))
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
