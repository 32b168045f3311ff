#include "server/call_identity.h"

#include <cstdint>

#include "absl/random/random.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace qbake {
namespace {

constexpr size_t kMaxIdentityChars = 128;

// The value of metadata `key` when it is printable ASCII of a sane length, else "".
std::string ClientValue(const grpc::CallbackServerContext& context, absl::string_view key) {
  const auto& metadata = context.client_metadata();
  const auto found = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (found == metadata.end()) return "";
  const absl::string_view value(found->second.data(), found->second.size());
  if (value.empty() || value.size() > kMaxIdentityChars) return "";
  for (char c : value) {
    if (c < 0x21 || c > 0x7e) return "";
  }
  return std::string(value);
}

std::string NewRequestId() {
  static absl::BitGen* const random = new absl::BitGen;
  static absl::Mutex* const mu = new absl::Mutex;
  absl::MutexLock lock(mu);
  return absl::StrFormat("%016x%016x", absl::Uniform<uint64_t>(*random),
                         absl::Uniform<uint64_t>(*random));
}

}  // namespace

CallIdentity IdentifyCall(grpc::CallbackServerContext* context) {
  CallIdentity identity{ClientValue(*context, "x-request-id"),
                        ClientValue(*context, "traceparent")};
  if (identity.request_id.empty()) identity.request_id = NewRequestId();
  context->AddInitialMetadata("x-request-id", identity.request_id);
  return identity;
}

}  // namespace qbake
