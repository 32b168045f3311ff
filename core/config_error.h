// The one shape of every config and parameter error: it names the operation, the
// variable and the field, so a user can find the culprit in their document, and
// carries them as its site (core/error_detail.h), so a program can too.
#ifndef QBAKE_CORE_CONFIG_ERROR_H_
#define QBAKE_CORE_CONFIG_ERROR_H_

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "core/error_detail.h"

namespace qbake {

// INVALID_ARGUMENT, CONFIG_INVALID: "operation 'OP', variable 'VAR', field 'FIELD':
// MESSAGE".
inline absl::Status ConfigError(absl::string_view operation, absl::string_view variable,
                                absl::string_view field, absl::string_view message) {
  const absl::Status status = absl::InvalidArgumentError(absl::StrFormat(
      "operation '%s', variable '%s', field '%s': %s", operation, variable, field, message));
  return WithSite(WithReason(status, error_reason::kConfigInvalid),
                  {std::string(operation), std::string(variable), std::string(field)});
}

// The same for the parameter's values rather than its config: MODEL_INVALID.
inline absl::Status ParameterValueError(absl::string_view operation, absl::string_view variable,
                                        absl::string_view message) {
  return WithReason(ConfigError(operation, variable, "value", message),
                    error_reason::kModelInvalid);
}

// INVALID_ARGUMENT, MODEL_INVALID: "field 'FIELD': MESSAGE", a flaw of a field of a
// parameter's TensorProto, for ConfigSiteError to place.
inline absl::Status TensorFieldError(absl::string_view field, absl::string_view message) {
  const absl::Status status =
      absl::InvalidArgumentError(absl::StrFormat("field '%s': %s", field, message));
  return WithSite(WithReason(status, error_reason::kModelInvalid), {"", "", std::string(field)});
}

// Prefixes a field-level error ("field 'dims': ...") with the operation and variable
// it belongs to, keeping its code, its reason and its field.
inline absl::Status ConfigSiteError(absl::string_view operation, absl::string_view variable,
                                    const absl::Status& field_error) {
  const std::optional<ErrorSite> inner = SiteOf(field_error);
  return WithSite(
      Reworded(field_error, absl::StrFormat("operation '%s', variable '%s', %s", operation,
                                            variable, field_error.message())),
      {std::string(operation), std::string(variable), inner ? inner->field : ""});
}

}  // namespace qbake

#endif  // QBAKE_CORE_CONFIG_ERROR_H_
