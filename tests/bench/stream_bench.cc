// Moves N bytes through loopback gRPC in 1 MiB messages and prints the seconds and
// GB/s (bytes one way over the time), two ways:
//   stream_bench echo BYTES        a bidirectional byte echo (server in this process)
//   stream_bench bake PORT BYTES   BakeStream of a model whose BYTES of weights are
//                                  ONNX external data (64 MiB float32 tensors, each
//                                  baked PER_TENSOR int8) to a qbake-server on PORT
// In both, the client writes on one thread and reads the replies on another, so
// the bytes move both ways at once. The baseline of `qbake bake`'s bake phase:
//   stream_bench memcpy BYTES      copies BYTES in memory, one 64 MiB tensor at a
//                                  time, on every hardware thread (see Memcpy)
// Output: one line "MODE BYTES SECONDS GBPS".
//   stream_bench files DIR BYTES [--inline]
//                                  writes that model as DIR/model.onnx with its
//                                  weights in DIR/weights.bin (or, with --inline,
//                                  the same bytes as each tensor's raw_data inside
//                                  DIR/model.onnx) and its PPQ config document in
//                                  DIR/config.json, for `qbake bake`
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/huge_pages.h"
#include "core/thread_pool.h"
#include "echo.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "onnx/onnx_pb.h"
#include "qbake/v1/bake.grpc.pb.h"

namespace {

constexpr size_t kMessageBytes = size_t{1} << 20;
constexpr uint64_t kTensorBytes = uint64_t{64} << 20;

class EchoService final : public qbake::bench::Echo::Service {
  grpc::Status Echo(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<qbake::bench::Bytes, qbake::bench::Bytes>* stream) override {
    for (qbake::bench::Bytes message; stream->Read(&message);) stream->Write(message);
    return grpc::Status::OK;
  }
};

std::shared_ptr<grpc::Channel> Loopback(int port) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials(), args);
}

// Writes every request `next` makes on this thread while `read` drains the replies
// on another; returns the seconds from the first write to the end of the call.
template <typename Stream, typename Request, typename Next, typename Read>
double Run(Stream* stream, Request* request, Next next, Read read) {
  const auto start = std::chrono::steady_clock::now();
  std::thread reader(read);
  while (next(request) && stream->Write(*request)) {
  }
  stream->WritesDone();
  reader.join();
  const grpc::Status status = stream->Finish();
  if (!status.ok()) {
    std::fprintf(stderr, "call failed: %s\n", status.error_message().c_str());
    std::exit(1);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double Echo(uint64_t bytes) {
  EchoService service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  auto stub = qbake::bench::Echo::NewStub(Loopback(port));
  grpc::ClientContext context;
  auto stream = stub->Echo(&context);
  qbake::bench::Bytes message;
  message.mutable_data()->assign(kMessageBytes, '\x5a');
  uint64_t sent = 0;
  const double seconds = Run(
      stream.get(), &message,
      [&](qbake::bench::Bytes*) { return (sent += kMessageBytes) <= bytes; },
      [&] {
        for (qbake::bench::Bytes reply; stream->Read(&reply);) {
        }
      });
  server->Shutdown();
  return seconds;
}

// Where the model's weights are: ONNX external data in "weights.bin", or each
// tensor's raw_data inside the model.
enum class Storage { kExternal, kInline };

// A chain of MatMuls whose float32 weights are `tensors` tensors of kTensorBytes;
// `header` gets each weight's config.
onnx::ModelProto ChainModel(int tensors, Storage storage, qbake::v1::BakeStreamHeader* header);
std::string Pattern();

double BakeStream(int port, uint64_t bytes) {
  const int tensors = static_cast<int>(bytes / kTensorBytes);
  qbake::v1::BakeStreamRequest request;
  const std::string model =
      ChainModel(tensors, Storage::kExternal, request.mutable_header()).SerializeAsString();
  request.mutable_header()->set_model_bytes(model.size());
  const std::string piece = Pattern();
  auto stub = qbake::v1::Baker::NewStub(Loopback(port));
  grpc::ClientContext context;
  auto stream = stub->BakeStream(&context);
  uint64_t sent = 0;
  int step = 0;
  return Run(
      stream.get(), &request,
      [&](qbake::v1::BakeStreamRequest* next) {
        if (step++ == 0) return true;  // the header
        if (step == 2) {
          next->set_model_data(model);
          return true;
        }
        if (sent >= uint64_t{kTensorBytes} * tensors) return false;
        qbake::v1::ExternalDataChunk* chunk = next->mutable_external_data();
        chunk->set_location("weights.bin");
        chunk->set_offset(sent);
        chunk->set_data(piece);
        sent += kMessageBytes;
        return true;
      },
      [&] {
        for (qbake::v1::BakeEvent event; stream->Read(&event);) {
        }
      });
}

// Each tensor's bytes: the pattern over and over, as in "weights.bin".
std::string TensorBytes() {
  const std::string piece = Pattern();
  std::string bytes;
  bytes.reserve(kTensorBytes);
  while (bytes.size() < kTensorBytes) bytes += piece;
  return bytes;
}

// Tensor `index` of the weights: its bytes at the offset index * kTensorBytes of
// "weights.bin", or `inline_bytes` as its raw_data.
void SetWeightData(int index, Storage storage, const std::string& inline_bytes,
                   onnx::TensorProto* weight) {
  if (storage == Storage::kInline) {
    weight->set_raw_data(inline_bytes);
    return;
  }
  weight->set_data_location(onnx::TensorProto::EXTERNAL);
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"location", "weights.bin"},
                                   {"offset", absl::StrCat(index * kTensorBytes)},
                                   {"length", absl::StrCat(kTensorBytes)}}) {
    onnx::StringStringEntryProto* entry = weight->add_external_data();
    entry->set_key(key);
    entry->set_value(value);
  }
}

