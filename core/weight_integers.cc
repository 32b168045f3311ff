#include "core/weight_integers.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/float8.h"
#include "core/float_bits.h"
#include "core/integer_type.h"
#include "onnx/onnx_pb.h"

namespace qbake {
namespace {

// Which scale and offset an element uses: its index along the channel axis.
class ChannelOf {
 public:
  // `count` is the product of `dims`: when it is 0 another dim may be huge, and the
  // product of those after the axis is never formed.
  ChannelOf(const TensorQuantConfig& config, absl::Span<const int64_t> dims, int64_t count) {
    if (!config.Has(kPerChannel)) return;
    channels_ = dims[config.channel_axis];
    if (count == 0) return;
    for (size_t d = config.channel_axis + 1; d < dims.size(); ++d) inner_ *= dims[d];
  }
  int64_t channels() const { return channels_; }

  // Calls fn(index, channel) for the `count` values in order, one channel run at a
  // time (no division per value); returns the first index where fn returns false, or -1.
  template <typename Fn>
  int64_t FirstFailure(int64_t count, Fn&& fn) const {
    const int64_t run = channels_ == 1 ? std::max<int64_t>(count, 1) : inner_;
    for (int64_t start = 0; start < count; start += run) {
      const size_t channel = ChannelAt(start);
      const int64_t end = std::min(start + run, count);
      for (int64_t i = start; i < end; ++i) {
        if (!fn(i, channel)) return i;
      }
    }
    return -1;
  }

 private:
  size_t ChannelAt(int64_t index) const {
    return channels_ == 1 ? 0 : static_cast<size_t>((index / inner_) % channels_);
  }

