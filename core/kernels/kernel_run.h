// What a bake kernel works on: the elements [begin, end) of one tensor, a run that
// shares one scale and offset. Kernels address elements by their index in the
// tensor (values[i]), because the index decides how an element's error is summed
// (core/error_stats.h) and how the vector paths align their loads.
#ifndef QBAKE_CORE_KERNELS_KERNEL_RUN_H_
#define QBAKE_CORE_KERNELS_KERNEL_RUN_H_

#include <cstddef>
#include <cstdint>

namespace qbake {

struct TensorRun {
  float* values = nullptr;      // the tensor's first element
  int32_t* integers = nullptr;  // the tensor's integer representation, or null
  size_t begin = 0;
  size_t end = 0;
};

}  // namespace qbake

#endif  // QBAKE_CORE_KERNELS_KERNEL_RUN_H_
