#pragma once
// Building token datasets: the work behind `knnformer prepare`.
//
//   prepare_text_dataset({.inputs = {"corpus/"}, .output = {.path = "data.h5"}});
//   import_bin_dataset({.train_file = "train.bin", .val_file = "val.bin",
//                       .vocab_size = 50257, .output = {.path = "gpt2.h5"}});
//
// Text: the files of a TextCorpus are tokenized in order (byte-level, or by
// a SentencePiece model trained on them first and stored in the file), with
// the end-of-text token between documents. The val split is the final
// val_fraction of the token stream and the train split the rest, as nanoGPT
// splits its text, so the same input gives the same splits as nanoGPT's.
//
// Import: token ids from nanoGPT or llm.c .bin files (data/token_bin_file.h).
// With a val file, each file becomes its split; without, the train file is
// split by val_fraction like text.
//
// Both stream: memory stays bounded whatever the input size. The output is
// written through TokenDatasetWriter, so it appears complete or not at all.
// Every problem is reported as an Error naming the file and what is wrong.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "data/sentencepiece_training.h"
#include "data/token_bin_file.h"
#include "data/token_dataset_writer.h"

namespace knnformer {

// Called now and then during long work: what is being done, and how many
// input bytes of how many are through it.
using ProgressReport = std::function<void(const std::string& phase, uint64_t done_bytes, uint64_t total_bytes)>;

struct DatasetOutput {
  std::filesystem::path path{};
  TokenDatasetWriteOptions write{};
  double val_fraction = 0.1;  // in (0, 1)
};

struct TextPrepareOptions {
  std::vector<std::filesystem::path> inputs{};    // files and folders of text files
  DatasetOutput output{};
  std::string tokenizer = "byte";                 // "byte" or "sentencepiece"
  SentencePieceTrainingOptions sentencepiece{};   // used when tokenizer is "sentencepiece"
  ProgressReport progress{};                      // may be empty
};

struct BinImportOptions {
  std::filesystem::path train_file{};
  std::optional<std::filesystem::path> val_file{};  // without it, val is the end of train_file
  BinFormat format = BinFormat::automatic;
  int64_t vocab_size = 0;
  int64_t eot_token = -1;                         // the ids' end-of-text token, if known
  DatasetOutput output{};
  ProgressReport progress{};
};

struct PrepareSummary {
  uint64_t train_tokens = 0;
  uint64_t val_tokens = 0;
  int64_t vocab_size = 0;
  std::string tokenizer{};
  uint64_t input_bytes = 0;
  size_t input_files = 0;
};

PrepareSummary prepare_text_dataset(const TextPrepareOptions& options);
PrepareSummary import_bin_dataset(const BinImportOptions& options);

}  // namespace knnformer
