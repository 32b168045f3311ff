#include "cli/bake_report_json.h"

#include <string>

#include "core/quant_config.h"
#include "nlohmann/json.hpp"
#include "onnx/onnx_pb.h"

namespace qbake {
namespace {

using Json = nlohmann::ordered_json;

Json ParameterJson(const ParameterSummary& parameter) {
  return Json{
      {"operation", parameter.operation},
      {"variable", parameter.variable},
      {"state_before", std::string(StateName(parameter.state_before))},
      {"state_after", std::string(StateName(parameter.state_after))},
      {"data_type", onnx::TensorProto_DataType_Name(parameter.data_type)},
      {"elements", parameter.elements},
      {"bytes", parameter.bytes},
      {"max_abs_error", parameter.max_abs_error},
      {"mean_squared_error", parameter.mean_squared_error},
  };
}

// FLOAT8E4M3FN and FLOAT8E5M2 are newer than Debian's ONNX 1.12.
std::string DataTypeName(int32_t data_type) {
  if (data_type == 17) return "FLOAT8E4M3FN";
  if (data_type == 19) return "FLOAT8E5M2";
  return onnx::TensorProto_DataType_Name(data_type);
}

Json ExportJson(const QdqExportReport& exported) {
  Json stored = Json::array();
  for (const QdqExportedParameter& parameter : exported.exported) {
    stored.push_back({{"operation", parameter.operation},
                      {"variable", parameter.variable},
                      {"data_type", DataTypeName(parameter.data_type)},
                      {"per_channel", parameter.per_channel}});
  }
  Json kept = Json::array();
  for (const QdqKeptFloat& parameter : exported.kept_float) {
    kept.push_back({{"operation", parameter.operation},
                    {"variable", parameter.variable},
                    {"reason", parameter.reason}});
  }
  Json activations = Json::array();
  for (const QdqActivation& activation : exported.activations) {
    activations.push_back({{"operation", activation.operation},
                           {"variable", activation.variable},
                           {"pair", activation.inserted},
                           {"shared", activation.shared},
                           {"note", activation.note}});
  }
  return Json{{"format", exported.float_weights ? "qdq-float" : "qdq"},
              {"opset_before", exported.opset_before},
              {"opset_after", exported.opset_after},
              {"stored", stored},
              {"kept_float", kept},
              {"activations", activations}};
}

}  // namespace

std::string BakeReportJson(const BakeSummary& summary, const BakeTimings& timings,
                           const QdqExportReport* exported) {
  Json parameters = Json::array();
  for (const ParameterSummary& parameter : summary.parameters) {
    parameters.push_back(ParameterJson(parameter));
  }
  Json report{
      {"counts",
       {{"configs", summary.configs},
        {"baked", summary.baked},
        {"passive_baked", summary.passive_baked},
        {"unchanged", summary.unchanged},
        {"parameters", summary.parameters.size()},
        {"bytes", summary.bytes}}},
      {"parameters", parameters},
      {"timings",
       {{"read_s", timings.read_s}, {"bake_s", timings.bake_s}, {"write_s", timings.write_s}}},
  };
  if (exported != nullptr) {
    report["timings"]["export_s"] = timings.export_s;
    report["export"] = ExportJson(*exported);
  }
  return report.dump(2) + "\n";
}

}  // namespace qbake
