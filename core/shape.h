#pragma once
// Shape: the extents of a tensor of rank 0 to 4, row-major (last dim fastest).
#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>

namespace knnformer {

class Shape {
 public:
  static constexpr int kMaxRank = 4;

  Shape() = default;  // rank 0: a scalar with one element
  Shape(std::initializer_list<int64_t> dims);

  int rank() const { return rank_; }
  int64_t operator[](int dim) const;        // dim may be negative: -1 is the last
  int64_t numel() const;
  int64_t rows() const;                     // product of all dims but the last
  int64_t cols() const;                     // the last dim (1 for a scalar)
  Shape with(int dim, int64_t extent) const;  // a copy with one dim changed

  bool operator==(const Shape& other) const;
  bool operator!=(const Shape& other) const { return !(*this == other); }
  std::string to_string() const;            // "[2, 3, 4]"

 private:
  int normalise(int dim) const;
  std::array<int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

}  // namespace knnformer
