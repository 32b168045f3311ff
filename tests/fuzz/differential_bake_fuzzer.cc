// libFuzzer target, differential and structure-aware: the input is a serialized
// qbake.v1.BakeRequest (mutated by structured_mutator.h), baked twice as the CLI
// bakes it: here (LocalModelBaker) and through a qbake-server in this process
// (RemoteModelBaker on 127.0.0.1; by Bake, or, for an input of odd size, by BakeStream
// as soon as the model passes its configs' size, with tensors of 64 bytes or more as
// external data). Both must give the
// same answer: the same status code and message, or the same outcomes and the same
// baked model, byte for byte. Any difference aborts (a finding), a hang included:
// the remote call's 50 s deadline would end it with another answer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/model_baker.h"
#include "client/remote_model_baker.h"
#include "core/error_detail.h"
#include "google/protobuf/stubs/logging.h"
#include "grpcpp/grpcpp.h"
#include "proto/bake_wire.h"
#include "proto/status_mapping.h"
#include "qbake/v1/bake.pb.h"
#include "server/bake_server.h"
#include "tests/fuzz/bake_request_input.h"

namespace {

// The in-process server, started once and kept for the whole run.
std::shared_ptr<grpc::Channel> ServerChannel() {
  static const std::shared_ptr<grpc::Channel> channel = [] {
    qbake::ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.threads = 1;
    static std::unique_ptr<qbake::BakeServer> server =
        *qbake::BakeServer::Start(options, [](absl::string_view) {});
    return grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials());
  }();
  return channel;
}

// A status as bytes to compare: its code, message, reason, site and retry hint, what
// a client reads of it (not how each is carried).
std::string StatusAnswer(const absl::Status& status) {
  std::string answer = absl::StrCat(absl::StatusCodeToString(status.code()), ": ", status.message(),
                                    " [reason ", qbake::ErrorReason(status), "]");
  if (const std::optional<qbake::ErrorSite> site = qbake::SiteOf(status)) {
    absl::StrAppend(&answer, " [site '", site->operation, "' '", site->variable, "' '", site->field,
                    "']");
  }
  if (const std::optional<absl::Duration> delay = qbake::RetryDelay(status)) {
    absl::StrAppend(&answer, " [retry after ", absl::FormatDuration(*delay), "]");
  }
  return answer;
}

// What a bake answered, as bytes to compare: the status, or the outcomes (but the
// time taken) and the baked model.
std::string Answer(const absl::StatusOr<qbake::BakeOutcome>& outcome,
                   const std::vector<qbake::TensorConfigSpec>& specs,
                   const onnx::ModelProto& model) {
  if (!outcome.ok()) return StatusAnswer(outcome.status());
  std::string answer;
  for (size_t i = 0; i < outcome->configs.size() && i < specs.size(); ++i) {
    answer += qbake::ConfigUpdateToWire(i, specs[i], outcome->configs[i]).SerializeAsString();
  }
  qbake::BakeSummary summary = outcome->summary;
  summary.bake_seconds = 0;
  return answer + qbake::SummaryToWire(summary).SerializeAsString() + model.SerializeAsString();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  google::protobuf::SetLogHandler(nullptr);
  ServerChannel();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::optional<qbake::fuzz::BakeRequestInput> input =
      qbake::fuzz::ReadBakeRequestInput(data, size);
  if (!input) return 0;
  const std::vector<qbake::TensorConfigSpec>& specs = input->settings.specs;
  const qbake::BakeOptions& options = input->settings.options;

  onnx::ModelProto local_model = input->model;
  const absl::StatusOr<qbake::BakeOutcome> local =
      qbake::LocalModelBaker(1).Bake(&local_model, specs, options);

  qbake::RemoteBakeSettings remote_settings;
  // Under libFuzzer's -timeout (60 s in .ci/fuzz): a call starved of CPU on a loaded
  // machine is not taken for a hang (one took over 20 s at low priority beside CI).
  remote_settings.deadline = absl::Seconds(50);
  if (size % 2 == 1) {         // by BakeStream unless the model is small: the configs fit
    size_t configs_bytes = 0;  // a message (with room for their framing), the model not
    for (const auto& config : input->request.configs()) configs_bytes += config.ByteSizeLong();
    remote_settings.max_request_bytes = 2 * configs_bytes + 1024;
    remote_settings.min_external_bytes = 64;
  }
  onnx::ModelProto remote_model = input->model;
  const absl::StatusOr<qbake::BakeOutcome> remote =
      qbake::RemoteModelBaker(ServerChannel(), remote_settings).Bake(&remote_model, specs, options);

  // A local error as a client would receive it: its details' names UTF-8 only.
  const absl::StatusOr<qbake::BakeOutcome> local_as_sent =
      local.ok() ? local
                 : absl::StatusOr<qbake::BakeOutcome>(
                       qbake::FromGrpcStatus(qbake::ToGrpcStatus(local.status())));
  const std::string here = Answer(local_as_sent, specs, local_model);
  const std::string there = Answer(remote, specs, remote_model);
  if (here != there) {
    std::cerr << "differential_bake_fuzzer: local and remote differ\n  local:  "
              << (local.ok() ? "OK" : StatusAnswer(local.status()))
              << "\n  remote: " << (remote.ok() ? "OK" : StatusAnswer(remote.status())) << "\n";
    std::abort();
  }
  return 0;
}
