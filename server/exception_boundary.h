// Where the server stops exceptions: gRPC's callbacks and the pool's tasks must never
// let one out (the process would abort, and every call on it with it). Code that may
// throw (an allocation a request sized, a library) runs inside CatchExceptions, and
// what it threw becomes the call's status.
#ifndef QBAKE_SERVER_EXCEPTION_BOUNDARY_H_
#define QBAKE_SERVER_EXCEPTION_BOUNDARY_H_

#include <functional>

#include "absl/status/status.h"

namespace qbake {

// Runs `body` and returns its status; when it throws, RESOURCE_EXHAUSTED for an
// allocation that failed (std::bad_alloc, std::length_error), else INTERNAL naming
// what was thrown.
absl::Status CatchExceptions(const std::function<absl::Status()>& body);

}  // namespace qbake

#endif  // QBAKE_SERVER_EXCEPTION_BOUNDARY_H_
