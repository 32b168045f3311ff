#include "tests/server/bake_results.h"

#include "gtest/gtest.h"

namespace qbake::testing {
namespace {

// Appends one chunk to the payload of its name, checking it continues where the
// last one ended.
template <typename Chunk>
void AddChunk(const Chunk& chunk, int32_t type, std::map<std::string, RebuiltPayload>* payloads) {
  RebuiltPayload& payload = (*payloads)[chunk.name()];
  if (payload.chunks == 0) {
    payload.type = type;
    payload.dims.assign(chunk.dims().begin(), chunk.dims().end());
  }
  EXPECT_EQ(chunk.offset(), payload.data.size()) << chunk.name();
  EXPECT_EQ(type, payload.type) << chunk.name();
  EXPECT_LE(chunk.offset() + chunk.data().size(), chunk.total_bytes()) << chunk.name();
  payload.data += chunk.data();
  ++payload.chunks;
}

}  // namespace

std::map<std::string, RebuiltPayload> RebuiltTensors(const std::vector<v1::BakeEvent>& events) {
  std::map<std::string, RebuiltPayload> tensors;
  for (const v1::BakeEvent& event : events) {
    if (event.has_tensor()) AddChunk(event.tensor(), event.tensor().data_type(), &tensors);
  }
  return tensors;
}

std::map<std::string, RebuiltPayload> RebuiltIntegers(const std::vector<v1::BakeEvent>& events) {
  std::map<std::string, RebuiltPayload> integers;
  for (const v1::BakeEvent& event : events) {
    if (event.has_integers()) AddChunk(event.integers(), event.integers().type(), &integers);
  }
  return integers;
}

std::vector<v1::ConfigUpdate> ConfigUpdates(const std::vector<v1::BakeEvent>& events) {
  std::vector<v1::ConfigUpdate> updates;
  for (const v1::BakeEvent& event : events) {
    if (event.has_config()) updates.push_back(event.config());
  }
  return updates;
}

void ChunkTally::operator()(const v1::BakeEvent& event) {
  last_ = event;
  if (!event.has_tensor()) return;
  mismatched_ += event.tensor().data() != expected_(event.tensor());
  received_ += event.tensor().data().size();
}

}  // namespace qbake::testing
