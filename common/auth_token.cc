#include "common/auth_token.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/regular_file.h"

namespace qbake {
namespace {

// Tokens are short; a bigger file is certainly not one and is not read whole.
constexpr int64_t kMaxTokenFileBytes = 4096;

using Digest = std::array<unsigned char, SHA256_DIGEST_LENGTH>;

Digest Sha256(absl::string_view bytes) {
  Digest digest;
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest.data());
  return digest;
}

bool VisibleAscii(absl::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < '\x7f'; });
}

}  // namespace

absl::StatusOr<std::string> ReadAuthTokenFile(absl::string_view flag, const std::string& path) {
  const std::string culprit = absl::StrCat(flag, " '", path, "'");
  absl::StatusOr<std::string> text = ReadRegularFile(path, kMaxTokenFileBytes);
  if (!text.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(culprit, ": ", text.status().message()));
  }
  absl::string_view token = *text;
  if (!absl::ConsumeSuffix(&token, "\r\n")) absl::ConsumeSuffix(&token, "\n");
  if (token.empty())
    return absl::InvalidArgumentError(absl::StrCat(culprit, ": the file is empty"));
  if (!VisibleAscii(token)) {
    return absl::InvalidArgumentError(absl::StrCat(
        culprit, ": a token may hold only visible ASCII characters (no spaces or line breaks)"));
  }
  return std::string(token);
}

std::string BearerValue(absl::string_view token) { return absl::StrCat("Bearer ", token); }

bool BearerMatches(absl::string_view value, absl::string_view token) {
  const Digest got = Sha256(value);
  const Digest want = Sha256(BearerValue(token));
  return CRYPTO_memcmp(got.data(), want.data(), got.size()) == 0;
}

}  // namespace qbake
