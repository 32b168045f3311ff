// The order gRPC gives a reactor, made visible to ThreadSanitizer. gRPC runs a
// reactor's callbacks (OnReadDone, OnWriteDone, OnCancel, OnDone) on its own threads
// after the operations the reactor started; the synchronisation that orders them
// lies inside Debian's gRPC, which is not built with ThreadSanitizer, so it cannot
// see it. A reactor calls HandOffToGrpc(this) before it starts an operation (StartRead,
// StartWrite, Finish) and TakeBackFromGrpc(this) first thing in each callback.
// Both do nothing unless the build has -fsanitize=thread.
#ifndef QBAKE_SERVER_GRPC_HAND_OFF_H_
#define QBAKE_SERVER_GRPC_HAND_OFF_H_

#include "absl/base/config.h"

#ifdef ABSL_HAVE_THREAD_SANITIZER
#include <sanitizer/tsan_interface.h>
#endif

namespace qbake {

inline void HandOffToGrpc([[maybe_unused]] void* reactor) {
#ifdef ABSL_HAVE_THREAD_SANITIZER
  __tsan_release(reactor);
#endif
}

inline void TakeBackFromGrpc([[maybe_unused]] void* reactor) {
#ifdef ABSL_HAVE_THREAD_SANITIZER
  __tsan_acquire(reactor);
#endif
}

}  // namespace qbake

#endif  // QBAKE_SERVER_GRPC_HAND_OFF_H_
