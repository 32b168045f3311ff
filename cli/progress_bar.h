// A progress bar for long bakes, redrawn in place on stderr. It draws only when
// stderr is a terminal and the work is large enough to be worth watching, so logs
// and pipes never see it.
#ifndef QBAKE_CLIENT_PROGRESS_BAR_H_
#define QBAKE_CLIENT_PROGRESS_BAR_H_

#include <cstdint>

namespace qbake {

class ProgressBar {
 public:
  // Draws only for totals above `min_total_bytes`.
  explicit ProgressBar(int64_t min_total_bytes);
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  // Ends the bar's line, if one was drawn.
  ~ProgressBar();

  // Redraws when the whole percentage changes.
  void Update(int64_t done_bytes, int64_t total_bytes);

 private:
  const bool terminal_;
  const int64_t min_total_bytes_;
  int drawn_percent_ = -1;
};

}  // namespace qbake

#endif  // QBAKE_CLIENT_PROGRESS_BAR_H_
