#include "core/shape.h"

#include "core/error.h"

namespace knnformer {

Shape::Shape(std::initializer_list<int64_t> dims) {
  require(dims.size() <= kMaxRank,
          "a tensor has at most " + std::to_string(kMaxRank) + " dims, got " +
              std::to_string(dims.size()));
  for (const int64_t extent : dims) {
    require(extent >= 0, "negative extent " + std::to_string(extent) + " in a shape");
    dims_[rank_++] = extent;
  }
}

int Shape::normalise(int dim) const {
  const int normalised = dim < 0 ? dim + rank_ : dim;
  require(normalised >= 0 && normalised < rank_,
          "dim " + std::to_string(dim) + " out of range for shape " + to_string());
  return normalised;
}

int64_t Shape::operator[](int dim) const { return dims_[normalise(dim)]; }

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < rank_; ++i) n *= dims_[i];
  return n;
}

int64_t Shape::cols() const { return rank_ == 0 ? 1 : dims_[rank_ - 1]; }

int64_t Shape::rows() const {
  const int64_t last = cols();
  return last == 0 ? 0 : numel() / last;
}

Shape Shape::with(int dim, int64_t extent) const {
  Shape copy = *this;
  copy.dims_[normalise(dim)] = extent;
  return copy;
}

bool Shape::operator==(const Shape& other) const {
  if (rank_ != other.rank_) return false;
  for (int i = 0; i < rank_; ++i)
    if (dims_[i] != other.dims_[i]) return false;
  return true;
}

std::string Shape::to_string() const {
  std::string text = "[";
  for (int i = 0; i < rank_; ++i) {
    if (i) text += ", ";
    text += std::to_string(dims_[i]);
  }
  return text + "]";
}

}  // namespace knnformer
