// The hostile-input battery: each row is one bad input (config, model bytes,
// tensors, external data) baked twice, by the local qbake and through the real
// qbake-server (qbake bake --server). Both runs must exit 1 with one error line that
// names the culprit, in the same words when the input reaches the server; the server
// must log the row's status code for it (or no call at all, when qbake refuses the
// input before calling); no output may be left; the server must still be SERVING.
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli/cli_test_support.h"
#include "tests/cli/remote_test_support.h"
#include "tests/reliability/reliability_support.h"
#include "tests/support/model_parameters.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/small_model.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::AnyOf;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Where a row's files go: the inputs, and a folder outside the inputs and outputs.
struct Folders {
  const fs::path& input;
  const fs::path& outside;
};

struct HostileCase {
  std::string name;
  // Writes input/model.onnx and input/config.json (and whatever else the row needs).
  std::function<void(const Folders&)> write;
  std::string culprit;  // a part of the error line
  // The code the server logs for the call; "" when qbake refuses before calling.
  std::string code;
  // Puts what the row needs into an output folder before each bake.
  std::function<void(const fs::path& output, const Folders&)> prepare_output = nullptr;
  // What the output folder holds afterwards (what prepare_output put there).
  std::vector<std::string> left_in_output = {};
  // More flags for qbake bake.
  std::vector<std::string> flags = {};
};

// Names the row in gtest's messages.
void PrintTo(const HostileCase& row, std::ostream* os) { *os << row.name; }

void WriteModel(const fs::path& folder, const onnx::ModelProto& model) {
  WriteFileOrDie(folder / "model.onnx", model.SerializeAsString());
}

void WriteConfig(const fs::path& folder, const std::string& text) {
  WriteFileOrDie(folder / "config.json", text);
}

// SmallModel with SmallModelConfig, the model changed by `change`.
std::function<void(const Folders&)> ChangedModel(std::function<void(onnx::ModelProto*)> change) {
  return [change](const Folders& f) {
    onnx::ModelProto model = SmallModel();
    change(&model);
    WriteModel(f.input, model);
    WriteConfig(f.input, SmallModelConfig());
  };
}

// SmallModel's serialized bytes turned into others by `change`.
std::function<void(const Folders&)> ChangedModelBytes(
    std::function<std::string(std::string)> change) {
  return [change](const Folders& f) {
    WriteFileOrDie(f.input / "model.onnx", change(SmallModel().SerializeAsString()));
    WriteConfig(f.input, SmallModelConfig());
  };
}

// SmallModel with a config of the given text.
std::function<void(const Folders&)> ConfigText(std::string text) {
  return [text](const Folders& f) {
    WriteModel(f.input, SmallModel());
    WriteConfig(f.input, text);
  };
}

// SmallModel with SmallModelConfig's document changed by `change`.
std::function<void(const Folders&)> ChangedConfig(std::function<void(nlohmann::json*)> change) {
  nlohmann::json config = nlohmann::json::parse(SmallModelConfig());
  change(&config);
  return ConfigText(config.dump());
}

// SmallModel with SmallModelConfig's document changed by `change`, then `count` more
// entries put first in its "values"; the text is made when the row runs.
std::function<void(const Folders&)> ConfigWithValueKeys(
    size_t count, std::function<void(nlohmann::json*)> change) {
  return [count, change](const Folders& f) {
    nlohmann::json config = nlohmann::json::parse(SmallModelConfig());
    change(&config);
    std::string entries = "\"values\":{";
    for (size_t k = 0; k < count; ++k) {
      absl::StrAppend(&entries, "\"", 1000 + k, "\":{\"scale\":0.5,\"zero_point\":0},");
    }
    WriteModel(f.input, SmallModel());
    WriteConfig(f.input, absl::StrReplaceAll(config.dump(), {{"\"values\":{", entries}}));
  };
}

// Sets the TQC of W (operation "mm") `key` to `value`.
std::function<void(const Folders&)> WConfig(const std::string& key, nlohmann::json value) {
  return ChangedConfig(
      [key, value](nlohmann::json* c) { (*c)["configs"]["mm"]["W"][key] = value; });
}

// Sets W's scale and zero point in "values" (hash 1).
std::function<void(const Folders&)> WValues(nlohmann::json scale, nlohmann::json zero_point) {
  return ChangedConfig([scale, zero_point](nlohmann::json* c) {
    (*c)["values"]["1"] = {{"scale", scale}, {"zero_point", zero_point}};
  });
}

