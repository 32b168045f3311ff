// What every call of the Baker service shares; owned by the server, which outlives
// every call.
#ifndef QBAKE_SERVER_CALL_ENVIRONMENT_H_
#define QBAKE_SERVER_CALL_ENVIRONMENT_H_

#include <cstdint>

#include "core/thread_pool.h"
#include "server/call_admission.h"
#include "server/call_log.h"
#include "server/live_calls.h"
#include "server/memory_budget.h"
#include "server/server_metrics.h"
#include "server/stall_watchdog.h"

namespace qbake {

struct CallEnvironment {
  ThreadPool* pool = nullptr;  // where requests are parsed and bakes run
  CallAdmission* admission = nullptr;
  LiveCalls* live_calls = nullptr;
  StallWatchdog* watchdog = nullptr;
  MemoryBudget* memory = nullptr;
  uint64_t max_model_bytes = 0;
  CallLogSink log;
  ServerMetrics* metrics = nullptr;  // every ended call is counted here

  // A call has ended: its log line, and its count in the metrics.
  void RecordEndedCall(const CallRecord& record) const {
    log(CallLogLine(record));
    metrics->RecordCall(record);
  }
};

}  // namespace qbake

#endif  // QBAKE_SERVER_CALL_ENVIRONMENT_H_
