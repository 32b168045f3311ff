// qbake-server's Prometheus metrics, served as text at /metrics on --metrics-listen
// (prometheus-cpp's Exposer):
//   qbake_calls_total{method,code}           calls ended, by gRPC status code
//   qbake_call_duration_seconds{method}      histogram, queue wait included
//   qbake_queue_wait_seconds{method}         histogram of the wait for a place
//   qbake_bytes_received_total, qbake_bytes_sent_total   serialized messages
//   qbake_parameters_baked_total
//   qbake_calls_in_flight, qbake_calls_queued            gauges, read when scraped
//   qbake_build_info{version,kernel}         1
// Thread-safe: calls record from any thread, and a scrape sees each ended call in
// every series or in none.
#ifndef QBAKE_SERVER_SERVER_METRICS_H_
#define QBAKE_SERVER_SERVER_METRICS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "server/call_log.h"

namespace qbake {

class ServerMetrics : public prometheus::Collectable {
 public:
  // `in_flight` and `queued` are read at each scrape.
  ServerMetrics(std::function<int()> in_flight, std::function<int()> queued);

  // Counts one ended call as its log line describes it.
  void RecordCall(const CallRecord& record);

  // prometheus::Collectable: every metric above, the gauges read now.
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  // Held while a call is recorded and while a scrape collects.
  mutable Mutex mu_;
  const std::function<int()> in_flight_;
  const std::function<int()> queued_;
  const std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& calls_;
  prometheus::Family<prometheus::Histogram>& durations_;
  prometheus::Family<prometheus::Histogram>& queue_waits_;
  prometheus::Counter& bytes_received_;
  prometheus::Counter& bytes_sent_;
  prometheus::Counter& parameters_baked_;
  prometheus::Gauge& in_flight_gauge_;
  prometheus::Gauge& queued_gauge_;
};

}  // namespace qbake

#endif  // QBAKE_SERVER_SERVER_METRICS_H_
