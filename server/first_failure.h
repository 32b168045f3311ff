// Which parameter's error a call reports when several fail: the first in config
// order, as a local bake reports it (BakeSession::Run checks every parameter in that
// order before it bakes any). A call bakes its parameters in the order their data
// arrives, so a failure is held until every parameter before it has baked or failed;
// the parameters after it no longer matter. Not thread-safe: the reactor's lock
// guards it.
#ifndef QBAKE_SERVER_FIRST_FAILURE_H_
#define QBAKE_SERVER_FIRST_FAILURE_H_

#include <cstddef>
#include <limits>
#include <vector>

#include "absl/status/status.h"

namespace qbake {

class FirstFailure {
 public:
  // For `parameters` parameters, indexed in config order.
  explicit FirstFailure(size_t parameters) : settled_(parameters, false) {}

  // Parameter `index` has baked (`status` OK) or failed with `status`.
  void Settle(size_t index, const absl::Status& status);

  // False once a failure is held before parameter `index`: its outcome cannot change
  // the call's.
  bool Matters(size_t index) const { return index < failed_index_; }

  // A parameter has failed: the call will end with an error, held or decided.
  bool failed() const { return failed_index_ != kNone; }

  // The failure the call ends with, once every parameter before it has settled; OK
  // while there is none, or while one may still come first.
  absl::Status Decided() const;

 private:
  static constexpr size_t kNone = std::numeric_limits<size_t>::max();

  std::vector<bool> settled_;
  size_t failed_index_ = kNone;
  absl::Status failure_;
  size_t settled_before_failure_ = 0;  // settled parameters with index < failed_index_
};

}  // namespace qbake

#endif  // QBAKE_SERVER_FIRST_FAILURE_H_
