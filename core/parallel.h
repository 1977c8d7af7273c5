#pragma once
// Threading helpers over OpenMP (the same runtime oneDNN uses here).
//
// Determinism rule for every kernel: work is split into items whose results
// do not depend on which thread computes them (each item writes its own
// outputs; randomness comes from CounterRng keyed by the item), and any sum
// across items is done afterwards in a fixed order, never by atomics.
#include <cstdint>

#include <omp.h>

namespace knnformer {

// The most threads a command accepts: far more than any CPU has cores, and
// far fewer than the tens of thousands that make the OpenMP runtime fail.
inline constexpr int64_t kMaxThreads = 4096;

// Threads used by kernels from now on (0 or negative: all cores); each of them
// flushes subnormal floats to zero (core/subnormals.h).
void set_num_threads(int threads);
int num_threads();

// Calls body(i) for i in [begin, end), spread over the threads in contiguous chunks.
template <class Body>
void parallel_for(int64_t begin, int64_t end, Body&& body) {
#pragma omp parallel for schedule(static)
  for (int64_t i = begin; i < end; ++i) body(i);
}

// As parallel_for, with dynamic scheduling for items of uneven cost (causal
// rows), handed out `chunk` at a time: cheap items want chunks of dozens, or
// the threads spend their time contending for the shared counter.
template <class Body>
void parallel_for_dynamic(int64_t begin, int64_t end, Body&& body, int64_t chunk = 1) {
#pragma omp parallel for schedule(dynamic, chunk)
  for (int64_t i = begin; i < end; ++i) body(i);
}

}  // namespace knnformer
