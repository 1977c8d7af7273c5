// Trainer benchmark: tokens/s of whole training steps as `knnformer train`
// runs them — batches from an HDF5 dataset through the prefetching loader,
// forward, backward, gradient clipping, AdamW, zeroing — for the project's
// cfgA and cfgB. Against bench_train_step (the bare step on tokens in
// memory), the difference is the trainer's own overhead; PyTorch's figures
// for the same configurations come from bench/train_step_reference.py.
//
// usage: bench_train [threads] [steps]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <vector>

#include "core/parallel.h"
#include "core/rng.h"
#include "data/token_dataset_writer.h"
#include "train/trainer.h"

using namespace knnformer;

namespace {

struct Shape {
  const char* name;
  int64_t batch, context, n_layer, n_head, n_embd;
};

// A dataset of random bytes, large enough for every window of the runs.
std::filesystem::path write_random_dataset(const std::filesystem::path& path) {
  TokenDatasetHeader header;
  header.vocab_size = 256;
  header.tokenizer = "none";
  header.source = "bench_train: random tokens";
  TokenDatasetWriter writer(path, header, {.overwrite = true, .compression_level = 0, .chunk_tokens = 16384});
  std::vector<int32_t> tokens(1 << 20);
  CounterRng rng(7, {});
  for (auto& token : tokens) token = static_cast<int32_t>(rng.below(256));
  writer.append(Split::train, tokens);
  writer.append(Split::val, std::span(tokens).first(1 << 16));
  writer.commit();
  return path;
}

void run(const Shape& shape, const std::shared_ptr<const TokenDataset>& dataset, int threads, int steps) {
  RunConfig config;
  config.data = dataset->path().string();
  config.out = "unused";
  config.threads = threads;
  config.batch = shape.batch;
  config.context = shape.context;
  config.n_layer = shape.n_layer;
  config.n_head = shape.n_head;
  config.n_embd = shape.n_embd;
  config.eval_batches = 1;
  Trainer trainer(config, dataset);
  std::vector<double> seconds;
  for (int step = 0; step < steps + 2; ++step) {  // two warm-up steps
    const auto start = std::chrono::steady_clock::now();
    trainer.train_step();
    if (step >= 2) seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  const double median = seconds[seconds.size() / 2];
  std::printf("%-5s B=%-2ld T=%-5ld L=%ld H=%ld C=%-4ld  %8.1f ms/step  %9.0f tok/s\n", shape.name, long(shape.batch),
              long(shape.context), long(shape.n_layer), long(shape.n_head), long(shape.n_embd), median * 1e3,
              static_cast<double>(config.tokens_per_step()) / median);
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const int steps = argc > 2 ? std::atoi(argv[2]) : 10;
  set_num_threads(threads);
  const std::filesystem::path path = std::filesystem::temp_directory_path() / "knnformer-bench-train.h5";
  const auto dataset = std::make_shared<const TokenDataset>(write_random_dataset(path));
  std::printf("trainer steps (loader, forward, backward, clipping, AdamW), %d threads, median of %d steps\n", threads,
              steps);
  run({"cfgA", 8, 256, 4, 4, 256}, dataset, threads, steps);
  run({"cfgB", 4, 1024, 6, 6, 384}, dataset, threads, steps);
  std::filesystem::remove(path);
}
