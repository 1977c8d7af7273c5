// Data benchmark: prepare throughput (MB/s of text in) on the King James
// Bible, and batch loader throughput (tokens/s out) for B = 8, T = 1024.
//
// The loader must never hold training up: the table shows how long a
// training step may be before the loader's time per batch is 1% of it, and
// how long get() blocks when each batch is followed by a step's worth of
// work (a 5 ms sleep standing in for training), which prefetching hides.
//
// usage: bench_data [corpus.txt] [loader_batches]
//   Without a corpus it runs `bible "Gen1:1-Rev22:21"` (Debian's bible-kjv).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "data/batch_loader.h"
#include "data/prepare.h"

using namespace knnformer;

namespace {

double seconds_of(const auto& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A scratch folder for the corpus and datasets, removed at exit.
struct ScratchFolder {
  ScratchFolder() {
    std::string pattern = (std::filesystem::temp_directory_path() / "knnformer-bench-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~ScratchFolder() { std::filesystem::remove_all(path); }
  std::filesystem::path path;
};

std::filesystem::path kjv_corpus(const ScratchFolder& scratch) {
  const auto path = scratch.path / "kjv.txt";
  const std::string command = "bible \"Gen1:1-Rev22:21\" > " + path.string();
  if (std::system(command.c_str()) != 0 || std::filesystem::file_size(path) == 0) {
    std::fprintf(stderr, "bench_data: `bible` failed; install bible-kjv or pass a corpus file\n");
    std::exit(1);
  }
  return path;
}

void prepare_row(const char* what, const TextPrepareOptions& options, double megabytes) {
  PrepareSummary summary;
  const double seconds = seconds_of([&] { summary = prepare_text_dataset(options); });
  const double tokens = static_cast<double>(summary.train_tokens + summary.val_tokens);
  std::printf("  %-28s %9.1f %12.3g %9.2f\n", what, megabytes / seconds, tokens / seconds, seconds);
}

void loader_row(const char* what, int64_t batches, const BatchShape& shape, auto&& next_batch) {
  const double seconds = seconds_of([&] {
    for (int64_t step = 0; step < batches; ++step) next_batch(step);
  });
  const double tokens = static_cast<double>(batches * shape.rows * shape.context);
  const double ms_per_batch = 1e3 * seconds / static_cast<double>(batches);
  std::printf("  %-28s %9.0f %12.3g %9.3f %14.1f\n", what, batches / seconds, tokens / seconds, ms_per_batch,
              100 * ms_per_batch);
}

}  // namespace

int main(int argc, char** argv) {
  const ScratchFolder scratch;
  const std::filesystem::path corpus = argc > 1 ? std::filesystem::path(argv[1]) : kjv_corpus(scratch);
  const int64_t batches = argc > 2 ? std::atoll(argv[2]) : 2000;
  const double megabytes = static_cast<double>(std::filesystem::file_size(corpus)) * 1e-6;
  std::printf("knnformer data benchmark: %s, %.2f MB\n\n", corpus.c_str(), megabytes);

  std::printf("  %-28s %9s %12s %9s\n", "prepare", "MB/s", "tokens/s", "s");
  const auto byte_dataset = scratch.path / "byte.h5";
  prepare_row("byte", {.inputs = {corpus}, .output = {.path = byte_dataset}}, megabytes);
  prepare_row("byte, deflate 4",
              {.inputs = {corpus}, .output = {.path = scratch.path / "deflate.h5", .write = {.compression_level = 4}}},
              megabytes);
  prepare_row("sentencepiece bpe 4096",
              {.inputs = {corpus},
               .output = {.path = scratch.path / "bpe.h5"},
               .tokenizer = "sentencepiece",
               .sentencepiece = {.vocab_size = 4096}},
              megabytes);

  const auto dataset = std::make_shared<const TokenDataset>(byte_dataset);
  const BatchShape shape{.rows = 8, .context = 1024, .seed = 1};
  std::printf("\n  %-28s %9s %12s %9s %14s\n", "loader, B=8 T=1024", "batches/s", "tokens/s", "ms/batch",
              "step >= (ms)");
  BatchLoader prefetching(dataset, Split::train, shape);
  loader_row("random, get (prefetch)", batches, shape, [&](int64_t step) { return prefetching.get(step); });
  const BatchLoader direct(dataset, Split::train, shape);
  loader_row("random, read (no thread)", batches, shape, [&](int64_t step) { return direct.read(step); });
  BatchLoader sequential(dataset, Split::val, {.rows = 8, .context = 1024, .order = WindowOrder::sequential});
  loader_row("sequential val, get", batches, shape, [&](int64_t step) { return sequential.get(step); });

  // What a training loop sees: the time get() blocks, with work between batches.
  BatchLoader behind_work(dataset, Split::train, shape);
  const int64_t worked_batches = std::min<int64_t>(batches, 200);
  double blocked = 0;
  for (int64_t step = 0; step < worked_batches; ++step) {
    blocked += seconds_of([&] { behind_work.get(step); });
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::printf("  %-28s %9s %12s %9.3f\n", "get after a 5 ms step", "", "", 1e3 * blocked / worked_batches);
  std::printf("\n  step >= (ms): a training step at least this long keeps the loader under 1%% of it\n");
  return 0;
}
