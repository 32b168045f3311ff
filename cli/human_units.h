// Quantities as people read them.
#ifndef QBAKE_CLI_HUMAN_UNITS_H_
#define QBAKE_CLI_HUMAN_UNITS_H_

#include <cstdint>
#include <string>

namespace qbake {

// "512 B", "1.5 KiB", "286.0 MiB", "1.2 GiB".
std::string FormatBytes(int64_t bytes);

}  // namespace qbake

#endif  // QBAKE_CLI_HUMAN_UNITS_H_
