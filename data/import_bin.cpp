// import_bin_dataset: nanoGPT / llm.c .bin token files → token dataset (see data/prepare.h).
#include "data/prepare.h"
#include "data/token_bin_file.h"
#include "data/train_val_router.h"

namespace knnformer {
namespace {

std::string format_name(BinFormat format) { return format == BinFormat::llmc ? "llm.c" : "nanoGPT"; }

// Copies every token of `file` to `sink`, reporting progress in input bytes.
template <class Sink>
void copy_tokens(TokenBinFile& file, const ProgressReport& progress, uint64_t& bytes_done, uint64_t total_bytes,
                 Sink&& sink) {
  std::vector<int32_t> block(size_t{1} << 20);
  while (const size_t count = file.read(block)) {
    sink(std::span<const int32_t>(block).first(count));
    bytes_done += 2 * count;
    if (progress) progress("importing", bytes_done, total_bytes);
  }
}

}  // namespace

PrepareSummary import_bin_dataset(const BinImportOptions& options) {
  const std::string output = options.output.path.string();
  if (!options.val_file) check_val_fraction(options.output.val_fraction);
  check_output_path(options.output.path, options.output.write.overwrite);
  require(options.vocab_size >= 1, "--vocab-size is required when importing token files");
  require(options.eot_token >= -1 && options.eot_token < options.vocab_size,
          "--eot-token " + std::to_string(options.eot_token) + " is outside the vocabulary");

  TokenBinFile train(options.train_file, options.format, options.vocab_size);
  std::optional<TokenBinFile> val;
  if (options.val_file) val.emplace(*options.val_file, options.format, options.vocab_size);
  const uint64_t total_bytes = 2 * (train.size() + (val ? val->size() : 0));

  std::string source = format_name(train.format()) + " tokens: " + train.path().string();
  if (val) source += " + " + val->path().string() + " (" + format_name(val->format()) + ")";
  const TokenDatasetHeader header{.vocab_size = options.vocab_size,
                                  .tokenizer = "none",
                                  .eot_token = options.eot_token,
                                  .source = source,
                                  .tokenizer_model = {}};
  TokenDatasetWriter writer(options.output.path, header, options.output.write);
  uint64_t bytes_done = 0;
  if (val) {
    copy_tokens(train, options.progress, bytes_done, total_bytes,
                [&](std::span<const int32_t> tokens) { writer.append(Split::train, tokens); });
    copy_tokens(*val, options.progress, bytes_done, total_bytes,
                [&](std::span<const int32_t> tokens) { writer.append(Split::val, tokens); });
  } else {
    TrainValRouter router(writer, train_tokens_for(train.size(), options.output.val_fraction, output));
    copy_tokens(train, options.progress, bytes_done, total_bytes,
                [&](std::span<const int32_t> tokens) { router.append(tokens); });
  }
  const PrepareSummary summary{.train_tokens = writer.size(Split::train),
                               .val_tokens = writer.size(Split::val),
                               .vocab_size = options.vocab_size,
                               .tokenizer = "none",
                               .input_bytes = total_bytes,
                               .input_files = val ? size_t{2} : size_t{1}};
  writer.commit();
  return summary;
}

}  // namespace knnformer
