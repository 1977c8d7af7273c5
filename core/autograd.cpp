#include "core/autograd.h"

#include "core/error.h"

namespace knnformer {

namespace {
thread_local bool recording = true;
}

Tape& Tape::current() {
  thread_local Tape tape;
  return tape;
}

void Tape::run_backward() {
  for (auto node = nodes_.rbegin(); node != nodes_.rend(); ++node) (*node)->backward();
  clear();
}

void backward(const Tensor& loss) {
  require(loss.numel() == 1, "backward needs a one-element loss, got shape " + loss.shape().to_string());
  require(loss.requires_grad(), "backward: the loss does not depend on anything that requires grad");
  loss.grad()[0] += 1.0f;
  Tape::current().run_backward();
}

bool grad_enabled() { return recording; }

NoGrad::NoGrad() : previous_(recording) { recording = false; }
NoGrad::~NoGrad() { recording = previous_; }

bool needs_grad(std::initializer_list<const Tensor*> inputs) {
  if (!recording) return false;
  for (const Tensor* input : inputs)
    if (input && input->requires_grad()) return true;
  return false;
}

}  // namespace knnformer
