// A plain HTTP/1.0 GET over a loopback TCP connection, for the metrics endpoint.
#ifndef QBAKE_TESTS_SUPPORT_HTTP_GET_H_
#define QBAKE_TESTS_SUPPORT_HTTP_GET_H_

#include <string>

#include "absl/status/statusor.h"

namespace qbake::testing {

// The body of "GET `path`" from `address` ("HOST:PORT", an IPv4 host); an error when
// the connection fails or the status is not 200.
absl::StatusOr<std::string> HttpGet(const std::string& address, const std::string& path);

// The value of the sample `series` (the metric name with its labels, exactly as the
// text format prints it, e.g. `qbake_calls_total{code="OK",method="Bake"}`) in
// Prometheus text `metrics`; -1 when absent.
double MetricValue(const std::string& metrics, const std::string& series);

// The metrics of `address`'s /metrics once `series` has `value` there, scraping every
// 10 ms for up to 20 s; the last scrape's error, or the text, when it never does.
absl::StatusOr<std::string> AwaitMetrics(const std::string& address, const std::string& series,
                                         double value);

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_SUPPORT_HTTP_GET_H_
