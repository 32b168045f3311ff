// The StallWatchdog may look at a call at any moment of its life, from its making to
// its end. With an idle timeout of a millisecond it sweeps every quarter of one, so it
// meets calls being made, admitted, baked, written and finished, and ends many of
// them: each call must still end whole (the same bake as without the watchdog, or
// DEADLINE_EXCEEDED naming --idle-timeout, which a client whose result was being
// written sees as the server's cancelling), be logged once, and leave no call behind.
// Under the sanitizers it is the test that finds a call touched outside its life: seen
// by the watchdog before its constructor ended, or by a pool task after its deletion.
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/server/bake_results.h"
#include "tests/server/e2e_cases.h"
#include "tests/server/server_test_support.h"
#include "tests/server/synthetic_models.h"
#include "tests/support/stream_requests.h"

namespace qbake::testing {
namespace {

using ::testing::HasSubstr;

constexpr int kClients = 4;
constexpr int kCallsPerClient = 40;

onnx::ModelProto Model() { return WeightModel({64}, Ramp(64)); }

// What a call that ran to its end rebuilds.
struct Outcome {
  std::map<std::string, RebuiltPayload> tensors;
  std::vector<std::string> updates;  // serialized ConfigUpdates
};

Outcome OutcomeOf(const CallResult& result) {
  Outcome outcome{RebuiltTensors(result.events), {}};
  for (const v1::ConfigUpdate& update : ConfigUpdates(result.events)) {
    outcome.updates.push_back(update.SerializeAsString());
  }
  return outcome;
}

void ExpectSameBake(const Outcome& outcome, const Outcome& expected) {
  ASSERT_EQ(outcome.tensors.size(), 1u);
  EXPECT_EQ(outcome.tensors.begin()->first, expected.tensors.begin()->first);
  EXPECT_EQ(outcome.tensors.begin()->second.data, expected.tensors.begin()->second.data);
  EXPECT_EQ(outcome.tensors.begin()->second.dims, expected.tensors.begin()->second.dims);
  EXPECT_EQ(outcome.updates, expected.updates);
}

// BakeStream whose client pauses `pause` before each message it sends and each event
// it takes: now and then long enough for the watchdog to end the call right there.
CallResult PausingStream(v1::Baker::Stub* stub, absl::Duration pause) {
  const std::vector<v1::BakeStreamRequest> requests = StreamRequests(Model(), {WeightSpec()});
  size_t sent = 0;
  CallResult result;
  grpc::ClientContext context;
  SetTimeout(&context, kCallTimeout);
  result.status = StreamBake(
      stub, &context,
      [&](v1::BakeStreamRequest* request) {
        if (sent == requests.size()) return false;
        absl::SleepFor(pause);
        *request = requests[sent++];
        return true;
      },
      [&](const v1::BakeEvent& event) {
        absl::SleepFor(pause);
        result.events.push_back(event);
      });
  return result;
}

// Bake on even calls; on odd ones, BakeStream with pauses of 0 to 1.5 ms.
CallResult CallNumber(v1::Baker::Stub* stub, int call) {
  if (call % 2 == 0) {
    return CallBake(stub, BakeRequestFor(Model().SerializeAsString(), {WeightSpec()}));
  }
  return PausingStream(stub, absl::Microseconds(500 * (call / 2 % 4)));
}

TEST(StallWatchdogTest, CallsSweptAtEveryMomentOfTheirLifeEndWhole) {
  Outcome expected;
  {
    TestServer calm;
    const CallResult reference = CallNumber(calm.stub(), 0);
    ASSERT_TRUE(reference.status.ok()) << reference.status.error_message();
    expected = OutcomeOf(reference);
    ASSERT_EQ(expected.tensors.size(), 1u);
  }

  ServerOptions options = TestOptions();
  options.idle_timeout = absl::Milliseconds(1);
  TestServer server(options);
  std::vector<std::vector<CallResult>> results(kClients);
  std::vector<std::thread> clients;
  for (int client = 0; client < kClients; ++client) {
    clients.emplace_back([&, client] {
      for (int call = 0; call < kCallsPerClient; ++call) {
        results[client].push_back(CallNumber(server.stub(), client + call));
      }
    });
  }
  for (std::thread& client : clients) client.join();

  int succeeded = 0;
  for (const std::vector<CallResult>& client_results : results) {
    for (const CallResult& result : client_results) {
      if (result.status.ok()) {
        ++succeeded;
        ExpectSameBake(OutcomeOf(result), expected);
      } else if (result.status.error_code() == grpc::StatusCode::CANCELLED) {
        // Ended while a write of the server's waited on the client: cancelling is the
        // only way to end it (the client's view; the log says why).
        EXPECT_EQ(result.status.error_message(), "Cancelled on the server side");
      } else {
        EXPECT_EQ(result.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
            << result.status.error_message();
        EXPECT_THAT(result.status.error_message(), HasSubstr("--idle-timeout"));
      }
    }
  }
  const std::vector<std::string> lines = server.LogLines(kClients * kCallsPerClient);
  ASSERT_EQ(lines.size(), static_cast<size_t>(kClients * kCallsPerClient));
  int logged_ok = 0;
  for (const std::string& line : lines) {
    const nlohmann::json call = nlohmann::json::parse(line);
    if (call["code"] == "OK") {
      ++logged_ok;
    } else {
      EXPECT_EQ(call["code"], "DEADLINE_EXCEEDED") << line;
      EXPECT_THAT(call["message"].get<std::string>(), HasSubstr("--idle-timeout")) << line;
    }
  }
  EXPECT_EQ(logged_ok, succeeded);
  ::testing::Test::RecordProperty("calls_that_ran_to_their_end", succeeded);
  EXPECT_TRUE(server.WaitForActiveCalls(0));
}

}  // namespace
}  // namespace qbake::testing
