#include "client/bake_report_json.h"

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

}  // namespace

std::string BakeReportJson(const BakeSummary& summary, const BakeTimings& timings) {
  Json parameters = Json::array();
  for (const ParameterSummary& parameter : summary.parameters) {
    parameters.push_back(ParameterJson(parameter));
  }
  const Json report{
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
  return report.dump(2) + "\n";
}

}  // namespace qbake
