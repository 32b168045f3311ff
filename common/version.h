// qbake's version, the same in every binary: CMake's project version, followed by
// `git describe` of the checkout it was built from (or QBAKE_DESCRIBE, given to CMake
// where there is no checkout, as in the container build), e.g.
// "0.1.0 (git 32c4d5b-dirty)". Without either, the project version alone.
#ifndef QBAKE_COMMON_VERSION_H_
#define QBAKE_COMMON_VERSION_H_

#include "absl/strings/string_view.h"

namespace qbake {

absl::string_view QbakeVersion();

}  // namespace qbake

#endif  // QBAKE_COMMON_VERSION_H_
