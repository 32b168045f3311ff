// Finds the members of nlohmann::ordered_json objects by key in expected O(1):
// ordered_json's own find scans the members, so n lookups in an object of n members
// would cost O(n^2). An object of more than kScanLimit members is indexed on its
// first lookup, once, in O(n); a smaller one is scanned. The objects must neither
// change nor move while the index is in use, and their keys must be unique (as
// ParseOrderedJson leaves them).
#ifndef QBAKE_CORE_JSON_JSON_MEMBER_INDEX_H_
#define QBAKE_CORE_JSON_JSON_MEMBER_INDEX_H_

#include <cstddef>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace qbake {

class JsonMemberIndex {
 public:
  // The member `key` of `object`; nullptr when it has none or is not an object.
  const nlohmann::ordered_json* Find(const nlohmann::ordered_json& object, absl::string_view key);

 private:
  static constexpr size_t kScanLimit = 16;
  using Members = absl::flat_hash_map<absl::string_view, const nlohmann::ordered_json*>;

  absl::flat_hash_map<const nlohmann::ordered_json*, Members> indexed_;
};

}  // namespace qbake

#endif  // QBAKE_CORE_JSON_JSON_MEMBER_INDEX_H_