onnx::ModelProto ChainModel(int tensors, Storage storage, qbake::v1::BakeStreamHeader* header) {
  const std::string inline_bytes = storage == Storage::kInline ? TensorBytes() : "";
  onnx::ModelProto model;
  model.set_ir_version(7);
  model.add_opset_import()->set_version(13);
  onnx::GraphProto* graph = model.mutable_graph();
  std::string input = "x";
  for (int i = 0; i < tensors; ++i) {
    const std::string name = absl::StrCat("w", i), node = absl::StrCat("matmul", i);
    onnx::NodeProto* matmul = graph->add_node();
    matmul->set_op_type("MatMul");
    matmul->set_name(node);
    matmul->add_input(input);
    matmul->add_input(name);
    input = absl::StrCat("y", i);
    matmul->add_output(input);
    onnx::TensorProto* weight = graph->add_initializer();
    weight->set_name(name);
    weight->set_data_type(onnx::TensorProto::FLOAT);
    weight->add_dims(static_cast<int64_t>(kTensorBytes / sizeof(float)));
    SetWeightData(i, storage, inline_bytes, weight);
    qbake::v1::TensorQuantConfig* config = header->add_configs();
    config->set_operation(node);
    config->set_variable(name);
    config->set_policy(0x01 | 0x04 | 0x10);  // PER_TENSOR LINEAR SYMMETRICAL
    config->set_bit_width(8);
    config->set_quant_min(-128);
    config->set_quant_max(127);
    config->set_state(qbake::v1::ACTIVATED);
    config->add_scale(1.0f / 64);
  }
  return model;
}

// The weights' bytes: the same 1 MiB pattern over and over.
std::string Pattern() {
  std::vector<float> pattern(kMessageBytes / sizeof(float));
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<float>(i % 2001) / 500 - 2;
  return std::string(reinterpret_cast<const char*>(pattern.data()), kMessageBytes);
}

