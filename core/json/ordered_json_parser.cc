#include "core/json/ordered_json_parser.h"

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace qbake {
namespace {

using nlohmann::ordered_json;
using Members = ordered_json::object_t;
// Members as the vector of (key, value) pairs it is, indexable by position.
using MemberList = Members::Container;

// Whether a key occurs twice: pairwise in a small object, through a hash set otherwise.
bool HasRepeatedKey(const MemberList& members) {
  constexpr size_t kPairwiseLimit = 8;
  if (members.size() <= kPairwiseLimit) {
    for (size_t i = 1; i < members.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (members[i].first == members[j].first) return true;
      }
    }
    return false;
  }
  absl::flat_hash_set<absl::string_view> keys;
  keys.reserve(members.size());
  for (const auto& member : members) {
    if (!keys.insert(member.first).second) return true;
  }
  return false;
}

// Leaves one member per key, at the key's first position with its last value.
void MergeRepeatedKeys(MemberList* members) {
  if (!HasRepeatedKey(*members)) return;
  absl::flat_hash_map<absl::string_view, size_t> first;  // key -> the position it keeps
  for (size_t i = 0; i < members->size(); ++i) {
    auto [kept, inserted] = first.try_emplace((*members)[i].first, i);
    if (!inserted) (*members)[kept->second].second = std::move((*members)[i].second);
  }
  MemberList merged;
  merged.reserve(first.size());
  for (size_t i = 0; i < members->size(); ++i) {
    auto& [key, value] = (*members)[i];
    if (first.at(key) == i) merged.emplace_back(key, std::move(value));
  }
  *members = std::move(merged);
}

// nlohmann's SAX interface: builds the document from the parser's events. Each value
// goes at the end of the innermost open container; each object's repeated keys are
// merged when it closes.
class OrderedJsonBuilder {
 public:
  explicit OrderedJsonBuilder(int max_depth) : max_depth_(max_depth) {}

  bool null() { return Add(nullptr); }
  bool boolean(bool value) { return Add(value); }
  bool number_integer(ordered_json::number_integer_t value) { return Add(value); }
  bool number_unsigned(ordered_json::number_unsigned_t value) { return Add(value); }
  bool number_float(ordered_json::number_float_t value, const std::string&) { return Add(value); }
  bool string(std::string& value) { return Add(std::move(value)); }
  bool binary(ordered_json::binary_t& value) { return Add(std::move(value)); }
  bool key(std::string& key) {
    key_ = std::move(key);
    return true;
  }
  bool start_object(size_t) { return Open(ordered_json::object()); }
  bool end_object() {
    MergeRepeatedKeys(open_.back()->get_ptr<Members*>());
    open_.pop_back();
    return true;
  }
  bool start_array(size_t) { return Open(ordered_json::array()); }
  bool end_array() {
    open_.pop_back();
    return true;
  }
  bool parse_error(size_t byte, const std::string&, const ordered_json::parse_error& error) {
    error_ = absl::InvalidArgumentError(
        absl::StrCat("malformed JSON at byte ", byte, ": ", error.what()));
    return false;
  }
  // A number beyond double's range.
  bool parse_error(size_t byte, const std::string&, const ordered_json::exception& error) {
    error_ = absl::InvalidArgumentError(
        absl::StrCat("unreadable JSON number at byte ", byte, ": ", error.what()));
    return false;
  }

  const absl::Status& error() const { return error_; }
  ordered_json Take() { return std::move(root_); }

 private:
  bool Add(ordered_json value) {
    Place(std::move(value));
    return true;
  }

  bool Open(ordered_json container) {
    if (open_.size() >= static_cast<size_t>(max_depth_)) {
      error_ = absl::InvalidArgumentError(
          absl::StrCat("JSON nested deeper than ", max_depth_, " levels"));
      return false;
    }
    open_.push_back(Place(std::move(container)));
    return true;
  }

  // Puts `value` at the end of the innermost open container (under key_ in an object),
  // or makes it the root. The containers that hold it stay open, so it does not move.
  ordered_json* Place(ordered_json value) {
    if (open_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    ordered_json& container = *open_.back();
    if (container.is_array()) {
      ordered_json::array_t& elements = container.get_ref<ordered_json::array_t&>();
      elements.push_back(std::move(value));
      return &elements.back();
    }
    Members& members = container.get_ref<Members&>();
    members.emplace_back(std::move(key_), std::move(value));
    return &members.back().second;
  }

  const int max_depth_;
  ordered_json root_;
  std::vector<ordered_json*> open_;  // the open containers, outermost first
  std::string key_;                  // the key of the next member of the open object
  absl::Status error_;
};

}  // namespace

absl::StatusOr<ordered_json> ParseOrderedJson(absl::string_view text, int max_depth) {
  OrderedJsonBuilder builder(max_depth);
  if (!ordered_json::sax_parse(text.begin(), text.end(), &builder)) return builder.error();
  return builder.Take();
}

}  // namespace qbake
