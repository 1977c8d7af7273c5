#include "core/tensor.h"

#include <algorithm>
#include <cstring>

#include "core/arena.h"
#include "core/error.h"

namespace knnformer {

struct Tensor::Impl {
  Shape shape;
  std::shared_ptr<Storage> data;
  int64_t offset = 0;
  std::shared_ptr<Storage> grad;
  bool grad_is_zero = false;  // grad's contents are stale and stand for zero
  bool requires_grad = false;
};

Tensor Tensor::empty(const Shape& shape) {
  auto impl = std::make_shared<Impl>();
  impl->shape = shape;
  impl->data = Storage::allocate(shape.numel());
  return Tensor(std::move(impl));
}

Tensor Tensor::zeros(const Shape& shape) { return full(shape, 0.0f); }

Tensor Tensor::full(const Shape& shape, float value) {
  Tensor tensor = empty(shape);
  std::fill_n(tensor.data(), shape.numel(), value);
  return tensor;
}

Tensor Tensor::from_vector(const Shape& shape, std::span<const float> values) {
  require(static_cast<int64_t>(values.size()) == shape.numel(),
          "Tensor::from_vector: " + std::to_string(values.size()) +
              " values do not fill shape " + shape.to_string());
  Tensor tensor = empty(shape);
  std::copy(values.begin(), values.end(), tensor.data());
  return tensor;
}

Tensor Tensor::parameter(const Shape& shape) {
  const HeapScope on_heap;
  Tensor tensor = zeros(shape);
  tensor.impl_->requires_grad = true;
  tensor.impl_->grad = Storage::allocate(shape.numel());
  tensor.impl_->grad_is_zero = true;
  return tensor;
}

const Shape& Tensor::shape() const {
  require(defined(), "use of an undefined tensor");
  return impl_->shape;
}

float* Tensor::data() const {
  require(defined(), "use of an undefined tensor");
  return impl_->data->data() + impl_->offset;
}

float Tensor::item() const {
  require(numel() == 1, "Tensor::item on a tensor of shape " + shape().to_string());
  return data()[0];
}

std::vector<float> Tensor::to_vector() const { return {data(), data() + numel()}; }

bool Tensor::requires_grad() const { return defined() && impl_->requires_grad; }
void Tensor::set_requires_grad(bool value) { impl_->requires_grad = value; }

bool Tensor::has_grad() const { return defined() && impl_->grad != nullptr; }

float* Tensor::grad() const {
  require(defined(), "use of an undefined tensor");
  if (!impl_->grad) impl_->grad = Storage::zeros(numel());
  if (impl_->grad_is_zero) {
    std::memset(impl_->grad->data(), 0, static_cast<size_t>(numel()) * sizeof(float));
    impl_->grad_is_zero = false;
  }
  return impl_->grad->data();
}

Tensor::GradSink Tensor::grad_sink() const {
  require(defined(), "use of an undefined tensor");
  if (!impl_->grad) {
    impl_->grad = Storage::allocate(numel());
    return {impl_->grad->data(), true};
  }
  const bool overwrite = impl_->grad_is_zero;
  impl_->grad_is_zero = false;
  return {impl_->grad->data(), overwrite};
}

Tensor Tensor::grad_tensor() const {
  grad();
  auto impl = std::make_shared<Impl>();
  impl->shape = impl_->shape;
  impl->data = impl_->grad;
  return Tensor(std::move(impl));
}

void Tensor::zero_grad() const {
  if (has_grad()) impl_->grad_is_zero = true;
}

void Tensor::drop_grad() const {
  if (!defined()) return;
  impl_->grad.reset();
  impl_->grad_is_zero = false;
}

Tensor Tensor::view(const Shape& new_shape, int64_t element_offset) const {
  require(element_offset >= 0 && element_offset + new_shape.numel() <= numel(),
          "view of shape " + new_shape.to_string() + " at offset " +
              std::to_string(element_offset) + " does not fit in a tensor of shape " +
              shape().to_string());
  auto impl = std::make_shared<Impl>();
  impl->shape = new_shape;
  impl->data = impl_->data;
  impl->offset = impl_->offset + element_offset;
  return Tensor(std::move(impl));
}

Tensor Tensor::clone() const {
  Tensor copy = empty(shape());
  std::copy_n(data(), numel(), copy.data());
  return copy;
}

}  // namespace knnformer
