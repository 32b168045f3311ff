// Shared-token authentication between qbake and qbake-server: both read the token
// from a file the same way, the client sends it as "authorization: Bearer TOKEN"
// metadata on every call, and the server compares what it gets in constant time.
// Used by the server and the client alike (library qbake_auth_token).
#ifndef QBAKE_COMMON_AUTH_TOKEN_H_
#define QBAKE_COMMON_AUTH_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace qbake {

// The metadata key that carries the token (gRPC keys are lower case).
inline constexpr absl::string_view kAuthorizationKey = "authorization";

// The token in the file at `path`: its contents with one trailing "\n" or "\r\n"
// dropped. INVALID_ARGUMENT naming `flag` and `path` when the file cannot be read,
// is empty, or holds anything but visible ASCII (which metadata cannot carry).
absl::StatusOr<std::string> ReadAuthTokenFile(absl::string_view flag, const std::string& path);

// The metadata value that presents `token`: "Bearer TOKEN".
std::string BearerValue(absl::string_view token);

// Whether `value` is BearerValue(token). Takes the same time whatever `value` holds
// and wherever it differs: SHA-256 digests of both are compared with CRYPTO_memcmp.
bool BearerMatches(absl::string_view value, absl::string_view token);

}  // namespace qbake

#endif  // QBAKE_COMMON_AUTH_TOKEN_H_
