// PPQ's quantization config document: the JSON that ppq.api.export_ppq_graph
// writes with config_save_to (BAKING.md section 4), with qbake's accepted extensions
// (per-config rounding, channel_axis, exponent_bits, inline scale and zero_point,
// policy as a list of names or a bit set). Parsing keeps the whole document, so
// Render gives back the same document with only baked states and derived scales changed.
#ifndef QBAKE_CORE_PPQ_CONFIG_DOCUMENT_H_
#define QBAKE_CORE_PPQ_CONFIG_DOCUMENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/bake_outcome.h"
#include "core/config_spec.h"

namespace qbake {

class PpqConfigDocument {
 public:
  // Objects and arrays nested deeper than this are refused (PPQ's file has 4 levels).
  static constexpr int kMaxNestingDepth = 64;

  // INVALID_ARGUMENT on malformed JSON (with its byte position), on nesting deeper
  // than kMaxNestingDepth (checked without recursion), and on a config whose fields
  // are missing or of the wrong type (a ConfigError naming operation, variable and
  // field). Keys a config does not use are ignored. A key repeated within an object
  // keeps its first place and takes its last value, as Python's json.load reads it.
  // Time is linear in the text (and in the configs read), whatever its shape: the
  // document is parsed by ParseOrderedJson and every member found through a
  // JsonMemberIndex. Every error's reason is CONFIG_INVALID (core/error_detail.h).
  // Never throws.
  static absl::StatusOr<PpqConfigDocument> Parse(absl::string_view json);

  PpqConfigDocument(PpqConfigDocument&&) noexcept;
  PpqConfigDocument& operator=(PpqConfigDocument&&) noexcept;
  ~PpqConfigDocument();

  // One spec per (operation, variable), in document order, with `scale`/`offset`
  // resolved through inline values, values[dominator], values[hash], and `platform`
  // through dispatchings.
  const std::vector<TensorConfigSpec>& specs() const { return specs_; }

  // The document with each config's state set to outcomes[i].state_after (as a name,
  // or as a number where the document used one) and, where outcomes[i].scale_derived,
  // its scale and zero_point written inline as lists of the float32 values. Same key
  // order, indented by 4 and ASCII-only like PPQ's json.dump. `outcomes` is
  // index-aligned with specs(); configs past its end are left as they are. Linear in
  // the document: it looks up a fixed number of keys in each config.
  std::string Render(absl::Span<const ConfigOutcome> outcomes) const;

 private:
  struct Json;
  PpqConfigDocument();
  static absl::StatusOr<PpqConfigDocument> ParseDocument(absl::string_view json);
  std::unique_ptr<Json> json_;
  std::vector<TensorConfigSpec> specs_;
};

}  // namespace qbake

#endif  // QBAKE_CORE_PPQ_CONFIG_DOCUMENT_H_
