#include "server/exception_boundary.h"

#include <exception>
#include <new>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "core/error_detail.h"

namespace qbake {

absl::Status CatchExceptions(const std::function<absl::Status()>& body) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return WithReason(absl::ResourceExhaustedError("qbake-server ran out of memory for this call"),
                      error_reason::kOutOfMemory);
  } catch (const std::length_error& error) {
    return WithReason(absl::ResourceExhaustedError(absl::StrCat(
                          "qbake-server cannot hold what this call asks for (", error.what(), ")")),
                      error_reason::kOutOfMemory);
  } catch (const std::exception& error) {
    return absl::InternalError(absl::StrCat("qbake-server failed unexpectedly: ", error.what()));
  } catch (...) {
    return absl::InternalError("qbake-server failed unexpectedly (a non-standard exception)");
  }
}

}  // namespace qbake
