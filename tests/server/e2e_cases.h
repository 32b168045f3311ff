// The PPQ end-to-end cases of tests/data/ppq_e2e as a client sends them, and the
// check that a bake's events rebuild PPQ's baked parameters and states.
#ifndef QBAKE_TESTS_SERVER_E2E_CASES_H_
#define QBAKE_TESTS_SERVER_E2E_CASES_H_

#include <map>
#include <string>
#include <vector>

#include "core/config_spec.h"
#include "nlohmann/json.hpp"
#include "onnx/onnx_pb.h"
#include "qbake/v1/bake.pb.h"

namespace qbake::testing {

struct E2eCase {
  std::string model_bytes;  // model.onnx
  onnx::ModelProto model;
  std::vector<TensorConfigSpec> specs;  // from ppq_config.json
  // Every parameter of expected_baked.onnx: its raw little-endian bytes.
  std::map<std::string, std::string> expected;
  nlohmann::json states;  // states.json
};

E2eCase LoadE2eCase(const std::string& name);

v1::BakeRequest BakeRequestFor(const std::string& model_bytes,
                               const std::vector<TensorConfigSpec>& specs,
                               const v1::BakeOptions& options = {});

// `document` (the case's ppq_config.json) rendered with the outcome of a local bake
// of the case: what `qbake bake --config-out` writes.
std::string RenderedAfterLocalBake(const E2eCase& e2e, const std::string& document);

// The ConfigDocumentChunks of `events` put together, each checked to continue the
// last and to state the same total; "" when there are none.
std::string RebuiltConfigDocument(const std::vector<v1::BakeEvent>& events);

// Every baked tensor equals PPQ's byte for byte, every other parameter is absent
// from the events, the config states are PPQ's, and the summary comes last.
void ExpectMatchesPpq(const E2eCase& e2e, const std::vector<v1::BakeEvent>& events);

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_SERVER_E2E_CASES_H_