  int64_t inner_ = 1;
  int64_t channels_ = 1;
};

// A quotient beyond every integer type's range (2^32): no stored form, and no cast
// to an integer of it.
constexpr float kBeyondEveryType = 4294967296.0f;

absl::Status NoForm(absl::string_view reason) { return absl::FailedPreconditionError(reason); }

absl::Status ValueHasNoForm(float value, int64_t index, absl::string_view type) {
  return NoForm(
      absl::StrFormat("the baked value %.9g at index %d has no %s form that "
                      "dequantizes to its exact bits",
                      value, index, type));
}

// ONNX's DequantizeLinear of an integer, as ONNX Runtime computes it:
// float(q - zero_point) * scale.
bool DequantizesTo(int64_t q, int64_t zero_point, float scale, float baked) {
  return FloatBits(static_cast<float>(q - zero_point) * scale) == FloatBits(baked);
}

void AppendLittleEndian(int64_t value, int bytes, std::string* out) {
  for (int b = 0; b < bytes; ++b) out->push_back(static_cast<char>((value >> (8 * b)) & 0xFF));
}

absl::StatusOr<std::vector<int64_t>> ZeroPoints(const IntegerTypeTraits& type,
                                                absl::Span<const float> offset, size_t channels) {
  std::vector<int64_t> zero_points(channels, 0);
  for (size_t c = 0; c < offset.size(); ++c) {
    const float o = offset[c];
    if (o != std::nearbyint(o) || o < type.lowest || o > type.highest) {
      return NoForm(absl::StrFormat("offset %.9g is not a whole %s zero point", o, type.name));
    }
    if (type.data_type == onnx::TensorProto::INT32 && o != 0) {
      return NoForm(absl::StrFormat(
          "offset %.9g: an INT32 DequantizeLinear takes no zero point (more than 8 bits)", o));
    }
    zero_points[c] = static_cast<int64_t>(o);
  }
  return zero_points;
}

absl::StatusOr<WeightIntegers> FindIntegers(const TensorQuantConfig& config,
                                            const ChannelOf& channel_of,
                                            absl::Span<const float> scale,
                                            absl::Span<const float> offset,
                                            absl::Span<const float> baked) {
  const IntegerTypeTraits& type = TraitsOf(IntegerTypeOf(config));
  absl::StatusOr<std::vector<int64_t>> zero_points =
      ZeroPoints(type, offset, static_cast<size_t>(channel_of.channels()));
  if (!zero_points.ok()) return zero_points.status();
  WeightIntegers integers;
  integers.data_type = type.data_type;
  integers.raw_data.resize(baked.size() * type.bytes);
  char* out = integers.raw_data.data();
  const int64_t failed = channel_of.FirstFailure(baked.size(), [&](int64_t i, size_t c) {
    const int64_t zero_point = (*zero_points)[c];
    const float quotient = baked[i] / scale[c];
    if (!(std::fabs(quotient) <= kBeyondEveryType)) return false;  // NaN too
    const int64_t nearest = static_cast<int64_t>(std::nearbyint(quotient)) + zero_point;
    for (int64_t q : {nearest, nearest - 1, nearest + 1}) {
      if (q >= type.lowest && q <= type.highest &&
          DequantizesTo(q, zero_point, scale[c], baked[i])) {
        const int32_t value = static_cast<int32_t>(q);
        std::memcpy(out + i * type.bytes, &value, type.bytes);  // little-endian hosts
        return true;
      }
    }
    return false;
  });
  if (failed >= 0) return ValueHasNoForm(baked[failed], failed, type.name);
  if (type.data_type != onnx::TensorProto::INT32) {
    for (int64_t zero_point : *zero_points) {
      AppendLittleEndian(zero_point, type.bytes, &integers.zero_point_raw_data);
    }
  }
  return integers;
}

absl::StatusOr<Float8Format> Float8FormatOf(const TensorQuantConfig& config) {
  if (config.num_of_bits == 8 && config.exponent_bits == 4) return Float8Format::kE4M3FN;
  if (config.num_of_bits == 8 && config.exponent_bits == 5) return Float8Format::kE5M2;
  return NoForm(absl::StrCat("FLOATING E", config.exponent_bits, "M", config.mantissa_bits(),
                             ": ONNX stores only 8-bit E4M3 (FLOAT8E4M3FN) and E5M2 (FLOAT8E5M2)"));
}

absl::StatusOr<WeightIntegers> FindFloat8(const TensorQuantConfig& config,
                                          const ChannelOf& channel_of,
                                          absl::Span<const float> scale,
                                          absl::Span<const float> offset,
                                          absl::Span<const float> baked) {
  absl::StatusOr<Float8Format> format = Float8FormatOf(config);
  if (!format.ok()) return format.status();
  for (float o : offset) {
    if (o != 0) return NoForm(absl::StrFormat("FLOATING offset %.9g is not zero", o));
  }
  WeightIntegers stored;
  stored.data_type = Float8DataType(*format);
  stored.raw_data.resize(baked.size());
  const int64_t failed = channel_of.FirstFailure(baked.size(), [&](int64_t i, size_t c) {
    const float s = scale[c];
    const std::optional<Float8Neighbours> near = NearestFloat8(baked[i] / s, *format);
    if (!near) return false;
    for (uint8_t byte : {near->below, near->above}) {
      if (FloatBits(DecodeFloat8(byte, *format) * s) == FloatBits(baked[i])) {
        stored.raw_data[i] = static_cast<char>(byte);
        return true;
      }
    }
    return false;
  });
  if (failed >= 0) return ValueHasNoForm(baked[failed], failed, Float8Name(*format));
  // Zero, but given: ONNX Runtime's QDQ fusions read a DequantizeLinear's zero point.
  stored.zero_point_raw_data.assign(static_cast<size_t>(channel_of.channels()), '\0');
  return stored;
}

// ONNX's QuantizeLinear of `x` to a stored byte or integer, as ONNX Runtime computes
// it; nullopt for an 8-bit float beyond the format's range (never saturated here: a
// baked value is within it, or has no stored form).
std::optional<int64_t> QuantizeLinear(float x, float scale, int32_t data_type, int64_t zero_point) {
  const float quotient = x / scale;
  if (IsFloat8DataType(data_type)) {
    const Float8Format format = data_type == Float8DataType(Float8Format::kE4M3FN)
                                    ? Float8Format::kE4M3FN
                                    : Float8Format::kE5M2;
    const std::optional<Float8Neighbours> near = NearestFloat8(quotient, format);
    if (!near) return std::nullopt;
    const float below = std::fabs(DecodeFloat8(near->below, format));
    const float above = std::fabs(DecodeFloat8(near->above, format));
    const float magnitude = std::fabs(quotient);
    const bool up = magnitude - below > above - magnitude ||
                    (magnitude - below == above - magnitude && (near->below & 1) != 0);
    return up ? near->above : near->below;
  }
  const int64_t lowest = data_type == onnx::TensorProto::UINT8 ? 0 : -128;
  const int64_t highest = data_type == onnx::TensorProto::UINT8 ? 255 : 127;
  if (std::isnan(quotient)) return std::nullopt;
  const float bounded = std::min(std::max(quotient, -kBeyondEveryType), kBeyondEveryType);
  const int64_t q = static_cast<int64_t>(std::nearbyint(bounded)) + zero_point;
  return std::min(std::max(q, lowest), highest);
}

int64_t StoredAt(const WeightIntegers& integers, int64_t index) {
  const char byte = integers.raw_data[index];
  return integers.data_type == onnx::TensorProto::INT8 ? static_cast<int8_t>(byte)
                                                       : static_cast<uint8_t>(byte);
}

int64_t ZeroPointAt(const WeightIntegers& integers, size_t channel) {
  const char byte = integers.zero_point_raw_data[channel];
  return integers.data_type == onnx::TensorProto::INT8 ? static_cast<int8_t>(byte)
                                                       : static_cast<uint8_t>(byte);
}

}  // namespace

bool IsFloat8DataType(int32_t data_type) {
  return data_type == Float8DataType(Float8Format::kE4M3FN) ||
         data_type == Float8DataType(Float8Format::kE5M2);
}

absl::Status CheckQuantizeLinearGives(const WeightIntegers& integers,
                                      const TensorQuantConfig& config,
                                      absl::Span<const int64_t> dims, absl::Span<const float> scale,
                                      absl::Span<const float> baked) {
  if (integers.data_type == onnx::TensorProto::INT32) {
    return NoForm("INT32: ONNX's QuantizeLinear gives no INT32 (more than 8 bits)");
  }
  const ChannelOf channel_of(config, dims, static_cast<int64_t>(baked.size()));
  const bool float8 = IsFloat8DataType(integers.data_type);
  const int64_t failed = channel_of.FirstFailure(baked.size(), [&](int64_t i, size_t c) {
    const int64_t zero_point = float8 ? 0 : ZeroPointAt(integers, c);
    const std::optional<int64_t> q =
        QuantizeLinear(baked[i], scale[c], integers.data_type, zero_point);
    const int64_t stored =
        float8 ? static_cast<uint8_t>(integers.raw_data[i]) : StoredAt(integers, i);
    return q && *q == stored;
  });
  if (failed < 0) return absl::OkStatus();
  return NoForm(absl::StrFormat(
      "ONNX's QuantizeLinear of the baked value %.9g at index %d gives another value",
      baked[failed], failed));
}

absl::StatusOr<WeightIntegers> FindWeightIntegers(const TensorQuantConfig& config,
                                                  absl::Span<const int64_t> dims,
                                                  absl::Span<const float> scale,
                                                  absl::Span<const float> offset,
                                                  absl::Span<const float> baked) {
  const ChannelOf channel_of(config, dims, static_cast<int64_t>(baked.size()));
  if (scale.size() != static_cast<size_t>(channel_of.channels()) ||
      (!offset.empty() && offset.size() != scale.size())) {
    return absl::InvalidArgumentError(absl::StrCat("the bake's ", scale.size(), " scales and ",
                                                   offset.size(), " offsets do not match ",
                                                   channel_of.channels(), " channels"));
  }
  if (config.Has(kFloating)) return FindFloat8(config, channel_of, scale, offset, baked);
  return FindIntegers(config, channel_of, scale, offset, baked);
}

}  // namespace qbake
