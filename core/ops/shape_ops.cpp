#include "core/ops/shape_ops.h"

#include <algorithm>
#include <array>

#include "core/autograd.h"
#include "core/error.h"
#include "core/kernels/elementwise.h"
#include "core/parallel.h"

namespace knnformer::ops {

namespace {

void add_into(float* target, const float* source, int64_t count) {
  for (int64_t i = 0; i < count; ++i) target[i] += source[i];
}

// --- reshape ------------------------------------------------------------------

struct ReshapeNode : Node {
  ReshapeNode(Tensor x_, Tensor y_) : x(std::move(x_)), y(std::move(y_)) {}
  void backward() override {
    if (!y.has_grad()) return;
    const Tensor::GradSink dx = x.grad_sink();
    if (dx.overwrite)
      kernels::scale(y.grad(), 1.0f, dx.data, y.numel());
    else
      kernels::axpy(1.0f, y.grad(), dx.data, y.numel());
  }
  std::string_view name() const override { return "reshape"; }
  Tensor x, y;
};

// --- a general permutation of a 4-D view, used by transpose and the head ops --

using Extents = std::array<int64_t, 4>;

// Copies x viewed as [e0, e1, e2, e3] into y laid out with dims permuted by
// order (y's dim i is x's dim order[i]); when accumulate, adds instead.
void permute4(const float* x, const Extents& extents, const std::array<int, 4>& order, float* y,
              bool accumulate) {
  Extents x_strides{extents[1] * extents[2] * extents[3], extents[2] * extents[3], extents[3], 1};
  Extents y_extents, strides_in_x;
  for (int i = 0; i < 4; ++i) {
    y_extents[i] = extents[order[i]];
    strides_in_x[i] = x_strides[order[i]];
  }
  const int64_t outer = y_extents[0] * y_extents[1];
  parallel_for(0, outer, [&](int64_t ij) {
    const int64_t i = ij / y_extents[1], j = ij % y_extents[1];
    float* out = y + ij * y_extents[2] * y_extents[3];
    const float* base = x + i * strides_in_x[0] + j * strides_in_x[1];
    for (int64_t k = 0; k < y_extents[2]; ++k)
      for (int64_t l = 0; l < y_extents[3]; ++l) {
        const float value = base[k * strides_in_x[2] + l * strides_in_x[3]];
        float& target = out[k * y_extents[3] + l];
        target = accumulate ? target + value : value;
      }
  });
}

std::array<int, 4> inverse(const std::array<int, 4>& order) {
  std::array<int, 4> inverted{};
  for (int i = 0; i < 4; ++i) inverted[order[i]] = i;
  return inverted;
}

struct PermuteNode : Node {
  PermuteNode(Tensor x_, Tensor y_, Extents y_extents_, std::array<int, 4> order_)
      : x(std::move(x_)), y(std::move(y_)), y_extents(y_extents_), order(order_) {}
  void backward() override {
    if (!y.has_grad()) return;
    const Tensor::GradSink dx = x.grad_sink();
    permute4(y.grad(), y_extents, inverse(order), dx.data, !dx.overwrite);
  }
  std::string_view name() const override { return "permute"; }
  Tensor x, y;
  Extents y_extents;
  std::array<int, 4> order;
};

Tensor permute(const Tensor& x, const Extents& extents, const std::array<int, 4>& order, const Shape& y_shape) {
  Tensor y = Tensor::empty(y_shape);
  permute4(x.data(), extents, order, y.data(), false);
  if (needs_grad({&x})) {
    Extents y_extents;
    for (int i = 0; i < 4; ++i) y_extents[i] = extents[order[i]];
    record<PermuteNode>(y, x, y, y_extents, order);
  }
  return y;
}

// --- slice of the last dim -------------------------------------------------------

struct SliceNode : Node {
  SliceNode(Tensor x_, Tensor y_, int64_t begin_) : x(std::move(x_)), y(std::move(y_)), begin(begin_) {}
  void backward() override {
    if (!y.has_grad()) return;
    const int64_t rows = y.shape().rows(), width = y.shape().cols(), stride = x.shape().cols();
    float* dx = x.grad();
    const float* dy = y.grad();
    for (int64_t r = 0; r < rows; ++r) add_into(dx + r * stride + begin, dy + r * width, width);
  }
  std::string_view name() const override { return "slice_last"; }
  Tensor x, y;
  int64_t begin;
};

// --- q, k, v out of one packed projection ------------------------------------------

// Copies between the packed rows [B, T, 3·H·d] and the three [B, H, T, d]
// tensors, one (b, t) row per work item: out to the heads, or back into the
// packed rows (added, or written when every part is there to write).
enum class QkvMove { to_heads, add_to_packed, write_to_packed };

void move_qkv(float* packed, const std::array<float*, 3>& parts, int64_t batch, int64_t time, int64_t heads,
              int64_t head_dim, QkvMove move) {
  const int64_t width = heads * head_dim;
  parallel_for(0, batch * time, [&](int64_t row) {
    const int64_t b = row / time, t = row % time;
    for (int part = 0; part < 3; ++part) {
      if (!parts[part]) continue;
      for (int64_t h = 0; h < heads; ++h) {
        float* packed_slice = packed + row * 3 * width + part * width + h * head_dim;
        float* head_row = parts[part] + ((b * heads + h) * time + t) * head_dim;
        switch (move) {
          case QkvMove::to_heads: std::copy_n(packed_slice, head_dim, head_row); break;
          case QkvMove::write_to_packed: std::copy_n(head_row, head_dim, packed_slice); break;
          case QkvMove::add_to_packed: add_into(packed_slice, head_row, head_dim); break;
        }
      }
    }
  });
}

struct SplitQkvNode : Node {
  SplitQkvNode(Tensor x_, std::array<Tensor, 3> parts_, int64_t heads_)
      : x(std::move(x_)), parts(std::move(parts_)), heads(heads_) {}
  void backward() override {
    std::array<float*, 3> grads{};
    for (int part = 0; part < 3; ++part) grads[part] = parts[part].has_grad() ? parts[part].grad() : nullptr;
    if (!grads[0] && !grads[1] && !grads[2]) return;
    const Shape& shape = x.shape();
    const bool every_part = grads[0] && grads[1] && grads[2];
    const Tensor::GradSink dx = every_part ? x.grad_sink() : Tensor::GradSink{x.grad(), false};
    move_qkv(dx.data, grads, shape[0], shape[1], heads, shape[2] / (3 * heads),
             dx.overwrite ? QkvMove::write_to_packed : QkvMove::add_to_packed);
  }
  std::string_view name() const override { return "split_qkv_heads"; }
  Tensor x;
  std::array<Tensor, 3> parts;
  int64_t heads;
};

}  // namespace

std::array<Tensor, 3> split_qkv_heads(const Tensor& x, int64_t heads) {
  const Shape& shape = x.shape();
  require(shape.rank() == 3 && heads > 0 && shape[2] % (3 * heads) == 0,
          "split_qkv_heads: need [B, T, 3·H·d] with width divisible by 3·" + std::to_string(heads) +
              ", got shape " + shape.to_string());
  const int64_t batch = shape[0], time = shape[1], head_dim = shape[2] / (3 * heads);
  std::array<Tensor, 3> parts;
  for (auto& part : parts) part = Tensor::empty({batch, heads, time, head_dim});
  move_qkv(x.data(), {parts[0].data(), parts[1].data(), parts[2].data()}, batch, time, heads, head_dim,
           QkvMove::to_heads);
  if (needs_grad({&x})) {
    for (auto& part : parts) part.set_requires_grad(true);
    Tape::current().record(std::make_unique<SplitQkvNode>(x, parts, heads));
  }
  return parts;
}

Tensor reshape(const Tensor& x, const Shape& shape) {
  require(shape.numel() == x.numel(),
          "reshape: cannot view shape " + x.shape().to_string() + " as " + shape.to_string());
  Tensor y = x.view(shape);
  if (needs_grad({&x})) record<ReshapeNode>(y, x, y);
  return y;
}

Tensor transpose(const Tensor& x, int dim0, int dim1) {
  const Shape& shape = x.shape();
  const int rank = shape.rank();
  require(rank >= 2, "transpose needs at least 2 dims, got shape " + shape.to_string());
  const int a = dim0 < 0 ? dim0 + rank : dim0, b = dim1 < 0 ? dim1 + rank : dim1;
  require(a >= 0 && a < rank && b >= 0 && b < rank,
          "transpose: dims " + std::to_string(dim0) + ", " + std::to_string(dim1) + " out of range for shape " +
              shape.to_string());
  // Pad the shape to 4 dims on the left, then swap the two dims.
  const int pad = 4 - rank;
  Extents extents{1, 1, 1, 1};
  for (int i = 0; i < rank; ++i) extents[pad + i] = shape[i];
  std::array<int, 4> order{0, 1, 2, 3};
  std::swap(order[pad + a], order[pad + b]);
  Shape y_shape = shape.with(a, shape[b]).with(b, shape[a]);
  return permute(x, extents, order, y_shape);
}

Tensor slice_last(const Tensor& x, int64_t begin, int64_t width) {
  const int64_t columns = x.shape().cols();
  require(begin >= 0 && width >= 0 && begin + width <= columns,
          "slice_last: columns [" + std::to_string(begin) + ", " + std::to_string(begin + width) +
              ") out of range for shape " + x.shape().to_string());
  Tensor y = Tensor::empty(x.shape().with(-1, width));
  const int64_t rows = x.shape().rows();
  for (int64_t r = 0; r < rows; ++r)
    std::copy_n(x.data() + r * columns + begin, width, y.data() + r * width);
  if (needs_grad({&x})) record<SliceNode>(y, x, y, begin);
  return y;
}

Tensor split_heads(const Tensor& x, int64_t heads) {
  const Shape& shape = x.shape();
  require(shape.rank() == 3 && heads > 0 && shape[2] % heads == 0,
          "split_heads: need [B, T, H*d] with width divisible by " + std::to_string(heads) + " heads, got shape " +
              shape.to_string());
  const int64_t batch = shape[0], time = shape[1], head_dim = shape[2] / heads;
  return permute(x, {batch, time, heads, head_dim}, {0, 2, 1, 3}, Shape{batch, heads, time, head_dim});
}

Tensor merge_heads(const Tensor& x) {
  const Shape& shape = x.shape();
  require(shape.rank() == 4, "merge_heads: need [B, H, T, d], got shape " + shape.to_string());
  const int64_t batch = shape[0], heads = shape[1], time = shape[2], head_dim = shape[3];
  return permute(x, {batch, heads, time, head_dim}, {0, 2, 1, 3}, Shape{batch, time, heads * head_dim});
}

}  // namespace knnformer::ops
