#include "core/subnormals.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace knnformer {
namespace {

#if defined(__x86_64__) || defined(__i386__)
constexpr unsigned kFlushToZero = 1u << 15;       // MXCSR.FTZ
constexpr unsigned kDenormalsAreZero = 1u << 6;   // MXCSR.DAZ
#elif defined(__aarch64__)
constexpr unsigned long kFlushToZero = 1ul << 24;  // FPCR.FZ: inputs and results alike
#endif

}  // namespace

void flush_subnormals_on_this_thread() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_setcsr(_mm_getcsr() | kFlushToZero | kDenormalsAreZero);
#elif defined(__aarch64__)
  __builtin_aarch64_set_fpcr(__builtin_aarch64_get_fpcr() | kFlushToZero);
#endif
}

void flush_subnormals_on_every_thread() {
  flush_subnormals_on_this_thread();
  // GNU OpenMP keeps its threads between regions, so the mode set here stays
  // on them; threads started later inherit the floating-point environment of
  // the thread that starts them (POSIX pthread_create).
#pragma omp parallel
  flush_subnormals_on_this_thread();
}

bool this_thread_flushes_subnormals() {
#if defined(__x86_64__) || defined(__i386__)
  return (_mm_getcsr() & kFlushToZero) != 0;
#elif defined(__aarch64__)
  return (__builtin_aarch64_get_fpcr() & kFlushToZero) != 0;
#else
  return false;
#endif
}

}  // namespace knnformer
