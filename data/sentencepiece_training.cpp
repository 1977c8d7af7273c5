#include "data/sentencepiece_training.h"

#include <fstream>
#include <unordered_map>

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include "core/error.h"
#include "data/tokenizer.h"

namespace knnformer {
namespace {

// Hands SentencePiece the lines of every corpus file in order, reading one
// line at a time, so training never needs the corpus in memory.
class CorpusLines final : public sentencepiece::SentenceIterator {
 public:
  explicit CorpusLines(const TextCorpus& corpus) : files_(corpus.files()) { Next(); }

  bool done() const override { return done_; }
  const std::string& value() const override { return line_; }
  sentencepiece::util::Status status() const override { return status_; }

  void Next() override {
    while (!std::getline(stream_, line_)) {
      if (stream_.bad()) return fail(files_[next_file_ - 1].string() + ": read failed");
      if (next_file_ == files_.size()) {
        done_ = true;
        return;
      }
      stream_ = std::ifstream(files_[next_file_], std::ios::binary);
      if (!stream_) return fail(files_[next_file_].string() + ": cannot read");
      ++next_file_;
    }
  }

 private:
  void fail(const std::string& message) {
    status_ = sentencepiece::util::Status(sentencepiece::util::StatusCode::kInternal, message);
    done_ = true;
  }

  const std::vector<std::filesystem::path>& files_;
  size_t next_file_ = 0;
  std::ifstream stream_;
  std::string line_;
  bool done_ = false;
  sentencepiece::util::Status status_;
};

// SentencePiece's messages start with its source location; the one users
// meet most (too small a vocabulary for the corpus's characters) gets a
// plain explanation.
std::string explain_failure(std::string message, const std::string& vocab) {
  const size_t location_end = message.find("] ");
  if (message.starts_with("./src/") && location_end != std::string::npos) message.erase(0, location_end + 2);
  if (message.find("required_chars") != std::string::npos)
    return "--vocab-size " + vocab + " is too small for SentencePiece on this corpus: its characters, 256 byte " +
           "pieces, <unk> and end of text need more (" + message + ")";
  return "SentencePiece training failed (--vocab-size " + vocab + "): " + message;
}

}  // namespace

std::string train_sentencepiece(const TextCorpus& corpus, const SentencePieceTrainingOptions& options) {
  const std::string vocab = std::to_string(options.vocab_size);
  require(options.vocab_size >= kMinSentencePieceVocab,
          "--vocab-size " + vocab + " is too small for SentencePiece (needs at least " +
              std::to_string(kMinSentencePieceVocab) + ": 256 byte pieces, <unk>, end of text and learned pieces)");
  require(options.model_type == "bpe" || options.model_type == "unigram",
          "unknown SentencePiece model type '" + options.model_type + "' (expected bpe or unigram)");

  sentencepiece::SetRandomGeneratorSeed(static_cast<unsigned>(options.seed));
  const std::unordered_map<std::string, std::string> settings = {
      {"model_type", options.model_type},
      {"vocab_size", vocab},
      // A small corpus may not support the vocabulary asked for: take fewer pieces rather than fail.
      {"hard_vocab_limit", "false"},
      {"input_sentence_size", std::to_string(options.max_sentences)},
      {"shuffle_input_sentence", "true"},
      // Exact round trips: bytes for unknown characters, text kept as it is.
      {"byte_fallback", "true"},
      {"character_coverage", "0.9995"},
      {"normalization_rule_name", "identity"},
      {"add_dummy_prefix", "false"},
      {"remove_extra_whitespaces", "false"},
      {"split_digits", "true"},
      // Ids: 0 = <unk>, 1 = end of text; no bos or padding pieces.
      {"unk_id", "0"},
      {"eos_id", "1"},
      {"eos_piece", std::string(kEndOfTextMarker)},
      {"bos_id", "-1"},
      {"pad_id", "-1"},
      {"minloglevel", "2"},
  };
  CorpusLines lines(corpus);
  std::string model;
  const auto status = sentencepiece::SentencePieceTrainer::Train(settings, &lines, &model);
  if (!status.ok()) throw Error(explain_failure(status.message(), vocab));
  return model;
}

}  // namespace knnformer
