// prepare_synthetic_dataset: documents of a synthetic retrieval task → token dataset (see data/prepare.h).
#include <algorithm>

#include "core/memory_budget.h"
#include "data/prepare.h"

namespace knnformer {
namespace {

constexpr int64_t kDefaultTrainDocuments = 20000;
// About 200 MB of tokens and masks: a long context gets fewer documents.
constexpr int64_t kDefaultTrainTokens = int64_t{1} << 26;

void require_documents(int64_t documents, const std::string& flag) {
  require(documents >= 1, flag + " " + std::to_string(documents) + ": must be at least 1");
}

struct Progress {
  const ProgressReport& report;
  uint64_t document_bytes;  // a document's tokens and mask as stored
  uint64_t total_bytes;
  uint64_t done_bytes = 0;
};

// Appends documents 0 .. documents − 1 of a split.
void write_documents(const SyntheticTaskOptions& task, Split split, int64_t documents, TokenDatasetWriter& writer,
                     Progress& progress) {
  for (int64_t index = 0; index < documents; ++index) {
    const SyntheticDocument document = synthetic_document(task, split, static_cast<uint64_t>(index));
    writer.append(split, document.tokens, document.loss_mask);
    progress.done_bytes += progress.document_bytes;
    if (progress.report) progress.report("generating", progress.done_bytes, progress.total_bytes);
  }
}

}  // namespace

int64_t default_train_documents(int64_t context) {
  return std::clamp(kDefaultTrainTokens / (context + 1), int64_t{1}, kDefaultTrainDocuments);
}

PrepareSummary prepare_synthetic_dataset(const SyntheticPrepareOptions& options) {
  const SyntheticTaskOptions& task = options.task;
  validate(task);
  const int64_t train_documents = options.train_documents.value_or(default_train_documents(task.context));
  require_documents(train_documents, "--documents");
  require_documents(options.val_documents, "--val-documents");
  const int64_t length = task.context + 1;
  require_memory(static_cast<double>(length) * (sizeof(int32_t) + sizeof(uint8_t)),
                 "a document of " + std::to_string(length) + " tokens (--context " + std::to_string(task.context) +
                     ")");

  const TokenDatasetHeader header{.vocab_size = synthetic_vocabulary_size(task),
                                  .tokenizer = "none",
                                  .eot_token = -1,
                                  .source = describe(task),
                                  .tokenizer_model = {},
                                  .document_length = length};
  TokenDatasetWriteOptions write = options.write;
  write.loss_mask = true;
  TokenDatasetWriter writer(options.path, header, write);
  const uint64_t token_bytes = header.vocab_size <= kMaxUint16Vocab ? sizeof(uint16_t) : sizeof(uint32_t);
  const uint64_t document_bytes = static_cast<uint64_t>(length) * (token_bytes + sizeof(uint8_t));
  Progress progress{.report = options.progress,
                    .document_bytes = document_bytes,
                    .total_bytes = document_bytes * static_cast<uint64_t>(train_documents + options.val_documents)};
  write_documents(task, Split::train, train_documents, writer, progress);
  write_documents(task, Split::val, options.val_documents, writer, progress);
  const PrepareSummary summary{.train_tokens = writer.size(Split::train),
                               .val_tokens = writer.size(Split::val),
                               .vocab_size = header.vocab_size,
                               .tokenizer = header.tokenizer,
                               .input_bytes = progress.total_bytes,
                               .input_files = 0,
                               .document_length = length};
  writer.commit();
  return summary;
}

}  // namespace knnformer
