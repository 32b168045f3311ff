#include "core/error_detail.h"

#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/types/optional.h"

namespace qbake {
namespace {

constexpr absl::string_view kReasonUrl = "qbake.dev/error-reason";
constexpr absl::string_view kSiteUrl = "qbake.dev/error-site";

absl::string_view ReasonOfCode(absl::StatusCode code) {
  using namespace error_reason;
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
      return kRequestInvalid;
    case absl::StatusCode::kFailedPrecondition:
      return kModelUnsupported;
    case absl::StatusCode::kResourceExhausted:
      return kResourceExhausted;
    case absl::StatusCode::kUnavailable:
      return kUnavailable;
    case absl::StatusCode::kDeadlineExceeded:
      return kDeadlineExceeded;
    case absl::StatusCode::kCancelled:
      return kCancelled;
    case absl::StatusCode::kUnauthenticated:
      return kUnauthenticated;
    default:
      return kInternal;
  }
}

// Each member as its length, ':' and its bytes: names may hold any byte.
std::string EncodeSite(const ErrorSite& site) {
  std::string encoded;
  for (const std::string* member : {&site.operation, &site.variable, &site.field}) {
    absl::StrAppend(&encoded, member->size(), ":", *member);
  }
  return encoded;
}

std::optional<ErrorSite> DecodeSite(absl::string_view encoded) {
  std::vector<std::string> members;
  while (members.size() < 3) {
    const size_t colon = encoded.find(':');
    size_t length = 0;
    if (colon == absl::string_view::npos || !absl::SimpleAtoi(encoded.substr(0, colon), &length) ||
        length > encoded.size() - colon - 1) {
      return std::nullopt;
    }
    members.emplace_back(encoded.substr(colon + 1, length));
    encoded.remove_prefix(colon + 1 + length);
  }
  if (!encoded.empty()) return std::nullopt;
  return ErrorSite{members[0], members[1], members[2]};
}

}  // namespace

absl::Status WithReason(absl::Status status, absl::string_view reason) {
  status.SetPayload(kReasonUrl, absl::Cord(reason));
  return status;
}

std::string ErrorReason(const absl::Status& status) {
  if (status.ok()) return "";
  const absl::optional<absl::Cord> reason = status.GetPayload(kReasonUrl);
  if (reason) return std::string(*reason);
  return std::string(ReasonOfCode(status.code()));
}

absl::Status WithSite(absl::Status status, const ErrorSite& site) {
  status.SetPayload(kSiteUrl, absl::Cord(EncodeSite(site)));
  return status;
}

std::optional<ErrorSite> SiteOf(const absl::Status& status) {
  const absl::optional<absl::Cord> site = status.GetPayload(kSiteUrl);
  if (!site) return std::nullopt;
  return DecodeSite(std::string(*site));
}

absl::Status Reworded(const absl::Status& status, absl::string_view message) {
  absl::Status reworded(status.code(), message);
  status.ForEachPayload([&reworded](absl::string_view url, const absl::Cord& payload) {
    reworded.SetPayload(url, payload);
  });
  return reworded;
}

}  // namespace qbake
