#pragma once
// The autograd tape.
//
// Each op's forward, when some input requires grad and recording is on,
// records a Node that holds what its backward needs. backward(loss) seeds
// dloss = 1 and runs the recorded nodes in reverse order (recording order is
// a topological order, so every node runs after all the nodes that use its
// output), each node adding its contribution to its inputs' gradients. The
// tape is then cleared, which releases the saved activations.
//
// The tape is per thread: the training step drives the model from one thread
// and the kernels inside each op use OpenMP.
#include <memory>
#include <string_view>
#include <vector>

#include "core/tensor.h"

namespace knnformer {

class Node {
 public:
  virtual ~Node() = default;
  // Reads the output gradients and accumulates into the inputs' gradients.
  virtual void backward() = 0;
  virtual std::string_view name() const = 0;
};

class Tape {
 public:
  static Tape& current();  // this thread's tape
  void record(std::unique_ptr<Node> node) { nodes_.push_back(std::move(node)); }
  size_t size() const { return nodes_.size(); }
  void clear() { nodes_.clear(); }
  // Runs every node in reverse, then clears the tape.
  void run_backward();

 private:
  std::vector<std::unique_ptr<Node>> nodes_;
};

// Computes the gradient of a one-element loss with respect to every tensor
// that requires grad and took part in computing it; clears the tape.
void backward(const Tensor& loss);

// Whether ops record nodes now (true unless a NoGrad is alive on this thread).
bool grad_enabled();

// Turns recording off for its lifetime: evaluation and generation.
class NoGrad {
 public:
  NoGrad();
  NoGrad(const NoGrad&) = delete;
  NoGrad& operator=(const NoGrad&) = delete;
  ~NoGrad();

 private:
  bool previous_;
};

// For op implementations: true when recording is on and an input requires grad.
bool needs_grad(std::initializer_list<const Tensor*> inputs);

// For op implementations: marks output as requiring grad and records node.
template <class NodeType, class... Args>
void record(Tensor& output, Args&&... args) {
  output.set_requires_grad(true);
  Tape::current().record(std::make_unique<NodeType>(std::forward<Args>(args)...));
}

}  // namespace knnformer
