// ByteIntervals keeps ranges merged and answers containment, overlap and gaps.
#include "server/byte_intervals.h"

#include "gtest/gtest.h"

namespace qbake {
namespace {

TEST(ByteIntervalsTest, MergesTouchingAndOverlappingRanges) {
  ByteIntervals intervals;
  intervals.Insert(10, 20);
  intervals.Insert(30, 40);
  EXPECT_FALSE(intervals.Contains(15, 35));
  intervals.Insert(20, 30);
  EXPECT_TRUE(intervals.Contains(10, 40));
  intervals.Insert(5, 12);
  EXPECT_TRUE(intervals.Contains(5, 40));
  EXPECT_FALSE(intervals.Contains(4, 40));
  EXPECT_FALSE(intervals.Contains(5, 41));
}

TEST(ByteIntervalsTest, IntersectsOnlyWhenAByteIsShared) {
  ByteIntervals intervals;
  intervals.Insert(10, 20);
  struct Query {
    uint64_t begin, end;
    bool shared;
  };
  for (const Query& query : {Query{19, 25, true}, Query{0, 11, true}, Query{12, 13, true},
                             Query{20, 25, false}, Query{0, 10, false}, Query{15, 15, false}}) {
    EXPECT_EQ(intervals.Intersects(query.begin, query.end), query.shared)
        << "[" << query.begin << ", " << query.end << ")";
  }
}

TEST(ByteIntervalsTest, FindsTheFirstGap) {
  ByteIntervals intervals;
  intervals.Insert(0, 10);
  intervals.Insert(12, 20);
  EXPECT_EQ(intervals.FirstGap(0, 20), 10u);
  EXPECT_EQ(intervals.FirstGap(12, 25), 20u);
  EXPECT_EQ(intervals.FirstGap(11, 12), 11u);
  EXPECT_FALSE(intervals.FirstGap(2, 9).has_value());
  EXPECT_FALSE(intervals.FirstGap(5, 5).has_value());
}

}  // namespace
}  // namespace qbake
