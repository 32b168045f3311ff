#include "proto/status_mapping.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/types/optional.h"
#include "core/error_detail.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace qbake {
namespace {

constexpr absl::string_view kTypeUrlPrefix = "type.googleapis.com/";
constexpr absl::string_view kErrorDomain = "qbake.dev";

template <typename Message>
std::string TypeUrl() {
  return absl::StrCat(kTypeUrlPrefix, Message::descriptor()->full_name());
}

template <typename Message>
void AddDetail(const Message& message, google::rpc::Status* details) {
  google::protobuf::Any* detail = details->add_details();
  detail->set_type_url(TypeUrl<Message>());
  detail->set_value(message.SerializeAsString());
}

// The length of the well-formed UTF-8 sequence `text` starts with, 0 if none (Unicode
// table 3-7: no overlong forms, surrogates or code points above U+10FFFF).
size_t Utf8SequenceLength(absl::string_view text) {
  const auto byte = [text](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length = 3;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead == 0xE0) {
    low = 0xA0;
  } else if (lead == 0xED) {
    high = 0x9F;
  } else if (lead == 0xF0) {
    length = 4;
    low = 0x90;
  } else if (lead >= 0xF1 && lead <= 0xF3) {
    length = 4;
  } else if (lead == 0xF4) {
    length = 4;
    high = 0x8F;
  } else if (lead < 0xE1 || lead > 0xEF) {
    return 0;
  }
  if (text.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

// `text` with each byte that starts no well-formed UTF-8 sequence replaced by U+FFFD:
// the details' strings are proto3 strings, which a client refuses to parse otherwise
// (an ONNX name may hold any bytes; the status message itself travels as it is).
std::string ValidUtf8(absl::string_view text) {
  std::string valid;
  valid.reserve(text.size());
  while (!text.empty()) {
    const size_t length = Utf8SequenceLength(text);
    if (length == 0) {
      valid += "\xEF\xBF\xBD";
      text.remove_prefix(1);
    } else {
      valid.append(text.data(), length);
      text.remove_prefix(length);
    }
  }
  return valid;
}

// One RFC 6901 reference token: '~' and '/' escaped.
std::string PointerToken(absl::string_view name) {
  return absl::StrReplaceAll(name, {{"~", "~0"}, {"/", "~1"}});
}

google::rpc::ErrorInfo ErrorInfoOf(const absl::Status& status,
                                   const std::optional<ErrorSite>& site) {
  google::rpc::ErrorInfo info;
  info.set_reason(ValidUtf8(ErrorReason(status)));
  info.set_domain(std::string(kErrorDomain));
  if (site) {
    auto& metadata = *info.mutable_metadata();
    metadata["operation"] = ValidUtf8(site->operation);
    metadata["variable"] = ValidUtf8(site->variable);
    metadata["field"] = ValidUtf8(site->field);
  }
  return info;
}

google::rpc::BadRequest BadRequestOf(const absl::Status& status, const ErrorSite& site) {
  google::rpc::BadRequest request;
  google::rpc::BadRequest::FieldViolation* violation = request.add_field_violations();
  violation->set_field(
      ValidUtf8(absl::StrCat("/configs/", PointerToken(site.operation), "/",
                             PointerToken(site.variable), "/", PointerToken(site.field))));
  violation->set_description(ValidUtf8(status.message()));
  return request;
}

// The reason and site of a received ErrorInfo, back on `status`.
absl::Status WithErrorInfo(absl::Status status, const google::protobuf::Any& detail) {
  google::rpc::ErrorInfo info;
  if (!info.ParseFromString(detail.value()) || info.reason().empty()) return status;
  status = WithReason(std::move(status), info.reason());
  const auto& metadata = info.metadata();
  if (!metadata.contains("operation") && !metadata.contains("variable") &&
      !metadata.contains("field")) {
    return status;
  }
  const auto member = [&metadata](const char* key) {
    const auto found = metadata.find(key);
    return found == metadata.end() ? std::string() : found->second;
  };
  return WithSite(std::move(status), {member("operation"), member("variable"), member("field")});
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  std::string message(status.message());
  google::rpc::Status details;
  details.set_code(code);
  details.set_message(ValidUtf8(message));
  const std::optional<ErrorSite> site = SiteOf(status);
  AddDetail(ErrorInfoOf(status, site), &details);
  if (site) AddDetail(BadRequestOf(status, *site), &details);
  status.ForEachPayload([&details](absl::string_view url, const absl::Cord& payload) {
    if (!absl::StartsWith(url, kTypeUrlPrefix)) return;  // qbake's own: sent as ErrorInfo
    google::protobuf::Any* detail = details.add_details();
    detail->set_type_url(std::string(url));
    detail->set_value(std::string(payload));
  });
  return grpc::Status(code, std::move(message), details.SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status mapped(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  google::rpc::Status details;
  if (status.error_details().empty() || !details.ParseFromString(status.error_details())) {
    return mapped;
  }
  for (const google::protobuf::Any& detail : details.details()) {
    if (detail.type_url() == TypeUrl<google::rpc::ErrorInfo>()) {
      mapped = WithErrorInfo(std::move(mapped), detail);
    } else if (detail.type_url() != TypeUrl<google::rpc::BadRequest>()) {
      mapped.SetPayload(detail.type_url(), absl::Cord(detail.value()));
    }
  }
  return mapped;
}

absl::Status WithRetryDelay(absl::Status status, absl::Duration delay) {
  google::rpc::RetryInfo retry;
  const int64_t millis = absl::ToInt64Milliseconds(delay);
  retry.mutable_retry_delay()->set_seconds(millis / 1000);
  retry.mutable_retry_delay()->set_nanos(static_cast<int32_t>(millis % 1000) * 1000000);
  status.SetPayload(TypeUrl<google::rpc::RetryInfo>(), absl::Cord(retry.SerializeAsString()));
  return status;
}

std::optional<absl::Duration> RetryDelay(const absl::Status& status) {
  const absl::optional<absl::Cord> payload = status.GetPayload(TypeUrl<google::rpc::RetryInfo>());
  google::rpc::RetryInfo retry;
  if (!payload || !retry.ParseFromString(std::string(*payload))) return std::nullopt;
  return absl::Seconds(retry.retry_delay().seconds()) +
         absl::Nanoseconds(retry.retry_delay().nanos());
}

}  // namespace qbake
