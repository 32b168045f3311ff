// The error for a reply that breaks the qbake.v1 protocol (a server bug, hence
// INTERNAL): "malformed reply from the server: WHAT".
#ifndef QBAKE_CLIENT_MALFORMED_REPLY_H_
#define QBAKE_CLIENT_MALFORMED_REPLY_H_

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace qbake {

inline absl::Status MalformedReply(absl::string_view what) {
  return absl::InternalError(absl::StrCat("malformed reply from the server: ", what));
}

}  // namespace qbake

#endif  // QBAKE_CLIENT_MALFORMED_REPLY_H_
