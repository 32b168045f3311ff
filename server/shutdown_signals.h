// SIGTERM and SIGINT as a request to drain: blocked in every thread (call this before
// any thread starts, so all inherit the mask) and taken synchronously by one waiter.
#ifndef QBAKE_SERVER_SHUTDOWN_SIGNALS_H_
#define QBAKE_SERVER_SHUTDOWN_SIGNALS_H_

namespace qbake {

// Blocks SIGTERM and SIGINT in the calling thread and the threads it starts later.
void BlockShutdownSignals();

// Waits for SIGTERM or SIGINT; returns its number.
int WaitForShutdownSignal();

}  // namespace qbake

#endif  // QBAKE_SERVER_SHUTDOWN_SIGNALS_H_
