#pragma once
// Building token datasets: the work behind `knnformer prepare`.
//
//   prepare_text_dataset({.inputs = {"corpus/"}, .output = {.path = "data.h5"}});
//   import_bin_dataset({.train_file = "train.bin", .val_file = "val.bin",
//                       .vocab_size = 50257, .output = {.path = "gpt2.h5"}});
//   prepare_synthetic_dataset({.task = {.task = SyntheticTask::copy, .context = 4096},
//                              .path = "copy.h5"});
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
// Synthetic: documents of a retrieval task (data/synthetic_tasks.h), train
// document n and val document n drawn from the seed alone, stored with their
// loss masks and document_length = T + 1; tokenizer "none", no end of text.
// By default 200 val documents, and 20000 train documents or, at long
// contexts, as many as fit in 2^26 tokens (4095 at T = 16384: about 200 MB
// with their masks).
//
// All stream: memory stays bounded whatever the input size. The output is
// written through TokenDatasetWriter, so it appears complete or not at all.
// Every problem is reported as an Error naming the file (or the flag) and
// what is wrong.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "data/sentencepiece_training.h"
#include "data/synthetic_tasks.h"
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

struct SyntheticPrepareOptions {
  SyntheticTaskOptions task{};
  std::optional<int64_t> train_documents{};  // default_train_documents(task.context) when not given
  int64_t val_documents = 200;
  std::filesystem::path path{};              // the dataset file to write
  TokenDatasetWriteOptions write{};          // loss_mask is set whatever it says
  ProgressReport progress{};
};

struct PrepareSummary {
  uint64_t train_tokens = 0;
  uint64_t val_tokens = 0;
  int64_t vocab_size = 0;
  std::string tokenizer{};
  uint64_t input_bytes = 0;
  size_t input_files = 0;
  int64_t document_length = 0;  // synthetic documents: their tokens; 0 otherwise
};

PrepareSummary prepare_text_dataset(const TextPrepareOptions& options);
PrepareSummary import_bin_dataset(const BinImportOptions& options);
PrepareSummary prepare_synthetic_dataset(const SyntheticPrepareOptions& options);

// The default train documents at a context: 20000, fewer when they would
// hold more than 2^26 tokens, at least 1.
int64_t default_train_documents(int64_t context);

}  // namespace knnformer
