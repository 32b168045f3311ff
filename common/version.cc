#include "common/version.h"

namespace qbake {

absl::string_view QbakeVersion() { return QBAKE_VERSION_TEXT; }

}  // namespace qbake
