// The one shape of every config and parameter error: it names the operation, the
// variable and the field, so a user can find the culprit in their document.
#ifndef QBAKE_CORE_CONFIG_ERROR_H_
#define QBAKE_CORE_CONFIG_ERROR_H_

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace qbake {

// INVALID_ARGUMENT: "operation 'OP', variable 'VAR', field 'FIELD': MESSAGE".
inline absl::Status ConfigError(absl::string_view operation, absl::string_view variable,
                                absl::string_view field, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrFormat("operation '%s', variable '%s', field '%s': %s",
                                                    operation, variable, field, message));
}

// Prefixes a field-level error ("field 'dims': ...") with the operation and variable
// it belongs to, keeping its code.
inline absl::Status ConfigSiteError(absl::string_view operation, absl::string_view variable,
                                    const absl::Status& field_error) {
  return absl::Status(field_error.code(),
                      absl::StrFormat("operation '%s', variable '%s', %s", operation, variable,
                                      field_error.message()));
}

}  // namespace qbake

#endif  // QBAKE_CORE_CONFIG_ERROR_H_
