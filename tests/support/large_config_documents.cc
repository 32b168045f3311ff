#include "tests/support/large_config_documents.h"

#include "absl/strings/str_cat.h"

namespace qbake::testing {
namespace {

void AppendConfig(size_t variable, size_t dominator, std::string* out) {
  absl::StrAppend(out, "\"w", variable,
                  R"(": {"bit_width": 8, "policy": 21, "state": "ACTIVATED", )",
                  R"("quant_min": -128, "quant_max": 127, "dominator": )", dominator, "}");
}

void AppendValues(size_t count, std::string* out) {
  absl::StrAppend(out, R"("values": {)");
  for (size_t k = 0; k < count; ++k) {
    absl::StrAppend(out, k == 0 ? "" : ", ", "\"", k, R"(": {"scale": )", k,
                    R"(.5, "zero_point": 0})");
  }
  absl::StrAppend(out, "}");
}

}  // namespace

std::string DocumentWithValueKeys(size_t value_keys) {
  std::string document = R"({"configs": {"op0": {)";
  AppendConfig(0, value_keys - 1, &document);
  absl::StrAppend(&document, R"(}}, "dispatchings": {"op0": "TRT_INT8"}, )");
  AppendValues(value_keys, &document);
  return absl::StrCat(document, "}");
}

std::string DocumentWithConfigs(size_t operations, size_t variables) {
  std::string document = R"({"configs": {)";
  for (size_t op = 0; op < operations; ++op) {
    absl::StrAppend(&document, op == 0 ? "" : ", ", "\"op", op, "\": {");
    for (size_t v = 0; v < variables; ++v) {
      if (v > 0) document += ", ";
      AppendConfig(v, op * variables + v, &document);
    }
    document += "}";
  }
  document += R"(}, "dispatchings": {)";
  for (size_t op = 0; op < operations; ++op) {
    absl::StrAppend(&document, op == 0 ? "" : ", ", "\"op", op, R"(": "TRT_INT8")");
  }
  document += "}, ";
  AppendValues(operations * variables, &document);
  return absl::StrCat(document, "}");
}

}  // namespace qbake::testing
