// What a client rebuilds from a bake's events: each tensor's (or integer
// representation's) bytes from its chunks, and the config updates. Chunks that do
// not follow one another without gaps fail the calling test.
#ifndef QBAKE_TESTS_SERVER_BAKE_RESULTS_H_
#define QBAKE_TESTS_SERVER_BAKE_RESULTS_H_

#include <cstdint>
#include <map>
#include <string>
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

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_SERVER_BAKE_RESULTS_H_
