#include "optim/update_kernels.h"

#include <cmath>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

#include "core/parallel.h"

namespace knnformer::kernels {

namespace reference {

void adamw_update(float* p, const float* g, float* m, float* v, int64_t count, const AdamWStep& s) {
  for (int64_t i = 0; i < count; ++i) {
    m[i] = s.beta1 * m[i] + (1.0f - s.beta1) * g[i];
    v[i] = s.beta2 * v[i] + (1.0f - s.beta2) * g[i] * g[i];
    const float m_hat = m[i] / s.bias_correction1;
    const float v_hat = v[i] / s.bias_correction2;
    p[i] -= s.lr * (m_hat / (std::sqrt(v_hat) + s.epsilon) + s.weight_decay * p[i]);
  }
}

void sgd_update(float* p, const float* g, float* b, int64_t count, float lr, float momentum, bool nesterov,
                float weight_decay) {
  for (int64_t i = 0; i < count; ++i) {
    b[i] = momentum * b[i] + g[i];
    const float direction = nesterov ? g[i] + momentum * b[i] : b[i];
    p[i] -= lr * (direction + weight_decay * p[i]);
  }
}

}  // namespace reference

namespace {

// Chunks of whole cache lines handed to threads; any split gives the same
// result, since every element's update is independent of the others.
constexpr int64_t kChunk = 4096;

template <class Update>
void in_chunks(int64_t count, Update&& update) {
  if (count < 4 * kChunk) return update(0, count);
  parallel_for(0, (count + kChunk - 1) / kChunk, [&](int64_t chunk) {
    const int64_t begin = chunk * kChunk;
    update(begin, std::min(count, begin + kChunk) - begin);
  });
}

}  // namespace

void adamw_update(float* p, const float* g, float* m, float* v, int64_t count, const AdamWStep& s) {
  in_chunks(count, [&](int64_t begin, int64_t n) {
    int64_t i = 0;
#if defined(__AVX2__) && defined(__FMA__)
    const __m256 beta1 = _mm256_set1_ps(s.beta1), one_minus_beta1 = _mm256_set1_ps(1.0f - s.beta1);
    const __m256 beta2 = _mm256_set1_ps(s.beta2), one_minus_beta2 = _mm256_set1_ps(1.0f - s.beta2);
    const __m256 inverse_c1 = _mm256_set1_ps(1.0f / s.bias_correction1);
    const __m256 inverse_c2 = _mm256_set1_ps(1.0f / s.bias_correction2);
    const __m256 epsilon = _mm256_set1_ps(s.epsilon), lr = _mm256_set1_ps(s.lr);
    const __m256 decay = _mm256_set1_ps(s.weight_decay);
    for (; i + 8 <= n; i += 8) {
      const int64_t at = begin + i;
      const __m256 gradient = _mm256_loadu_ps(g + at);
      const __m256 first = _mm256_fmadd_ps(beta1, _mm256_loadu_ps(m + at), _mm256_mul_ps(one_minus_beta1, gradient));
      const __m256 second = _mm256_fmadd_ps(beta2, _mm256_loadu_ps(v + at),
                                            _mm256_mul_ps(one_minus_beta2, _mm256_mul_ps(gradient, gradient)));
      _mm256_storeu_ps(m + at, first);
      _mm256_storeu_ps(v + at, second);
      const __m256 denominator = _mm256_add_ps(_mm256_sqrt_ps(_mm256_mul_ps(second, inverse_c2)), epsilon);
      const __m256 parameter = _mm256_loadu_ps(p + at);
      const __m256 direction =
          _mm256_fmadd_ps(decay, parameter, _mm256_div_ps(_mm256_mul_ps(first, inverse_c1), denominator));
      _mm256_storeu_ps(p + at, _mm256_fnmadd_ps(lr, direction, parameter));
    }
#endif
    reference::adamw_update(p + begin + i, g + begin + i, m + begin + i, v + begin + i, n - i, s);
  });
}

void sgd_update(float* p, const float* g, float* b, int64_t count, float lr, float momentum, bool nesterov,
                float weight_decay) {
  in_chunks(count, [&](int64_t begin, int64_t n) {
    reference::sgd_update(p + begin, g + begin, b + begin, n, lr, momentum, nesterov, weight_decay);
  });
}

}  // namespace knnformer::kernels
