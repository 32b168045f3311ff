// What a client rebuilds from a bake's events: each tensor's (or integer
// representation's) bytes from its chunks, and the config updates. Chunks that do
// not follow one another without gaps fail the calling test.
#ifndef QBAKE_TESTS_SERVER_BAKE_RESULTS_H_
#define QBAKE_TESTS_SERVER_BAKE_RESULTS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "qbake/v1/bake.pb.h"

namespace qbake::testing {

struct RebuiltPayload {
  int32_t type = 0;  // data_type of TensorChunk, type of IntegerChunk
  std::vector<int64_t> dims;
  std::string data;
  int chunks = 0;
};

std::map<std::string, RebuiltPayload> RebuiltTensors(const std::vector<v1::BakeEvent>& events);
std::map<std::string, RebuiltPayload> RebuiltIntegers(const std::vector<v1::BakeEvent>& events);
std::vector<v1::ConfigUpdate> ConfigUpdates(const std::vector<v1::BakeEvent>& events);

// Checks a large reply's TensorChunks as they come, so none is kept: each must hold
// the bytes `expected` gives for it. Hand it every event (as StreamBake's on_event).
class ChunkTally {
 public:
  explicit ChunkTally(std::function<std::string(const v1::TensorChunk&)> expected)
      : expected_(std::move(expected)) {}

  void operator()(const v1::BakeEvent& event);

  uint64_t received() const { return received_; }  // TensorChunk bytes
  int mismatched() const { return mismatched_; }   // TensorChunks not as expected
  const v1::BakeEvent& last() const { return last_; }

 private:
  std::function<std::string(const v1::TensorChunk&)> expected_;
  uint64_t received_ = 0;
  int mismatched_ = 0;
  v1::BakeEvent last_;
};

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_SERVER_BAKE_RESULTS_H_