// W per channel with the given scales and zero points.
std::function<void(const Folders&)> WPerChannel(nlohmann::json scale, nlohmann::json zero_point,
                                                nlohmann::json extra = nlohmann::json::object()) {
  return ChangedConfig([=](nlohmann::json* c) {
    nlohmann::json& w = (*c)["configs"]["mm"]["W"];
    w["policy"] = {"PER_CHANNEL", "LINEAR", "SYMMETRICAL"};
    w.update(extra);
    (*c)["values"]["1"] = {{"scale", scale}, {"zero_point", zero_point}};
  });
}

// SmallModel changed by `change_model` with SmallModelConfig's document changed by
// `change_config`.
std::function<void(const Folders&)> ChangedModelAndConfig(
    std::function<void(onnx::ModelProto*)> change_model,
    std::function<void(nlohmann::json*)> change_config) {
  return [change_model, change_config](const Folders& f) {
    onnx::ModelProto model = SmallModel();
    change_model(&model);
    WriteModel(f.input, model);
    nlohmann::json config = nlohmann::json::parse(SmallModelConfig());
    change_config(&config);
    WriteConfig(f.input, config.dump());
  };
}

onnx::TensorProto* Parameter(onnx::ModelProto* model, const std::string& name) {
  for (auto& [parameter, tensor] : Parameters(model)) {
    if (parameter == name) return tensor;
  }
  ADD_FAILURE() << "no parameter " << name;
  return nullptr;
}

// W's float at `index` set to `value`.
std::function<void(const Folders&)> WValueAt(int index, float value) {
  return ChangedModel([index, value](onnx::ModelProto* model) {
    std::string* raw = Parameter(model, "W")->mutable_raw_data();
    std::memcpy(raw->data() + 4 * index, &value, 4);
  });
}

// The model with external data (WriteExternalSmallModel), then W's entry `key` set to
// `value`.
std::function<void(const Folders&)> WExternal(const std::string& key, std::string value) {
  return [key, value](const Folders& f) {
    onnx::ModelProto model = WriteExternalSmallModel(f.input);
    for (onnx::StringStringEntryProto& entry : *Parameter(&model, "W")->mutable_external_data()) {
      if (entry.key() == key) entry.set_value(value);
    }
    WriteModel(f.input, model);
    WriteConfig(f.input, SmallModelConfig());
  };
}

// As WExternal, with `location` in place of W's and a 128-byte file outside the input
// folder that locations escaping it may reach.
std::function<void(const Folders&)> WLocation(std::function<std::string(const Folders&)> location) {
  return [location](const Folders& f) {
    WriteFileOrDie(f.outside / "w.bin", std::string(256, '\0'));
    WExternal("location", location(f))(f);
  };
}

// The external small model whose weights.bin is replaced by what `make` makes there.
std::function<void(const Folders&)> WeightsFileMadeBy(std::function<void(const fs::path&)> make) {
  return [make](const Folders& f) {
    WriteExternalSmallModel(f.input);
    WriteConfig(f.input, SmallModelConfig());
    fs::remove(f.input / "weights.bin");
    make(f.input / "weights.bin");
  };
}

// Inputs of SmallModel; `prepare_output` then puts something where an output goes.
void WriteSmallModel(const Folders& f) {
  WriteModel(f.input, SmallModel());
  WriteConfig(f.input, SmallModelConfig());
}

// SmallModel declaring opset 11, changed by `change`, for --format qdq: the export
// must raise the opset to 13 with ONNX's converter.
std::function<void(const Folders&)> Opset11ModelChangedBy(
    std::function<void(onnx::ModelProto*)> change) {
  return ChangedModel([change](onnx::ModelProto* model) {
    model->mutable_opset_import(0)->set_version(11);
    model->set_ir_version(7);
    change(model);
  });
}

const std::vector<std::string> kQdq = {"--format", "qdq"};

std::string Nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

nlohmann::json ScaleList(size_t count) { return std::vector<double>(count, 0.5); }

const float kNan = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

