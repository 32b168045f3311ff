// qbake-server's open-file limit. Each client connection costs a descriptor; the
// soft limit is often 1024 while the hard one is far higher, and gRPC 1.51's listener
// stops accepting for good after it once runs out (CVE-2023-4785). The server raises
// its soft limit to the hard one at start, so running out takes that many connections.
#ifndef QBAKE_SERVER_DESCRIPTOR_LIMIT_H_
#define QBAKE_SERVER_DESCRIPTOR_LIMIT_H_

#include <cstdint>

namespace qbake {

// Raises the soft RLIMIT_NOFILE to the hard limit; the soft limit now in force.
uint64_t RaiseDescriptorLimit();

}  // namespace qbake

#endif  // QBAKE_SERVER_DESCRIPTOR_LIMIT_H_
