#include "server/stream_assembler.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/request_model.h"

namespace qbake {
namespace {

absl::Status StreamError(absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("BakeStream: ", message));
}

}  // namespace

absl::StatusOr<StreamAssembler::Step> StreamAssembler::Add(
    v1::BakeStreamRequest* message, std::vector<onnx::TensorProto*>* completed) {
  const auto part = message->part_case();
  if (part == v1::BakeStreamRequest::PART_NOT_SET) return StreamError("a message with no part");
  if (phase_ == Phase::kHeader && part != v1::BakeStreamRequest::kHeader) {
    return StreamError("the first message must be the header");
  }
  switch (part) {
    case v1::BakeStreamRequest::kHeader:
      if (phase_ != Phase::kHeader) return StreamError("a second header");
      return AddHeader(message->header());
    case v1::BakeStreamRequest::kModelData:
      return AddModelData(message->mutable_model_data());
    default:
      if (phase_ != Phase::kExternal) {
        return StreamError(absl::StrCat("external_data before all ", model_bytes_,
                                        " model bytes arrived (", model_data_.size(), " did)"));
      }
      const v1::ExternalDataChunk& chunk = message->external_data();
      absl::Status added = external_->Add(chunk.location(), chunk.offset(), chunk.data());
      if (!added.ok()) return added;
      for (onnx::TensorProto* tensor : external_->TakeCompleted()) completed->push_back(tensor);
      return Step::kReadMore;
  }
}

absl::StatusOr<StreamAssembler::Step> StreamAssembler::AddHeader(
    const v1::BakeStreamHeader& header) {
  absl::StatusOr<BakeSettings> settings =
      SettingsFromWire(header.configs(), header.ppq_config_json(), header.options());
  if (!settings.ok()) return settings.status();
  settings_ = *std::move(settings);
  model_bytes_ = header.model_bytes();
  absl::Status fits = CheckModelBytes(model_bytes_, max_model_bytes_);
  if (fits.ok()) fits = CheckParseableBytes(model_bytes_);
  if (!fits.ok()) return fits;
  phase_ = model_bytes_ == 0 ? Phase::kParse : Phase::kModel;
  return model_bytes_ == 0 ? Step::kParseModel : Step::kReadMore;
}

absl::StatusOr<StreamAssembler::Step> StreamAssembler::AddModelData(std::string* data) {
  if (phase_ != Phase::kModel || data->size() > model_bytes_ - model_data_.size()) {
    return StreamError(
        absl::StrCat("model_data beyond the header's model_bytes (", model_bytes_, ")"));
  }
  model_data_.append(*data);
  data->clear();
  if (model_data_.size() < model_bytes_) return Step::kReadMore;
  phase_ = Phase::kParse;
  return Step::kParseModel;
}

absl::StatusOr<std::unique_ptr<onnx::ModelProto>> StreamAssembler::ParseModel() {
  absl::StatusOr<std::unique_ptr<onnx::ModelProto>> model = qbake::ParseModel(model_data_);
  if (!model.ok()) return model.status();
  std::string().swap(model_data_);
  absl::StatusOr<ExternalDataAssembly> external =
      ExternalDataAssembly::Create(model->get(), model_bytes_, max_model_bytes_);
  if (!external.ok()) return external.status();
  external_.emplace(*std::move(external));
  phase_ = Phase::kExternal;
  return model;
}

absl::Status StreamAssembler::Finish() const {
  if (phase_ == Phase::kHeader) return StreamError("the stream ended before its header");
  if (phase_ != Phase::kExternal) {
    return StreamError(absl::StrCat("the stream ended after ", model_data_.size(), " of the ",
                                    model_bytes_, " model bytes"));
  }
  return external_->Finish();
}

}  // namespace qbake
