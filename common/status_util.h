// Adding context to an error on its way up, so the one line the user sees says which
// file, tensor or flag it is about.
#ifndef QBAKE_COMMON_STATUS_UTIL_H_
#define QBAKE_COMMON_STATUS_UTIL_H_

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/error_detail.h"

namespace qbake {

// Same code, reason and site (core/error_detail.h), message "CONTEXT: MESSAGE".
inline absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  return Reworded(status, absl::StrCat(context, ": ", status.message()));
}

}  // namespace qbake

#endif  // QBAKE_COMMON_STATUS_UTIL_H_
