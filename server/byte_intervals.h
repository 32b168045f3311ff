// A set of byte ranges [begin, end) of one external data location, kept merged, so
// membership, overlap and gaps are answered in logarithmic time.
#ifndef QBAKE_SERVER_BYTE_INTERVALS_H_
#define QBAKE_SERVER_BYTE_INTERVALS_H_

#include <cstdint>
#include <map>
#include <optional>

namespace qbake {

class ByteIntervals {
 public:
  // Adds [begin, end), merging with ranges it touches or overlaps.
  void Insert(uint64_t begin, uint64_t end);
  // True when [begin, end) lies inside the set (an empty range always does).
  bool Contains(uint64_t begin, uint64_t end) const;
  // True when some byte of [begin, end) is in the set.
  bool Intersects(uint64_t begin, uint64_t end) const;
  // The first byte of [begin, end) not in the set, if any.
  std::optional<uint64_t> FirstGap(uint64_t begin, uint64_t end) const;

 private:
  // The merged range holding `byte`, or end().
  std::map<uint64_t, uint64_t>::const_iterator Holding(uint64_t byte) const;

  std::map<uint64_t, uint64_t> ranges_;  // begin -> end, disjoint and not touching
};

}  // namespace qbake

#endif  // QBAKE_SERVER_BYTE_INTERVALS_H_