// The PPQ config document of the header's configs (all PER_TENSOR int8, TRT_INT8).
std::string ConfigDocument(const qbake::v1::BakeStreamHeader& header) {
  std::string configs, dispatchings, values;
  for (int i = 0; i < header.configs_size(); ++i) {
    const qbake::v1::TensorQuantConfig& c = header.configs(i);
    const std::string separator = i == 0 ? "" : ", ";
    absl::StrAppend(&configs, separator, "\"", c.operation(), "\": {\"", c.variable(),
                    "\": {\"bit_width\": 8, \"policy\": [\"PER_TENSOR\", \"LINEAR\", "
                    "\"SYMMETRICAL\"], \"state\": \"ACTIVATED\", \"quant_min\": -128, "
                    "\"quant_max\": 127, \"hash\": ",
                    i, ", \"dominator\": ", i, "}}");
    absl::StrAppend(&dispatchings, separator, "\"", c.operation(), "\": \"TRT_INT8\"");
    absl::StrAppend(&values, separator, "\"", i, "\": {\"scale\": ", c.scale(0),
                    ", \"zero_point\": 0}");
  }
  return absl::StrCat("{\"configs\": {", configs, "}, \"dispatchings\": {", dispatchings,
                      "}, \"values\": {", values, "}}\n");
}

// The baseline of the bake phase, which bakes tensor by tensor, in place, on a pool
// of one thread per hardware thread: copies `bytes` one tensor at a time from a
// tensor-sized buffer into another, each copy in 64 parts spread over such a pool.
// Both buffers are on huge pages, as qbake's tensors are, and filled before the clock
// starts, as the bake's tensors are by reading. A tensor (64 MiB) is larger than a
// last-level cache of up to 32 MiB, so every copy goes to memory there.
double Memcpy(uint64_t bytes) {
  constexpr size_t kParts = 64;
  std::string source, target;
  qbake::ReserveOnHugePages(&source, kTensorBytes);
  qbake::ReserveOnHugePages(&target, kTensorBytes);
  source.assign(kTensorBytes, '\x5a');
  target.assign(kTensorBytes, '\0');
  qbake::ThreadPool pool(0);
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t copied = 0; copied < bytes; copied += kTensorBytes) {
    const size_t part = std::min<uint64_t>(kTensorBytes, bytes - copied) / kParts;
    pool.ParallelFor(kParts, [&](size_t i) {
      std::memcpy(target.data() + i * part, source.data() + i * part, part);
    });
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int WriteFiles(const std::string& dir, uint64_t bytes, Storage storage) {
  qbake::v1::BakeStreamHeader header;
  const onnx::ModelProto model =
      ChainModel(static_cast<int>(bytes / kTensorBytes), storage, &header);
  std::ofstream model_file(dir + "/model.onnx", std::ios::binary);
  if (!model.SerializeToOstream(&model_file)) {
    std::fprintf(stderr, "cannot write %s/model.onnx (over protobuf's 2 GiB limit?)\n",
                 dir.c_str());
    return 1;
  }
  std::ofstream(dir + "/config.json") << ConfigDocument(header);
  if (storage == Storage::kInline) return 0;
  std::ofstream weights(dir + "/weights.bin", std::ios::binary);
  const std::string piece = Pattern();
  for (uint64_t written = 0; written < bytes / kTensorBytes * kTensorBytes;
       written += piece.size()) {
    weights.write(piece.data(), static_cast<std::streamsize>(piece.size()));
  }
  weights.close();
  return weights.good() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const std::string mode = args.empty() ? "" : args[0];
  const auto bytes = [&](size_t index) { return std::strtoull(args[index].c_str(), nullptr, 10); };
  if (mode == "files" && (args.size() == 3 || (args.size() == 4 && args[3] == "--inline"))) {
    return WriteFiles(args[1], bytes(2), args.size() == 4 ? Storage::kInline : Storage::kExternal);
  }
  double seconds = 0;
  if (mode == "echo" && args.size() == 2) {
    seconds = Echo(bytes(1));
  } else if (mode == "memcpy" && args.size() == 2) {
    seconds = Memcpy(bytes(1));
  } else if (mode == "bake" && args.size() == 3) {
    seconds = BakeStream(std::atoi(args[1].c_str()), bytes(2));
  } else {
    std::fprintf(stderr,
                 "usage: stream_bench echo BYTES | bake PORT BYTES | memcpy BYTES | "
                 "files DIR BYTES [--inline]\n");
    return 2;
  }
  std::printf("%s %llu %.6f %.3f\n", mode.c_str(), bytes(args.size() - 1), seconds,
              static_cast<double>(bytes(args.size() - 1)) / seconds / 1e9);
  return 0;
}