std::vector<HostileCase> Cases() {
  return {
      // The export (--format qdq), made where the bake is.
      {"ExportOfAGraphReturningAnUndefinedName",
       Opset11ModelChangedBy(
           [](onnx::ModelProto* model) { model->mutable_graph()->add_output()->set_name("nope"); }),
       "the QDQ export: cannot raise the model's opset from 11 to 13: 'nope' is read or returned "
       "but defined by no input, initializer or node",
       "FAILED_PRECONDITION",
       nullptr,
       {},
       kQdq},
      {"ExportOfANodeReadingAnUndefinedName",
       Opset11ModelChangedBy([](onnx::ModelProto* model) {
         onnx::NodeProto* node = model->mutable_graph()->add_node();
         node->set_op_type("Relu");
         node->set_name("relu");
         node->add_input("ghost");
         node->add_output("r");
       }),
       "'ghost' is read or returned but defined by no input, initializer or node",
       "FAILED_PRECONDITION",
       nullptr,
       {},
       kQdq},
      {"ExportOfAnOperatorTheConverterDoesNotKnow",
       Opset11ModelChangedBy([](onnx::ModelProto* model) {
         onnx::NodeProto* node = model->mutable_graph()->add_node();
         node->set_op_type("Frobnicate");
         node->set_name("frob");
         node->add_input("z");
         node->add_output("f");
       }),
       "the QDQ export: cannot raise the model's opset from 11 to 13: operation 'frob' is a "
       "'Frobnicate', which is no ONNX operator of opset 11",
       "FAILED_PRECONDITION",
       nullptr,
       {},
       kQdq},
      // The config document: syntax.
      {"EmptyConfig", ConfigText(""), "config", ""},
      {"TruncatedConfig", ConfigText(R"({"configs": {"mm": )"), "config", ""},
      {"ConfigNotAnObject", ConfigText("[1, 2]"), "config", ""},
      {"ConfigTrailingGarbage", ConfigText("{} }"), "config", ""},
      {"ConfigDeeplyNested", ConfigText(R"({"configs": )" + Nested(100000) + "}"), "config", ""},
      {"ConfigsNotAnObject", ConfigText(R"({"configs": 5})"), "configs", ""},
      {"ConfigInvalidUtf8", ConfigText("{\"configs\": {\"\xff\xfe\": {}}}"), "config", ""},
      // The config document: every rule of docs/BAKING.md sections 2 and 4.
      {"UnknownOperation",
       ChangedConfig([](nlohmann::json* c) { (*c)["configs"]["nope"] = (*c)["configs"]["mm"]; }),
       "nope", "INVALID_ARGUMENT"},
      {"UnknownVariable", ChangedConfig([](nlohmann::json* c) {
         (*c)["configs"]["mm"]["nope"] = (*c)["configs"]["mm"]["W"];
       }),
       "nope", "INVALID_ARGUMENT"},
      {"InvalidPolicy", WConfig("policy", {"PER_TENSOR", "NO_SUCH_POLICY"}), "policy", ""},
      {"InvalidState", WConfig("state", "HALF_BAKED"), "state", ""},
      {"BitWidthNotANumber", WConfig("bit_width", "8"), "bit_width", ""},
      {"InvalidRounding", WConfig("rounding", "ROUND_SOMEHOW"), "rounding", ""},
      {"MissingScale", ChangedConfig([](nlohmann::json* c) { (*c)["values"].erase("1"); }), "scale",
       "INVALID_ARGUMENT"},
      {"ZeroScale", WValues(0.0, 0), "scale", "INVALID_ARGUMENT"},
      {"NegativeScale", WValues(-0.05, 0), "scale", "INVALID_ARGUMENT"},
      {"ScaleBeyondFloatRange",
       ConfigText(
           absl::StrReplaceAll(SmallModelConfig(), {{"\"scale\": 0.05", "\"scale\": 1e999"}})),
       "1e999", ""},
      {"ScaleCountMatchesNoDimension", WPerChannel(ScaleList(3), {0, 0, 0}), "match no dimension",
       "INVALID_ARGUMENT"},
      {"OffsetCountDiffersFromScales", WPerChannel(ScaleList(4), {0, 0, 0}, {{"channel_axis", 0}}),
       "zero_point", "INVALID_ARGUMENT"},
      {"ChannelAxisOutOfRange", WPerChannel(ScaleList(4), {0, 0, 0, 0}, {{"channel_axis", 5}}),
       "channel_axis", "INVALID_ARGUMENT"},
      {"NonIntegerOffset", ChangedConfig([](nlohmann::json* c) {
         (*c)["configs"]["mm"]["W"]["policy"] = {"PER_TENSOR", "LINEAR", "ASYMMETRICAL"};
         (*c)["values"]["1"] = {{"scale", 0.05}, {"zero_point", 0.5}};
       }),
       "zero_point", "INVALID_ARGUMENT"},
      {"NonZeroOffsetUnderSymmetrical", WValues(0.05, 3), "zero_point", "INVALID_ARGUMENT"},
      {"ScaleNotAPowerOfTwo", ChangedConfig([](nlohmann::json* c) {
         (*c)["configs"]["mm"]["W"]["policy"] = {"PER_TENSOR", "LINEAR", "SYMMETRICAL",
                                                 "POWER_OF_2"};
         (*c)["values"]["1"] = {{"scale", 0.3}, {"zero_point", 0}};
       }),
       "scale", "INVALID_ARGUMENT"},
      {"FloatingWithoutExponentBits", ChangedConfig([](nlohmann::json* c) {
         (*c)["configs"]["mm"]["W"]["policy"] = {"PER_TENSOR", "FLOATING", "SYMMETRICAL",
                                                 "POWER_OF_2"};
         (*c)["configs"]["mm"]["W"]["bit_width"] = 6;
       }),
       "exponent_bits", "INVALID_ARGUMENT"},
      {"HugeScaleArray", WPerChannel(ScaleList(400000), {0}), "scale", "INVALID_ARGUMENT"},
      {"ConfigWithAMillionValueKeys",
       ConfigWithValueKeys(
           1000000, [](nlohmann::json* c) { (*c)["configs"]["nope"] = (*c)["configs"]["mm"]; }),
       "nope", "INVALID_ARGUMENT"},
      // Configs beyond one message: qbake resolves them itself and gives the same error.
      {"ScaleArrayBeyondOneMessage", WPerChannel(ScaleList(1200000), std::vector<int>(1200000, 0)),
       "match no dimension", ""},
      // The model's bytes.
      // (Empty bytes are a valid, empty ModelProto: it has no node the config names.)
      {"EmptyModel", ChangedModelBytes([](std::string) { return std::string(); }),
       "no node of that name", "INVALID_ARGUMENT"},
      {"TruncatedModel",
       ChangedModelBytes([](std::string bytes) { return bytes.substr(0, bytes.size() / 2); }),
       "model.onnx", ""},
      {"RandomModelBytes", ChangedModelBytes([](std::string bytes) {
         for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 131 + 7);
         return bytes;
       }),
       "model.onnx", ""},
      // Tensors.
      {"DimsFarLargerThanTheData", ChangedModel([](onnx::ModelProto* model) {
         onnx::TensorProto* w = Parameter(model, "W");
         w->set_dims(0, int64_t{1} << 30);
         w->set_dims(1, int64_t{1} << 30);
       }),
       "'W'", "INVALID_ARGUMENT"},
      {"DimsOverflow", ChangedModel([](onnx::ModelProto* model) {
         onnx::TensorProto* w = Parameter(model, "W");
         w->set_dims(0, int64_t{1} << 40);
         w->set_dims(1, int64_t{1} << 40);
       }),
       "overflows", "INVALID_ARGUMENT"},
      {"NegativeDim",
       ChangedModel([](onnx::ModelProto* model) { Parameter(model, "W")->set_dims(0, -4); }),
       "negative dimension", "INVALID_ARGUMENT"},
      {"RawDataOfTheWrongSize", ChangedModel([](onnx::ModelProto* model) {
         Parameter(model, "W")->mutable_raw_data()->resize(100);
       }),
       "raw_data", "INVALID_ARGUMENT"},
      {"IntegerParameter", ChangedModel([](onnx::ModelProto* model) {
         Parameter(model, "W")->set_data_type(onnx::TensorProto::INT32);
       }),
       "'W'", "INVALID_ARGUMENT"},
      {"NanInWeights", WValueAt(5, kNan), "5", "INVALID_ARGUMENT"},
      {"InfinityInWeights", WValueAt(7, kInf), "7", "INVALID_ARGUMENT"},
      {"NegativeInfinityInWeights", WValueAt(31, -kInf), "31", "INVALID_ARGUMENT"},
      // Two broken parameters: W first in config order, but 4 MiB and so streamed as
      // external data after the inline Constant k. Both name W (the server named k,
      // the first to arrive, until it reported failures in config order).
      {"TwoBrokenParametersTheFirstArrivingLast", ChangedModel([](onnx::ModelProto* model) {
         *model = ModelWithRows(int64_t{1} << 17);
         std::memcpy(Parameter(model, "W")->mutable_raw_data()->data() + 4 * 5, &kNan, 4);
         std::memcpy(Parameter(model, "k")->mutable_raw_data()->data(), &kNan, 4);
       }),
       "variable 'W'", "INVALID_ARGUMENT"},
      {"SharedParameter", ChangedModel([](onnx::ModelProto* model) {
         onnx::NodeProto* node = model->mutable_graph()->add_node();
         node->set_op_type("Relu");
         node->set_name("relu");
         node->add_input("W");
         node->add_output("r");
       }),
       "'W'", "INVALID_ARGUMENT"},
      // External data.
      {"ExternalFileMissing", WExternal("location", "absent.bin"), "absent.bin", ""},
      {"ExternalShorterThanItsLength", WExternal("length", "1000"), "weights.bin", ""},
      {"ExternalOffsetPastTheEnd", WExternal("offset", "4096"), "weights.bin", ""},
      {"ExternalHugeLength", WExternal("length", "9223372036854775807"),
       "'offset' + 'length' overflows", ""},
      {"ExternalNegativeOffset", WExternal("offset", "-64"), "offset", ""},
      {"ExternalOffsetNotANumber", WExternal("offset", "sixty-four"), "offset", ""},
      {"ExternalRangesOverlap", WExternal("offset", "16"), "overlap those of tensor 'B'", ""},
      {"ExternalRangesIdentical", WExternal("offset", "0"), "bytes [0, ", ""},
      {"ExternalRangesOverlapThroughAnotherSpelling",
       [](const Folders& f) {
         onnx::ModelProto model = WriteExternalSmallModel(f.input);
         for (onnx::StringStringEntryProto& entry :
              *Parameter(&model, "W")->mutable_external_data()) {
           if (entry.key() == "location") entry.set_value("./weights.bin");
           if (entry.key() == "offset") entry.set_value("8");
         }
         WriteModel(f.input, model);
         WriteConfig(f.input, SmallModelConfig());
       },
       "overlap those of tensor 'B'", ""},
      {"ExternalEscapesByDotDot",
       WLocation([](const Folders& f) { return "../" + f.outside.filename().string() + "/w.bin"; }),
       "climbs out", ""},
      {"ExternalEscapesThroughASubfolder", WLocation([](const Folders& f) {
         return "sub/../../" + f.outside.filename().string() + "/w.bin";
       }),
       "climbs out", ""},
      {"ExternalAbsolutePath",
       WLocation([](const Folders& f) { return (f.outside / "w.bin").string(); }), "w.bin", ""},
      {"ExternalSymlinkLeadingOut", WLocation([](const Folders& f) {
         fs::create_symlink(f.outside / "w.bin", f.input / "link.bin");
         return std::string("link.bin");
       }),
       "link.bin", ""},
      {"OutputSymlinkLeadingOut",
       [](const Folders& f) {
         WriteFileOrDie(f.outside / "w.bin", "outside");
         WriteExternalSmallModel(f.input);
         WriteConfig(f.input, SmallModelConfig());
       },
       "weights.bin",
       "",  // the model and its data files are staged before the server is called
       [](const fs::path& output, const Folders& f) {
         fs::create_symlink(f.outside / "w.bin", output / "weights.bin");
       },
       {"weights.bin"}},
      // Files that are not regular, or not the bake's to replace (cli/staged_outputs.h,
      // common/regular_file.h).
      {"ExternalDataIsAFifo",
       WeightsFileMadeBy([](const fs::path& p) { ASSERT_EQ(mkfifo(p.c_str(), 0666), 0); }),
       "it is a FIFO, not a regular file", ""},
      {"ExternalDataIsACharacterDevice", WeightsFileMadeBy([](const fs::path& p) {
         ASSERT_EQ(mknod(p.c_str(), S_IFCHR | 0666, makedev(1, 5)), 0);  // like /dev/zero
       }),
       "it is a character device", ""},
      {"ExternalDataIsAFolder",
       WeightsFileMadeBy([](const fs::path& p) { fs::create_directory(p); }), "it is a folder", ""},
      {"ExternalDataIsASymlinkLoop",
       WeightsFileMadeBy([](const fs::path& p) { fs::create_symlink(p.filename(), p); }),
       "is a symbolic link", ""},
      {"ExternalDataThroughALinkedFolder",
       [](const Folders& f) {
         WriteExternalSmallModel(f.input);
         WriteConfig(f.input, SmallModelConfig());
         fs::rename(f.input / "sub", f.input / "real_sub");
         fs::create_symlink("real_sub", f.input / "sub");  // inside the folder, still a link
       },
       "sub' is a symbolic link", ""},
      {"OutputIsACharacterDevice",
       WriteSmallModel,
       "it is a character device",
       "",
       [](const fs::path& output, const Folders&) {
         ASSERT_EQ(mknod((output / "out.onnx").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
       },
       {"out.onnx"}},
      {"ReportIsALinkToStandardOutput",
       WriteSmallModel,
       "it is a symbolic link",
       "OK",
       [](const fs::path& output, const Folders&) {
         fs::create_symlink("/proc/self/fd/1", output / "report.json");  // as /dev/stdout is
       },
       {"report.json"}},
      {"ReportIsAHardLinkOfTheInputModel",
       WriteSmallModel,
       "it is the input model",
       "OK",
       [](const fs::path& output, const Folders& f) {
         fs::create_hard_link(f.input / "model.onnx", output / "report.json");
       },
       {"report.json"}},
      // Sizes and float32 range (core).
      {"DynamicPerChannelOfNoValues",
       ChangedModelAndConfig(
           [](onnx::ModelProto* model) {
             onnx::TensorProto* w = Parameter(model, "W");
             w->set_dims(0, int64_t{1} << 62);  // the channels
             w->set_dims(1, 0);
             w->set_raw_data("");
           },
           [](nlohmann::json* c) {
             (*c)["configs"]["mm"]["W"]["policy"] = {"PER_CHANNEL", "LINEAR", "SYMMETRICAL",
                                                     "DYNAMIC"};
           }),
       "field 'policy'", "INVALID_ARGUMENT"},
      {"DimsWhoseByteCountWrapsAround", ChangedModel([](onnx::ModelProto* model) {
         onnx::TensorProto* w = Parameter(model, "W");
         w->clear_dims();
         w->add_dims((int64_t{1} << 62) + 32);  // 4 bytes each: 2^64 + 128, W's 128 bytes
       }),
       "field 'raw_data'", "INVALID_ARGUMENT"},
      {"QuantMaxBeyondFloat32", WConfig("quant_max", 1e39), "field 'quant_max'",
       "INVALID_ARGUMENT"},
      {"OffsetDequantizesToInfinity", ChangedConfig([](nlohmann::json* c) {
         nlohmann::json& w = (*c)["configs"]["mm"]["W"];
         w["policy"] = {"PER_TENSOR", "LINEAR", "ASYMMETRICAL"};
         w["quant_min"] = 0;
         w["quant_max"] = 1e38;
         (*c)["values"]["1"] = {{"scale", 2}, {"zero_point", 3e38}};
       }),
       "field 'scale'", "INVALID_ARGUMENT"},
      {"FloatingScaleDequantizesToInfinity", ChangedConfig([](nlohmann::json* c) {
         nlohmann::json& w = (*c)["configs"]["mm"]["W"];
         w["policy"] = {"PER_TENSOR", "FLOATING", "SYMMETRICAL", "POWER_OF_2"};
         w["quant_min"] = -448;
         w["quant_max"] = 448;
         (*c)["values"]["1"] = {{"scale", std::ldexp(1.0, 120)}, {"zero_point", 0}};
       }),
       "field 'scale'", "INVALID_ARGUMENT"},
      {"FloatingMantissaBeyondFloat32", ChangedConfig([](nlohmann::json* c) {
         nlohmann::json& w = (*c)["configs"]["mm"]["W"];
         w["policy"] = {"PER_TENSOR", "FLOATING", "SYMMETRICAL", "POWER_OF_2"};
         w["bit_width"] = 32;
         w["exponent_bits"] = 2;
       }),
       "field 'exponent_bits'", "INVALID_ARGUMENT"},
      {"DerivedBiasScaleOverflows",
       ChangedModelAndConfig(
           [](onnx::ModelProto* model) {
             for (onnx::NodeProto& node : *model->mutable_graph()->mutable_node()) {
               if (node.name() != "mm") continue;
               node.set_op_type("Gemm");
               node.add_input("B");
             }
           },
           [](nlohmann::json* c) {
             nlohmann::json& mm = (*c)["configs"]["mm"];
             mm["x"] = mm["W"];
             mm["x"]["scale"] = 1e20;
             mm["B"] = mm["W"];
             mm["B"].erase("hash");
             mm["B"].erase("dominator");
             mm["B"]["state"] = "PASSIVE";
             (*c)["values"]["1"]["scale"] = 1e20;
           }),
       "field 'scale': the PASSIVE bias scale[0]", "INVALID_ARGUMENT"},
      {"DynamicScaleSolvedToInfinity",
       ChangedModelAndConfig(
           [](onnx::ModelProto* model) {
             std::string* raw = Parameter(model, "W")->mutable_raw_data();
             const float ends[] = {-std::numeric_limits<float>::max(),
                                   std::numeric_limits<float>::max()};
             std::memcpy(raw->data(), ends, sizeof(ends));
           },
           [](nlohmann::json* c) {
             nlohmann::json& w = (*c)["configs"]["mm"]["W"];
             w["policy"] = {"PER_TENSOR", "LINEAR", "ASYMMETRICAL", "DYNAMIC"};
             w["quant_min"] = 0;
             w["quant_max"] = 255;
           }),
       "field 'value'", "INVALID_ARGUMENT"},
  };
}

class HostileInputTest : public ::testing::TestWithParam<HostileCase> {
 protected:
  HostileInputTest() { GetParam().write({input_.path(), outside_.path()}); }

  // Bakes the row's inputs with `flags` into the emptied output folder; checks the exit
  // code, the one error line and what is left; returns the error line.
  std::string BakeAndCheck(std::vector<std::string> flags) {
    const HostileCase& row = GetParam();
    for (const fs::directory_entry& entry : fs::directory_iterator(output_.path())) {
      fs::remove_all(entry.path());
    }
    if (row.prepare_output) row.prepare_output(output_.path(), {input_.path(), outside_.path()});
    flags.insert(flags.end(), row.flags.begin(), row.flags.end());
    const ProcessResult run =
        BakeInto(input_ / "model.onnx", input_ / "config.json", output_, std::move(flags));
    EXPECT_EQ(run.exit_code, 1) << run.err;
    EXPECT_EQ(run.out, "");
    EXPECT_EQ(run.ErrLines().size(), 1u) << run.err;
    EXPECT_THAT(run.err, StartsWith("qbake: error: "));
    EXPECT_THAT(run.err, HasSubstr(row.culprit));
    EXPECT_THAT(FolderNames(output_.path()), ElementsAreArray(row.left_in_output));
    return run.err;
  }

  // Nothing outside the inputs and outputs was written.
  void ExpectOutsideUntouched() {
    if (!fs::exists(outside_.path() / "w.bin")) return;
    EXPECT_THAT(ReadFileOrDie(outside_ / "w.bin"), AnyOf("outside", std::string(256, '\0')));
  }

  ScratchFolder input_;
  ScratchFolder outside_;
  ScratchFolder output_;
  // A server of its own for each row, so its log holds only that row's call.
  const std::unique_ptr<ServerProcess> server_ = StartServer();
};

TEST_P(HostileInputTest, RefusedAlikeLocallyAndThroughTheServer) {
  const HostileCase& row = GetParam();
  const std::string local = BakeAndCheck({});
  const std::string remote = BakeAndCheck(RemoteFlags(*server_));
  EXPECT_EQ(remote, local);
  ExpectOutsideUntouched();
  const ProcessResult health = RunHealth(*server_);
  EXPECT_EQ(health.out, "SERVING\n") << health.err;
  if (row.code.empty()) {
    const std::string log = server_->Stderr();
    EXPECT_EQ(log.find("\"method\""), std::string::npos) << "qbake called: " << log;
  } else {
    EXPECT_EQ(AwaitLoggedCode(*server_), row.code) << server_->Stderr();
  }
}

INSTANTIATE_TEST_SUITE_P(Battery, HostileInputTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<HostileCase>& info) {
                           return info.param.name;
                         });

TEST(HostileInputBatteryTest, HoldsAtLeastFortyDistinctInputs) {
  const std::vector<HostileCase> rows = Cases();
  std::set<std::string> names;
  for (const HostileCase& row : rows) names.insert(row.name);
  EXPECT_GE(names.size(), 40u);
  EXPECT_EQ(names.size(), rows.size());
}

}  // namespace
}  // namespace qbake::testing
