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

// One RFC 6901 reference token: '~' and '/' escaped.
std::string PointerToken(absl::string_view name) {
  return absl::StrReplaceAll(name, {{"~", "~0"}, {"/", "~1"}});
}

google::rpc::ErrorInfo ErrorInfoOf(const absl::Status& status,
                                   const std::optional<ErrorSite>& site) {
  google::rpc::ErrorInfo info;
  info.set_reason(ErrorReason(status));
  info.set_domain(std::string(kErrorDomain));
  if (site) {
    auto& metadata = *info.mutable_metadata();
    metadata["operation"] = site->operation;
    metadata["variable"] = site->variable;
    metadata["field"] = site->field;
  }
  return info;
}

google::rpc::BadRequest BadRequestOf(const absl::Status& status, const ErrorSite& site) {
  google::rpc::BadRequest request;
  google::rpc::BadRequest::FieldViolation* violation = request.add_field_violations();
  violation->set_field(absl::StrCat("/configs/", PointerToken(site.operation), "/",
                                    PointerToken(site.variable), "/", PointerToken(site.field)));
  violation->set_description(std::string(status.message()));
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
  details.set_message(message);
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
