#include "core/ops/embedding.h"

#include <algorithm>
#include <vector>

#include "core/autograd.h"
#include "core/error.h"
#include "core/parallel.h"

namespace knnformer::ops {

namespace {

struct EmbeddingNode : Node {
  EmbeddingNode(Tensor weight_, std::span<const int32_t> ids_, Tensor y_)
      : weight(std::move(weight_)), ids(ids_.begin(), ids_.end()), y(std::move(y_)) {}

  // Several positions may hold the same id, so rows of dW receive several
  // additions: each thread owns a range of columns and walks the positions
  // in order, which keeps the sum's order fixed whatever the thread count.
  void backward() override {
    if (!y.has_grad() || !weight.requires_grad()) return;
    const int64_t width = weight.shape()[1];
    constexpr int64_t kColumnsPerItem = 32;
    const float* dy = y.grad();
    float* dweight = weight.grad();
    parallel_for(0, (width + kColumnsPerItem - 1) / kColumnsPerItem, [&](int64_t item) {
      const int64_t begin = item * kColumnsPerItem, end = std::min(width, begin + kColumnsPerItem);
      for (size_t position = 0; position < ids.size(); ++position) {
        float* row = dweight + ids[position] * width;
        const float* source = dy + static_cast<int64_t>(position) * width;
        for (int64_t j = begin; j < end; ++j) row[j] += source[j];
      }
    });
  }
  std::string_view name() const override { return "embedding"; }

  Tensor weight;
  std::vector<int32_t> ids;
  Tensor y;
};

}  // namespace

Tensor embedding(const Tensor& weight, std::span<const int32_t> ids, const Shape& shape) {
  require(weight.rank() == 2, "embedding: weight must be [V, C], got " + weight.shape().to_string());
  const int64_t vocab = weight.shape()[0], width = weight.shape()[1];
  require(shape.cols() == width && shape.numel() == static_cast<int64_t>(ids.size()) * width,
          "embedding: " + std::to_string(ids.size()) + " ids of width " + std::to_string(width) +
              " do not fill shape " + shape.to_string());
  for (const int32_t id : ids)
    require(id >= 0 && id < vocab,
            "embedding: token id " + std::to_string(id) + " outside the vocabulary [0, " + std::to_string(vocab) + ")");
  Tensor y = Tensor::empty(shape);
  parallel_for(0, static_cast<int64_t>(ids.size()), [&](int64_t position) {
    std::copy_n(weight.data() + ids[position] * width, width, y.data() + position * width);
  });
  if (needs_grad({&weight})) record<EmbeddingNode>(y, weight, ids, y);
  return y;
}

}  // namespace knnformer::ops
