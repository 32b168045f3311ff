// The --report document of `qbake bake`: for every baked parameter its operation,
// variable, state before and after, data type, elements, bytes and quantization
// error; the counts; and the time spent reading, baking and writing, in seconds.
#ifndef QBAKE_CLIENT_BAKE_REPORT_JSON_H_
#define QBAKE_CLIENT_BAKE_REPORT_JSON_H_

#include <string>

#include "core/bake_outcome.h"

namespace qbake {

struct BakeTimings {
  double read_s = 0;   // model, external data and config
  double bake_s = 0;   // the bake itself
  double write_s = 0;  // staging the model, its external data and the config
};

// Pretty-printed JSON, keys in a fixed order, ending with a newline.
std::string BakeReportJson(const BakeSummary& summary, const BakeTimings& timings);

}  // namespace qbake

#endif  // QBAKE_CLIENT_BAKE_REPORT_JSON_H_
