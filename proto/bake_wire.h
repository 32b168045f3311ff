// Conversions between the qbake.v1 wire messages and the core's types, shared by
// the server and the client so both sides read and write the API the same way.
// Enum numbers are PPQ's on both sides; unknown numbers are INVALID_ARGUMENT errors
// naming the operation, variable and field, like every config error.
#ifndef QBAKE_PROTO_BAKE_WIRE_H_
#define QBAKE_PROTO_BAKE_WIRE_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "core/bake_outcome.h"
#include "core/bake_session.h"
#include "core/config_spec.h"
#include "core/integer_type.h"
#include "qbake/v1/bake.pb.h"

namespace qbake {

absl::StatusOr<TensorConfigSpec> SpecFromWire(const v1::TensorQuantConfig& wire);
v1::TensorQuantConfig SpecToWire(const TensorConfigSpec& spec);

// The core options a request's wire options ask for (progress is not carried).
absl::StatusOr<BakeOptions> OptionsFromWire(const v1::BakeOptions& wire);
v1::BakeOptions OptionsToWire(const BakeOptions& options);

v1::ConfigUpdate ConfigUpdateToWire(size_t index, const TensorConfigSpec& spec,
                                    const ConfigOutcome& outcome);
absl::StatusOr<ConfigOutcome> ConfigOutcomeFromWire(const v1::ConfigUpdate& wire);

v1::BakeSummary SummaryToWire(const BakeSummary& summary);

v1::IntegerType IntegerTypeToWire(IntegerType type);
absl::StatusOr<BakeSummary> SummaryFromWire(const v1::BakeSummary& wire);

}  // namespace qbake

#endif  // QBAKE_PROTO_BAKE_WIRE_H_
