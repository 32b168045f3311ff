// A loopback port where nothing listens, for tests of unreachable servers and for
// servers that need a port chosen before they start.
#ifndef QBAKE_TESTS_SUPPORT_LOOPBACK_PORT_H_
#define QBAKE_TESTS_SUPPORT_LOOPBACK_PORT_H_

namespace qbake::testing {

// A loopback port where nothing listens: one the system just handed out and took back.
int ClosedLoopbackPort();

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_SUPPORT_LOOPBACK_PORT_H_
