// Parses JSON text into nlohmann::ordered_json in time linear in the text.
// nlohmann's own parser inserts each member of an ordered_json object after a linear
// search for its key, so reading an object of n members costs O(n^2); this parser
// appends members and resolves repeated keys once per object, with a hash set.
// Objects keep their members in document order. A key that repeats within an object
// keeps its first position and takes its last value, as Python's json.load (which
// PPQ reads the document with) and nlohmann's parser do.
#ifndef QBAKE_CORE_JSON_ORDERED_JSON_PARSER_H_
#define QBAKE_CORE_JSON_ORDERED_JSON_PARSER_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace qbake {

// INVALID_ARGUMENT on malformed JSON or a number beyond double's range (with its byte
// position), and on containers nested deeper than `max_depth` (the root is at depth 1;
// the parse stops there, so no input can exhaust the stack or build a deep tree).
absl::StatusOr<nlohmann::ordered_json> ParseOrderedJson(absl::string_view text, int max_depth);

}  // namespace qbake

#endif  // QBAKE_CORE_JSON_ORDERED_JSON_PARSER_H_
