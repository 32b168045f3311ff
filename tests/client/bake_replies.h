// Replies as a correct qbake-server gives them, made in this process: the model is
// baked (and exported) by the core, and its results are cut into the events
// bake.proto describes; and the lie a wrong server could add to one.
// Header-only (client_tests and cli_tests include it).
#ifndef QBAKE_TESTS_CLIENT_BAKE_REPLIES_H_
#define QBAKE_TESTS_CLIENT_BAKE_REPLIES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "client/model_baker.h"
#include "core/graph_index.h"
#include "gtest/gtest.h"
#include "onnx/onnx_pb.h"
#include "proto/bake_wire.h"
#include "proto/export_wire.h"
#include "qbake/v1/bake.pb.h"

namespace qbake::testing {

struct LocalBake {
  onnx::ModelProto model;  // baked
  BakeOutcome outcome;
};

inline LocalBake BakeLocally(onnx::ModelProto model, const std::vector<TensorConfigSpec>& specs) {
  LocalModelBaker baker(1);
  absl::StatusOr<BakeOutcome> outcome = baker.Bake(&model, specs, BakeOptions());
  EXPECT_TRUE(outcome.ok()) << outcome.status();
  return {std::move(model), outcome.value_or(BakeOutcome())};
}

// The tensor's data in the layout of raw_data, whichever field holds it.
inline std::string RawBytesOf(const onnx::TensorProto& tensor) {
  if (tensor.has_raw_data()) return tensor.raw_data();
  if (tensor.data_type() == onnx::TensorProto::FLOAT) {
    return std::string(reinterpret_cast<const char*>(tensor.float_data().data()),
                       tensor.float_data_size() * sizeof(float));
  }
  std::string bytes;
  for (int32_t bits : tensor.int32_data()) {
    const uint16_t half = static_cast<uint16_t>(bits);
    bytes.append(reinterpret_cast<const char*>(&half), sizeof half);
  }
  return bytes;
}

// The TensorChunks of one tensor, `chunk_bytes` of data each (one when empty).
inline void AppendChunks(const std::string& name, const onnx::TensorProto& tensor,
                         size_t chunk_bytes, std::vector<v1::BakeEvent>* events) {
  const std::string bytes = RawBytesOf(tensor);
  size_t offset = 0;
  do {
    v1::TensorChunk* chunk = events->emplace_back().mutable_tensor();
    chunk->set_name(name);
    chunk->set_data_type(tensor.data_type());
    *chunk->mutable_dims() = tensor.dims();
    chunk->set_offset(offset);
    chunk->set_total_bytes(bytes.size());
    chunk->set_data(bytes.substr(offset, chunk_bytes));
    offset += chunk_bytes;
  } while (offset < bytes.size());
}

// What a server streams for `baked`: the data of every rewritten parameter, one
// ConfigUpdate per spec, then the summary.
inline std::vector<v1::BakeEvent> ReplyOf(LocalBake baked,
                                          const std::vector<TensorConfigSpec>& specs,
                                          size_t chunk_bytes) {
  std::vector<v1::BakeEvent> events;
  GraphIndex index(baked.model.mutable_graph());
  for (const ParameterSummary& parameter : baked.outcome.summary.parameters) {
    const ParameterRef* found = index.FindParameter(parameter.variable);
    EXPECT_NE(found, nullptr) << parameter.variable;
    if (found != nullptr) AppendChunks(parameter.variable, *found->tensor, chunk_bytes, &events);
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    *events.emplace_back().mutable_config() =
        ConfigUpdateToWire(i, specs[i], baked.outcome.configs[i]);
  }
  *events.emplace_back().mutable_summary() = SummaryToWire(baked.outcome.summary);
  return events;
}

// What a server streams for a bake of `model` with `specs` exported with
// `export_options`: the ExportReport, the exported model without the raw_data of its
// initializers of 1 KiB or more in ModelChunks, those initializers' bytes, one
// ConfigUpdate per spec, the summary; chunks of `chunk_bytes`.
inline std::vector<v1::BakeEvent> ExportReplyOf(onnx::ModelProto model,
                                                const std::vector<TensorConfigSpec>& specs,
                                                const QdqExportOptions& export_options,
                                                size_t chunk_bytes) {
  LocalModelBaker baker(1);
  absl::StatusOr<ExportedBake> exported =
      baker.BakeAndExport(&model, specs, BakeOptions(), export_options);
  EXPECT_TRUE(exported.ok()) << exported.status();
  if (!exported.ok()) return {};
  std::vector<v1::BakeEvent> events;
  *events.emplace_back().mutable_export_report() = ExportReportToWire(exported->report);
  std::vector<onnx::TensorProto> large;
  for (onnx::TensorProto& tensor : *model.mutable_graph()->mutable_initializer()) {
    if (tensor.raw_data().size() < kExportedTensorMinBytes) continue;
    large.push_back(tensor);
    tensor.clear_raw_data();
  }
  const std::string skeleton = model.SerializeAsString();
  for (size_t offset = 0; offset < skeleton.size(); offset += chunk_bytes) {
    v1::ModelChunk* chunk = events.emplace_back().mutable_model();
    chunk->set_offset(offset);
    chunk->set_total_bytes(skeleton.size());
    chunk->set_data(skeleton.substr(offset, chunk_bytes));
  }
  for (const onnx::TensorProto& tensor : large) {
    std::vector<v1::BakeEvent> chunks;
    AppendChunks(tensor.name(), tensor, chunk_bytes, &chunks);
    for (v1::BakeEvent& chunk : chunks) {
      *events.emplace_back().mutable_exported_tensor() = std::move(*chunk.mutable_tensor());
    }
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    *events.emplace_back().mutable_config() =
        ConfigUpdateToWire(i, specs[i], exported->outcome.configs[i]);
  }
  *events.emplace_back().mutable_summary() = SummaryToWire(exported->outcome.summary);
  return events;
}

// The position of the first ConfigUpdate in `events` (their size when none).
inline size_t FirstConfigEvent(const std::vector<v1::BakeEvent>& events) {
  size_t i = 0;
  while (i < events.size() && !events[i].has_config()) ++i;
  return i;
}

// Spoils a reply as a lying server would: the TensorChunks of `tensor` (named by its
// name, `chunk_bytes` of data each) go in before the first ConfigUpdate.
inline void InsertChunksBeforeConfigs(const onnx::TensorProto& tensor, size_t chunk_bytes,
                                      std::vector<v1::BakeEvent>* events) {
  std::vector<v1::BakeEvent> chunks;
  AppendChunks(tensor.name(), tensor, chunk_bytes, &chunks);
  events->insert(events->begin() + static_cast<long>(FirstConfigEvent(*events)), chunks.begin(),
                 chunks.end());
}

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_CLIENT_BAKE_REPLIES_H_
