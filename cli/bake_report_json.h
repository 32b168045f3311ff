// The --report document of `qbake bake`: for every baked parameter its operation,
// variable, state before and after, data type, elements, bytes and quantization
// error; the counts; the time spent reading, baking and writing, in seconds; and,
// for a QDQ export, what it stored in integer form and what it kept as baked floats.
#ifndef QBAKE_CLI_BAKE_REPORT_JSON_H_
#define QBAKE_CLI_BAKE_REPORT_JSON_H_

#include <string>

#include "core/bake_outcome.h"
#include "core/qdq_export.h"

namespace qbake {

struct BakeTimings {
  double read_s = 0;    // model, external data and config
  double bake_s = 0;    // the bake itself
  double export_s = 0;  // the QDQ export (--format qdq, qdq-float)
  double write_s = 0;   // staging the model, its external data and the config
};

// Pretty-printed JSON, keys in a fixed order, ending with a newline.
// `exported` (null for --format baked) adds the "export" section.
std::string BakeReportJson(const BakeSummary& summary, const BakeTimings& timings,
                           const QdqExportReport* exported);

}  // namespace qbake

#endif  // QBAKE_CLI_BAKE_REPORT_JSON_H_
