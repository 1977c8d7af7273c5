#pragma once
// Tensor: a handle to fp32 data of up to 4 dims, contiguous and row-major.
//
// Copies of a Tensor share everything (like std::shared_ptr): data, gradient
// and the requires-grad flag. Ops (core/ops/*.h) take tensors and return new
// ones; when gradients are wanted they record a node on the autograd tape
// (core/autograd.h), and backward() fills each tensor's grad buffer.
//
//   Tensor w = Tensor::parameter({4, 3});          // requires grad, grad = 0
//   Tensor x = Tensor::from_vector({2, 3}, {...});
//   Tensor loss = ops::sum(ops::matmul(x, w, false, true));
//   backward(loss);                                 // w.grad() now holds dloss/dw
#include <memory>
#include <span>
#include <vector>

#include "core/shape.h"
#include "core/storage.h"

namespace knnformer {

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor (defined() is false)

  // Uninitialised / zero / constant data from the current allocator (arena or heap).
  static Tensor empty(const Shape& shape);
  static Tensor zeros(const Shape& shape);
  static Tensor full(const Shape& shape, float value);
  static Tensor from_vector(const Shape& shape, std::span<const float> values);
  // A trainable leaf: zero data, requires grad, its gradient allocated now and
  // on the heap, so that it outlives every step's arena.
  static Tensor parameter(const Shape& shape);

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  int rank() const { return shape().rank(); }
  int64_t size(int dim) const { return shape()[dim]; }
  int64_t numel() const { return shape().numel(); }

  // A Tensor is a handle: const-ness of the handle does not freeze the data.
  float* data() const;
  float item() const;  // the value of a one-element tensor
  std::vector<float> to_vector() const;

  bool requires_grad() const;
  void set_requires_grad(bool value);
  bool has_grad() const;             // a gradient buffer exists
  float* grad() const;               // the gradient buffer, zero-filled on first use
  Tensor grad_tensor() const;        // the gradient as a tensor sharing its buffer
  void zero_grad() const;            // makes an existing gradient zero (lazily: see grad_sink)
  void drop_grad() const;            // frees the gradient buffer

  // For backward nodes: where to put a contribution to this tensor's
  // gradient. When no contribution has arrived since the gradient was created
  // or zeroed, `overwrite` is true and the buffer holds garbage: the caller
  // must then write every element instead of adding to it. Most gradients
  // have a single contribution, which so skips a zero fill and a re-read.
  struct GradSink {
    float* data;
    bool overwrite;
  };
  GradSink grad_sink() const;

  // The same data with another shape of equal numel, or from an element offset
  // (a contiguous sub-range); no autograd link (ops::reshape records one).
  Tensor view(const Shape& shape, int64_t element_offset = 0) const;
  Tensor detach() const { return view(shape()); }
  Tensor clone() const;              // a copy of the data, no autograd link

  bool same_as(const Tensor& other) const { return impl_ == other.impl_; }

 private:
  struct Impl;
  explicit Tensor(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace knnformer
