"""qbake: bake PPQ-quantized ONNX models on a qbake-server, from Python.

Baking rewrites every constant parameter of a quantized model with its
quantized-then-dequantized value, bit for bit as PPQ's ParameterBakingPass does, and
moves its config to BAKED or PASSIVE_BAKED. Give qbake the model and the config file
PPQ wrote beside it::

    import json
    import qbake

    with qbake.Client("localhost:50051") as client:
        summary = client.bake_files("model.onnx", "ppq_config.json", "baked/model.onnx",
                                    report="baked/report.json")
        print(summary.baked, "configs baked,", summary.bytes, "bytes rewritten")

        with open("model.onnx", "rb") as f:
            result = client.bake(f.read(), json.load(open("ppq_config.json")))
        result.model   # the baked model, serialized
        result.config  # PPQ's config document with the new states

Errors raise BakeError, whose `reason` (CONFIG_INVALID, MODEL_INVALID, ...),
`operation`, `variable` and `field` say what was refused; RetryableError when the
server stayed unreachable or busy through every retry::

    try:
        client.bake_files(...)
    except qbake.RetryableError:
        ...  # try again later
    except qbake.BakeError as error:
        print(error.reason, error.operation, error.variable, error.field, error.message)
"""

from qbake.client import Client
from qbake.errors import BakeError, RetryableError
from qbake.results import BakeResult, ParameterSummary, Summary

__all__ = ["BakeError", "BakeResult", "Client", "ParameterSummary", "RetryableError",
           "Summary"]
