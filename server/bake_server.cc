#include "server/bake_server.h"

#include <chrono>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth_token.h"
#include "common/version.h"
#include "core/kernel_path.h"
#include "core/quant_config.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "server/bake_settings.h"
#include "server/exception_boundary.h"
#include "server/server_credentials.h"
#include "server/transport_limits.h"

namespace qbake {
namespace {

// "HOST:PORT" of `listen` with the port actually bound.
std::string BoundAddress(const std::string& listen, int port) {
  return absl::StrCat(listen.substr(0, listen.rfind(':')), ":", port);
}

void SetServing(grpc::Server* server, bool serving) {
  if (server == nullptr) return;
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  health->SetServingStatus("", serving);
  health->SetServingStatus(v1::Baker::service_full_name(), serving);
}

// A server of gRPC health alone (the default service every server gets), plaintext.
std::unique_ptr<grpc::Server> StartHealthServer(const std::string& listen, int* port) {
  grpc::ServerBuilder builder;
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  ApplyTransportLimits(&builder);
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), port);
  return builder.BuildAndStart();
}

// What the Info RPC answers for a server with `options` (defaults resolved).
v1::ServerInfo MakeServerInfo(const ServerOptions& options) {
  v1::ServerInfo info;
  info.set_version(std::string(QbakeVersion()));
  info.set_kernel(std::string(KernelPathName(ActiveKernelPath())));
  info.set_threads(options.threads);
  info.set_max_concurrent(options.max_concurrent);
  info.set_max_queued(options.max_queued);
  info.set_queue_timeout_seconds(absl::ToDoubleSeconds(options.queue_timeout));
  info.set_max_model_bytes(options.max_model_bytes);
  info.set_max_request_bytes(GRPC_DEFAULT_MAX_RECV_MESSAGE_LENGTH);
  info.set_max_chunk_bytes(kMaxChunkBytes);
  for (uint32_t bit = kPerTensor; bit <= kDynamic; bit <<= 1) {
    info.add_policy_bits(PolicyToString(bit));
  }
  for (int rounding = 0; rounding <= static_cast<int>(Rounding::kDown); ++rounding) {
    info.add_roundings(std::string(RoundingName(static_cast<Rounding>(rounding))));
  }
  // Every value of the enum: ExportOptionsFromWire (proto/export_wire.h) takes each.
  const google::protobuf::EnumDescriptor* formats = v1::ExportFormat_descriptor();
  for (int i = 0; i < formats->value_count(); ++i) {
    info.add_export_formats(static_cast<v1::ExportFormat>(formats->value(i)->number()));
  }
  return info;
}

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
      admission_(
          AdmissionLimits{options_.max_concurrent, options_.max_queued, options_.queue_timeout}),
      watchdog_(options_.idle_timeout),
      memory_(options_.max_memory),
      metrics_(std::make_shared<ServerMetrics>([this] { return admission_.active(); },
                                               [this] { return admission_.queued(); })),
      env_{&pool_,         &admission_,   &live_calls_,
           &watchdog_,     &memory_,      options_.max_model_bytes,
           std::move(log), metrics_.get()},
      service_(&env_, std::move(auth_token), MakeServerInfo(options_)) {}

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
  ApplyConnectionLifetime(&builder, options.max_connection_age, options.max_connection_age_grace);
  builder.AddListeningPort(options.listen, *credentials, &server->port_);
  builder.RegisterService(&server->service_);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    server->stopped_ = true;
    return absl::UnavailableError(absl::StrCat("cannot listen on '", options.listen, "'"));
  }
  if (!options.health_listen.empty()) {
    server->health_server_ = StartHealthServer(options.health_listen, &server->health_port_);
    if (server->health_server_ == nullptr || server->health_port_ == 0) {
      server->server_->Shutdown();
      server->stopped_ = true;
      return absl::UnavailableError(
          absl::StrCat("cannot listen on '", options.health_listen, "' (--health-listen)"));
    }
  }
  if (!options.metrics_listen.empty()) {
    absl::Status exposed = server->ExposeMetrics(options.metrics_listen);
    if (!exposed.ok()) return exposed;
  }
  SetServing(server->server_.get(), true);
  SetServing(server->health_server_.get(), true);
  return server;
}

BakeServer::~BakeServer() {
  if (!stopped_) Drain(absl::ZeroDuration());
}

std::string BakeServer::address() const { return BoundAddress(options_.listen, port_); }

absl::Status BakeServer::ExposeMetrics(const std::string& listen) {
  absl::Status status = CatchExceptions([&] {
    metrics_exposer_ = std::make_unique<prometheus::Exposer>(listen, /*num_threads=*/1);
    return absl::OkStatus();
  });
  if (!status.ok() || metrics_exposer_->GetListeningPorts().empty()) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on '", listen, "' (--metrics-listen)"));
  }
  metrics_exposer_->RegisterCollectable(metrics_);
  return absl::OkStatus();
}

std::string BakeServer::metrics_address() const {
  if (metrics_exposer_ == nullptr) return "";
  return BoundAddress(options_.metrics_listen, metrics_exposer_->GetListeningPorts().front());
}

std::string BakeServer::health_address() const {
  return health_server_ == nullptr ? "" : BoundAddress(options_.health_listen, health_port_);
}

void BakeServer::Drain(absl::Duration grace) {
  admission_.BeginDrain();
  SetServing(server_.get(), false);
  SetServing(health_server_.get(), false);
  const absl::Time deadline = absl::Now() + grace;
  // A call gives its place back just before it sends its status: once all are idle,
  // Shutdown still lets those statuses go out (until the deadline) instead of
  // cancelling them on the wire; past the deadline it cancels what is left at once.
  const bool idle = admission_.WaitIdle(deadline);
  server_->Shutdown(idle ? absl::ToChronoTime(deadline) : std::chrono::system_clock::now());
  admission_.WaitIdle(absl::InfiniteFuture());
  live_calls_.WaitNone();
  if (health_server_ != nullptr) health_server_->Shutdown(std::chrono::system_clock::now());
  stopped_ = true;
}

}  // namespace qbake
