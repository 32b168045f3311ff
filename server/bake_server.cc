#include "server/bake_server.h"

#include <chrono>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "server/auth_token.h"
#include "server/server_credentials.h"
#include "server/transport_limits.h"

namespace qbake {
namespace {

// The token of --auth-token-file; nullopt without one.
absl::StatusOr<std::optional<std::string>> AuthToken(const ServerOptions& options) {
  if (options.auth_token_file.empty()) return std::nullopt;
  return ReadAuthTokenFile("--auth-token-file", options.auth_token_file);
}

}  // namespace

// The pool gets one thread more than --threads: Schedule never runs a bake on the
// calling (gRPC) thread, and `threads` workers bake.
BakeServer::BakeServer(const ServerOptions& options, CallLogSink log,
                       std::optional<std::string> auth_token)
    : options_(ResolveDefaults(options)),
      pool_(options_.threads + 1),
      admission_(options_.max_concurrent),
      watchdog_(options_.idle_timeout),
      memory_(options_.max_memory),
      env_{&pool_, &admission_, &live_calls_, &watchdog_, &memory_, options_.max_model_bytes,
           std::move(log)},
      service_(&env_, std::move(auth_token)) {}

absl::StatusOr<std::unique_ptr<BakeServer>> BakeServer::Start(const ServerOptions& options,
                                                              CallLogSink log) {
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeServerCredentials(options);
  if (!credentials.ok()) return credentials.status();
  absl::StatusOr<std::optional<std::string>> auth_token = AuthToken(options);
  if (!auth_token.ok()) return auth_token.status();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  auto server = absl::WrapUnique(new BakeServer(options, std::move(log), *std::move(auth_token)));
  grpc::ServerBuilder builder;
  // A port another process holds is an error, not a silent share (gRPC's default on Linux).
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  ApplyTransportLimits(&builder);
  builder.AddListeningPort(options.listen, *credentials, &server->port_);
  builder.RegisterService(&server->service_);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    server->stopped_ = true;
    return absl::UnavailableError(absl::StrCat("cannot listen on '", options.listen, "'"));
  }
  grpc::HealthCheckServiceInterface* health = server->server_->GetHealthCheckService();
  health->SetServingStatus("", true);
  health->SetServingStatus(v1::Baker::service_full_name(), true);
  return server;
}

BakeServer::~BakeServer() {
  if (!stopped_) Drain(absl::ZeroDuration());
}

std::string BakeServer::address() const {
  return absl::StrCat(options_.listen.substr(0, options_.listen.rfind(':')), ":", port_);
}

void BakeServer::Drain(absl::Duration grace) {
  admission_.BeginDrain();
  server_->GetHealthCheckService()->SetServingStatus(false);
  const absl::Time deadline = absl::Now() + grace;
  // A call gives its place back just before it sends its status: once all are idle,
  // Shutdown still lets those statuses go out (until the deadline) instead of
  // cancelling them on the wire; past the deadline it cancels what is left at once.
  const bool idle = admission_.WaitIdle(deadline);
  server_->Shutdown(idle ? absl::ToChronoTime(deadline) : std::chrono::system_clock::now());
  admission_.WaitIdle(absl::InfiniteFuture());
  live_calls_.WaitNone();
  stopped_ = true;
}

}  // namespace qbake
