#pragma once
// <immintrin.h> for the AVX-512 kernels outside core/kernels (the attention
// tile, selection and Gumbel kernels) that are not yet on Highway. GCC 12's AVX-512 header fills
// "undefined" operands with self-initialised variables and then warns about
// its own code; the warnings are not ours, so they are silenced for the
// header alone.
#if defined(__AVX512F__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif
