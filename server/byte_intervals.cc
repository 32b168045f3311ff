#include "server/byte_intervals.h"

#include <algorithm>
#include <iterator>

namespace qbake {

std::map<uint64_t, uint64_t>::const_iterator ByteIntervals::Holding(uint64_t byte) const {
  auto after = ranges_.upper_bound(byte);
  if (after == ranges_.begin()) return ranges_.end();
  auto range = std::prev(after);
  return byte < range->second ? range : ranges_.end();
}

void ByteIntervals::Insert(uint64_t begin, uint64_t end) {
  if (begin >= end) return;
  auto first = ranges_.upper_bound(begin);
  if (first != ranges_.begin() && std::prev(first)->second >= begin) --first;
  auto last = first;
  for (; last != ranges_.end() && last->first <= end; ++last) {
    begin = std::min(begin, last->first);
    end = std::max(end, last->second);
  }
  ranges_.erase(first, last);
  ranges_.emplace(begin, end);
}

bool ByteIntervals::Contains(uint64_t begin, uint64_t end) const {
  if (begin >= end) return true;
  auto range = Holding(begin);
  return range != ranges_.end() && end <= range->second;
}

bool ByteIntervals::Intersects(uint64_t begin, uint64_t end) const {
  if (begin >= end) return false;
  if (Holding(begin) != ranges_.end()) return true;
  auto next = ranges_.upper_bound(begin);
  return next != ranges_.end() && next->first < end;
}

std::optional<uint64_t> ByteIntervals::FirstGap(uint64_t begin, uint64_t end) const {
  if (begin >= end) return std::nullopt;
  auto range = Holding(begin);
  if (range == ranges_.end()) return begin;
  if (range->second >= end) return std::nullopt;
  return range->second;
}

}  // namespace qbake
