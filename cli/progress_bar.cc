#include "cli/progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "cli/human_units.h"

namespace qbake {
namespace {

constexpr int kBarWidth = 30;

}  // namespace

ProgressBar::ProgressBar(int64_t min_total_bytes)
    : terminal_(isatty(STDERR_FILENO) != 0), min_total_bytes_(min_total_bytes) {}

ProgressBar::~ProgressBar() {
  if (drawn_percent_ >= 0) std::fputc('\n', stderr);
}

void ProgressBar::Update(int64_t done_bytes, int64_t total_bytes) {
  if (!terminal_ || total_bytes <= min_total_bytes_) return;
  const int percent =
      std::clamp(static_cast<int>(100 * static_cast<double>(done_bytes) / total_bytes), 0, 100);
  if (percent == drawn_percent_) return;
  drawn_percent_ = percent;
  const int filled = percent * kBarWidth / 100;
  const std::string bar = std::string(filled, '#') + std::string(kBarWidth - filled, '-');
  std::fprintf(stderr, "\rbaking [%s] %3d%%  %s / %s ", bar.c_str(), percent,
               FormatBytes(done_bytes).c_str(), FormatBytes(total_bytes).c_str());
  std::fflush(stderr);
}

}  // namespace qbake
