#include "server/server_metrics.h"

#include <utility>

#include "common/version.h"
#include "core/kernel_path.h"

namespace qbake {
namespace {

// Seconds, from a millisecond call to the 10-minute default deadline.
const prometheus::Histogram::BucketBoundaries& SecondsBuckets() {
  static const auto* const buckets = new prometheus::Histogram::BucketBoundaries{
      0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600};
  return *buckets;
}

prometheus::Counter& Counter(prometheus::Registry& registry, const std::string& name,
                             const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({});
}

prometheus::Gauge& Gauge(prometheus::Registry& registry, const std::string& name,
                         const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

}  // namespace

ServerMetrics::ServerMetrics(std::function<int()> in_flight, std::function<int()> queued)
    : in_flight_(std::move(in_flight)),
      queued_(std::move(queued)),
      registry_(std::make_shared<prometheus::Registry>()),
      calls_(prometheus::BuildCounter()
                 .Name("qbake_calls_total")
                 .Help("Baker calls ended, by method and gRPC status code")
                 .Register(*registry_)),
      durations_(prometheus::BuildHistogram()
                     .Name("qbake_call_duration_seconds")
                     .Help("Baker call duration, the wait for a place included")
                     .Register(*registry_)),
      queue_waits_(prometheus::BuildHistogram()
                       .Name("qbake_queue_wait_seconds")
                       .Help("How long Baker calls waited for a place (--max-concurrent)")
                       .Register(*registry_)),
      bytes_received_(Counter(*registry_, "qbake_bytes_received_total",
                              "Serialized request message bytes received")),
      bytes_sent_(Counter(*registry_, "qbake_bytes_sent_total", "Serialized event bytes sent")),
      parameters_baked_(
          Counter(*registry_, "qbake_parameters_baked_total", "Parameters baked and sent")),
      in_flight_gauge_(Gauge(*registry_, "qbake_calls_in_flight", "Baker calls being served")),
      queued_gauge_(Gauge(*registry_, "qbake_calls_queued", "Baker calls waiting for a place")) {
  prometheus::BuildGauge()
      .Name("qbake_build_info")
      .Help("The running qbake-server: its version and bake kernel path")
      .Register(*registry_)
      .Add({{"version", std::string(QbakeVersion())},
            {"kernel", std::string(KernelPathName(ActiveKernelPath()))}})
      .Set(1);
}

void ServerMetrics::RecordCall(const CallRecord& record) {
  MutexLock lock(&mu_);
  calls_.Add({{"method", record.method}, {"code", absl::StatusCodeToString(record.status.code())}})
      .Increment();
  durations_.Add({{"method", record.method}}, SecondsBuckets()).Observe(record.seconds);
  queue_waits_.Add({{"method", record.method}}, SecondsBuckets()).Observe(record.queued_seconds);
  bytes_received_.Increment(static_cast<double>(record.bytes_in));
  bytes_sent_.Increment(static_cast<double>(record.bytes_out));
  parameters_baked_.Increment(static_cast<double>(record.parameters));
}

std::vector<prometheus::MetricFamily> ServerMetrics::Collect() const {
  MutexLock lock(&mu_);
  in_flight_gauge_.Set(in_flight_());
  queued_gauge_.Set(queued_());
  return registry_->Collect();
}

}  // namespace qbake
