// A running qbake-server: the qbake.v1.Baker service, gRPC's standard health service
// ("" and "qbake.v1.Baker" SERVING) and server reflection on one listening address;
// with --health-listen, the same health statuses on a second, plaintext address.
// Bakes run on a pool of `threads` workers (gRPC's own threads only pass messages).
#ifndef QBAKE_SERVER_BAKE_SERVER_H_
#define QBAKE_SERVER_BAKE_SERVER_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/thread_pool.h"
#include "grpcpp/grpcpp.h"
#include "prometheus/exposer.h"
#include "server/baker_service.h"
#include "server/call_admission.h"
#include "server/call_environment.h"
#include "server/call_log.h"
#include "server/memory_budget.h"
#include "server/server_metrics.h"
#include "server/server_options.h"
#include "server/stall_watchdog.h"

namespace qbake {

class BakeServer {
 public:
  // Starts serving with `options` (defaults are resolved here). UNAVAILABLE when the
  // address cannot be bound; the credentials' errors as MakeServerCredentials gives them;
  // ReadAuthTokenFile's errors for --auth-token-file.
  static absl::StatusOr<std::unique_ptr<BakeServer>> Start(const ServerOptions& options,
                                                           CallLogSink log = StderrCallLog());

  // Drains with no grace period unless Drain was called.
  ~BakeServer();

  BakeServer(const BakeServer&) = delete;
  BakeServer& operator=(const BakeServer&) = delete;

  int port() const { return port_; }
  // The options it runs with, defaults resolved.
  const ServerOptions& options() const { return options_; }
  // The --listen host with the port actually bound, e.g. "127.0.0.1:43211".
  std::string address() const;
  // The same for --health-listen and --metrics-listen; empty without them.
  std::string health_address() const;
  std::string metrics_address() const;

  // Health turns NOT_SERVING and new calls get UNAVAILABLE; calls in flight get
  // until `grace` has passed to finish, then the rest are cancelled. Returns once
  // the server has stopped and every call is done.
  void Drain(absl::Duration grace);

  // Calls being served now, and calls waiting for a place.
  int active_calls() const { return admission_.active(); }
  int queued_calls() const { return admission_.queued(); }

 private:
  BakeServer(const ServerOptions& options, CallLogSink log, std::optional<std::string> auth_token);
  // Serves the metrics on `listen`; UNAVAILABLE when it cannot be bound.
  absl::Status ExposeMetrics(const std::string& listen);

  const ServerOptions options_;
  ThreadPool pool_;
  CallAdmission admission_;
  LiveCalls live_calls_;
  StallWatchdog watchdog_;
  MemoryBudget memory_;
  std::shared_ptr<ServerMetrics> metrics_;
  std::unique_ptr<prometheus::Exposer> metrics_exposer_;  // with --metrics-listen
  CallEnvironment env_;
  BakerService service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> health_server_;  // with --health-listen
  int port_ = 0;
  int health_port_ = 0;
  bool stopped_ = false;
};

}  // namespace qbake

#endif  // QBAKE_SERVER_BAKE_SERVER_H_
