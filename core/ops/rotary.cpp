#include "core/ops/rotary.h"

#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "core/autograd.h"
#include "core/error.h"
#include "core/parallel.h"

namespace knnformer::ops {

namespace {

// cos and sin of t·θ_i, θ_i = 10000^(−2i/d), for positions [first, first +
// count) and i < d/2, row-major [count, d/2]; the angles in double, so that
// far positions keep their precision.
struct RotationTable {
  RotationTable(int64_t first, int64_t count, int64_t dim)
      : pairs(dim / 2), cosines(count * pairs), sines(count * pairs) {
    for (int64_t i = 0; i < pairs; ++i) {
      const double theta = std::pow(10000.0, -2.0 * static_cast<double>(i) / static_cast<double>(dim));
      for (int64_t n = 0; n < count; ++n) {
        const double angle = static_cast<double>(first + n) * theta;
        cosines[n * pairs + i] = static_cast<float>(std::cos(angle));
        sines[n * pairs + i] = static_cast<float>(std::sin(angle));
      }
    }
  }
  int64_t pairs;
  std::vector<float> cosines, sines;
};

// The table of positions [0, time) for a head dim: every layer and step of a
// run asks for the same one, which at long contexts (T·d/2 cos and sin) costs
// more than the rotation itself; so each is made once and shared.
std::shared_ptr<const RotationTable> table_for(int64_t time, int64_t dim) {
  static std::mutex mutex;
  static std::map<std::pair<int64_t, int64_t>, std::shared_ptr<const RotationTable>> tables;
  const std::lock_guard lock(mutex);
  std::shared_ptr<const RotationTable>& table = tables[{time, dim}];
  if (!table) table = std::make_shared<const RotationTable>(0, time, dim);
  return table;
}

// y (+)= R(direction·angle) x for one row, by the table's row n; x and y
// may be the same row. direction +1 rotates, −1 turns back.
void rotate_row(const float* x, float* y, const RotationTable& table, int64_t n, float direction, bool accumulate) {
  const float* cosines = table.cosines.data() + n * table.pairs;
  const float* sines = table.sines.data() + n * table.pairs;
  for (int64_t i = 0; i < table.pairs; ++i) {
    const float c = cosines[i], s = direction * sines[i];
    const float first = x[2 * i] * c - x[2 * i + 1] * s;
    const float second = x[2 * i] * s + x[2 * i + 1] * c;
    y[2 * i] = accumulate ? y[2 * i] + first : first;
    y[2 * i + 1] = accumulate ? y[2 * i + 1] + second : second;
  }
}

// Every row of every [time, dim] block, row t by the table's row t.
void rotate_blocks(const float* in, float* out, int64_t rows, int64_t time, int64_t dim, const RotationTable& table,
                   float direction, bool accumulate) {
  parallel_for(0, rows, [&](int64_t row) {
    rotate_row(in + row * dim, out + row * dim, table, row % time, direction, accumulate);
  });
}

struct RotaryNode : Node {
  RotaryNode(Tensor x_, Tensor y_, std::shared_ptr<const RotationTable> table_)
      : x(std::move(x_)), y(std::move(y_)), table(std::move(table_)) {}
  void backward() override {
    if (!y.has_grad()) return;
    const Tensor::GradSink dx = x.grad_sink();
    const int64_t dim = x.size(x.rank() - 1), time = x.size(x.rank() - 2);
    rotate_blocks(y.grad(), dx.data, x.numel() / dim, time, dim, *table, -1.0f, !dx.overwrite);
  }
  std::string_view name() const override { return "rotary_embedding"; }
  Tensor x, y;
  std::shared_ptr<const RotationTable> table;
};

void require_even(int64_t dim, const char* op) {
  require(dim % 2 == 0, std::string(op) + ": the last dim must be even, got " + std::to_string(dim));
}

}  // namespace

Tensor rotary_embedding(const Tensor& x) {
  require(x.rank() >= 2, "rotary_embedding: expected [..., T, d], got rank " + std::to_string(x.rank()));
  const int64_t dim = x.size(x.rank() - 1), time = x.size(x.rank() - 2);
  require_even(dim, "rotary_embedding");
  std::shared_ptr<const RotationTable> table = table_for(time, dim);
  Tensor y = Tensor::empty(x.shape());
  if (x.numel() > 0) rotate_blocks(x.data(), y.data(), x.numel() / dim, time, dim, *table, 1.0f, false);
  if (needs_grad({&x})) record<RotaryNode>(y, x, y, std::move(table));
  return y;
}

void rotate_at_position(float* rows, int64_t count, int64_t dim, int64_t position) {
  require_even(dim, "rotate_at_position");
  const RotationTable table(position, 1, dim);
  for (int64_t n = 0; n < count; ++n) rotate_row(rows + n * dim, rows + n * dim, table, 0, 1.0f, false);
}

}  // namespace knnformer::ops
