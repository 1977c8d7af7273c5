// The whole model against an independent reference: PyTorch (Debian's
// python3-torch, float64) computes the loss and every parameter's gradient for
// the same weights and batch; knnformer (float32) must agree to a relative
// 1e-5 on the loss and 1e-3 on each gradient tensor (‖g − g_ref‖ / ‖g_ref‖).
// Those bounds leave fp32 rounding (about 1e-6 per op over a few dozen ops)
// a wide margin, while any wrong term in a backward is off by far more.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include <unistd.h>

#include "core/autograd.h"
#include "core/rng.h"
#include "layers/gpt.h"

using namespace knnformer;
namespace fs = std::filesystem;

namespace {

template <class T>
void write_raw(const fs::path& path, const T* data, int64_t count) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data), count * static_cast<int64_t>(sizeof(T)));
}

std::vector<float> read_floats(const fs::path& path, int64_t count) {
  std::vector<float> values(count);
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in, "the reference wrote no ", path.string());
  in.read(reinterpret_cast<char*>(values.data()), count * static_cast<int64_t>(sizeof(float)));
  return values;
}

double relative_error(const float* value, const std::vector<float>& reference) {
  double difference = 0, norm = 0;
  for (size_t i = 0; i < reference.size(); ++i) {
    difference += std::pow(double(value[i]) - reference[i], 2);
    norm += std::pow(double(reference[i]), 2);
  }
  return std::sqrt(difference) / std::max(std::sqrt(norm), 1e-30);
}

void check_parity(const ModelConfig& config, int64_t batch, int64_t time) {
  const GPT model(config, 1234);
  // Make LayerNorm parameters and biases non-trivial so their gradients are tested in general position.
  for (const auto& [name, tensor] : model.parameters())
    if (name.find("bias") != std::string::npos || name.find("ln_") != std::string::npos) {
      std::vector<float> noise(tensor.numel());
      CounterRng(99, {static_cast<uint64_t>(tensor.numel())}).fill_normal(noise.data(), tensor.numel(), 0.0f, 0.1f);
      for (int64_t i = 0; i < tensor.numel(); ++i) tensor.data()[i] += noise[i];
    }
  std::vector<int32_t> tokens(batch * time), targets(batch * time);
  CounterRng rng(5, {});
  for (auto& t : tokens) t = static_cast<int32_t>(rng.below(config.vocab_size));
  for (auto& t : targets) t = static_cast<int32_t>(rng.below(config.vocab_size));

  const Tensor loss = model.loss(tokens, targets, batch, time, {});
  backward(loss);

  const fs::path directory = fs::temp_directory_path() / ("knnformer-parity-" + std::to_string(::getpid()));
  fs::create_directories(directory);
  std::ofstream(directory / "config.txt") << "batch=" << batch << " time=" << time << " n_layer=" << config.n_layer
                                          << " n_head=" << config.n_head << " n_embd=" << config.n_embd
                                          << " rope=" << (config.rotary() ? 1 : 0) << "\n";
  {
    std::ofstream manifest(directory / "manifest.txt");
    for (const auto& [name, tensor] : model.parameters()) {
      manifest << name;
      for (int d = 0; d < tensor.rank(); ++d) manifest << " " << tensor.size(d);
      manifest << "\n";
      write_raw(directory / (name + ".f32"), tensor.data(), tensor.numel());
    }
  }
  write_raw(directory / "tokens.i32", tokens.data(), batch * time);
  write_raw(directory / "targets.i32", targets.data(), batch * time);

  const std::string command = "/usr/bin/python3 tests/layers/gpt_reference.py " + directory.string();
  REQUIRE_MESSAGE(std::system(command.c_str()) == 0, "the PyTorch reference failed: ", command);

  double reference_loss = 0;
  std::ifstream(directory / "loss.txt") >> reference_loss;
  INFO("loss ", loss.item(), " vs PyTorch ", reference_loss);
  CHECK(std::abs(loss.item() - reference_loss) / reference_loss <= 1e-5);
  for (const auto& [name, tensor] : model.parameters()) {
    const double error =
        relative_error(tensor.grad(), read_floats(directory / ("grad." + name + ".f32"), tensor.numel()));
    INFO("gradient of ", name, ": relative error ", error);
    CHECK(error <= 1e-3);
  }
  fs::remove_all(directory);
}

}  // namespace

TEST_CASE("GPT parity with PyTorch: T=256, 2 layers, 4 heads, width 128, vocab 256") {
  check_parity(
      {.vocab_size = 256, .n_layer = 2, .n_head = 4, .n_embd = 128, .context = 256, .dropout = 0, .attention = {}}, 2,
      256);
}

TEST_CASE("GPT parity with PyTorch: odd shapes (T=67 < context, 3 layers, 3 heads of 16, vocab 97)") {
  check_parity(
      {.vocab_size = 97, .n_layer = 3, .n_head = 3, .n_embd = 48, .context = 80, .dropout = 0, .attention = {}}, 3, 67);
}

TEST_CASE("GPT parity with PyTorch: rotary positions (T=67 < context, 3 layers, 3 heads of 16, vocab 97)") {
  check_parity({.vocab_size = 97, .n_layer = 3, .n_head = 3, .n_embd = 48, .context = 80, .dropout = 0,
                .positions = PositionEncoding::rope, .attention = {}}, 3, 67);
}
