#pragma once
// Fixtures of the train tests: one thread, a temporary folder, a small
// byte-level token dataset in it, and a tiny run's config.
#include <filesystem>
#include <random>
#include <string>

#include "core/parallel.h"
#include "data/byte_tokenizer.h"
#include "data/token_dataset_writer.h"
#include "train/run_config.h"

namespace knnformer::testing {

// The tests' models are tiny: one thread is fastest, and never waits for a
// core that other processes keep busy.
inline const bool single_threaded = (set_num_threads(1), true);

// A fresh folder under the system's temporary folder, removed with everything in it.
class TemporaryFolder {
 public:
  TemporaryFolder() {
    std::random_device entropy;
    std::string name = "knnformer-train-test-";
    name += std::to_string(entropy());
    path_ = std::filesystem::temp_directory_path() / name;
    std::filesystem::create_directories(path_);
  }
  ~TemporaryFolder() { std::filesystem::remove_all(path_); }
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A byte-level dataset of a repetitive English text: easy to learn, so a few
// steps of a tiny model visibly lower its loss.
inline std::filesystem::path write_tiny_dataset(const std::filesystem::path& folder) {
  const std::filesystem::path path = folder / "tiny.h5";
  const ByteTokenizer tokenizer;
  std::string text;
  for (int i = 0; i < 400; ++i) text += "the cat sat on the mat and the dog sat on the log. ";
  const std::vector<int32_t> tokens = tokenizer.encode(text);
  const size_t val_start = tokens.size() * 9 / 10;
  TokenDatasetHeader header;
  header.vocab_size = tokenizer.vocab_size();
  header.tokenizer = tokenizer.name();
  header.eot_token = tokenizer.eot_token();
  header.source = "train tests";
  TokenDatasetWriter writer(path, header);
  writer.append(Split::train, std::span(tokens).first(val_start));
  writer.append(Split::val, std::span(tokens).subspan(val_start));
  writer.commit();
  return path;
}

// A model and run small enough that a step takes about a millisecond.
inline RunConfig tiny_config(const std::filesystem::path& data, const std::filesystem::path& out) {
  RunConfig config;
  config.data = data.string();
  config.out = out.string();
  config.threads = 1;
  config.steps = 12;
  config.n_layer = 1;
  config.n_head = 2;
  config.n_embd = 16;
  config.context = 16;
  config.batch = 4;
  config.grad_accum = 2;
  config.dropout = 0.1;
  config.warmup = 2;
  config.lr = 1e-2;
  config.eval_batches = 2;
  return config;
}

}  // namespace knnformer::testing
