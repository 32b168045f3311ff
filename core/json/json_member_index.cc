#include "core/json/json_member_index.h"

namespace qbake {

using nlohmann::ordered_json;

const ordered_json* JsonMemberIndex::Find(const ordered_json& object, absl::string_view key) {
  if (!object.is_object()) return nullptr;
  const ordered_json::object_t& members = object.get_ref<const ordered_json::object_t&>();
  if (members.size() <= kScanLimit) {
    for (const auto& member : members) {
      if (member.first == key) return &member.second;
    }
    return nullptr;
  }
  auto [index, inserted] = indexed_.try_emplace(&object);
  if (inserted) {
    index->second.reserve(members.size());
    for (const auto& member : members) index->second.try_emplace(member.first, &member.second);
  }
  const auto found = index->second.find(key);
  return found == index->second.end() ? nullptr : found->second;
}

}  // namespace qbake
