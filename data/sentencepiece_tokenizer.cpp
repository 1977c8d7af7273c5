#include "data/sentencepiece_tokenizer.h"

#include <algorithm>

#include <sentencepiece_processor.h>

#include "core/error.h"

namespace knnformer {
namespace {

// SentencePiece's messages start with its source location and quote the
// check that failed; for bytes that are no model (a damaged file) that check
// is the protobuf parse, which says more plainly in words.
std::string load_failure(std::string message) {
  if (message.find("ParseFromArray") != std::string::npos)
    return "not a valid SentencePiece model (its bytes do not parse)";
  const size_t location_end = message.find("] ");
  if (message.starts_with("./src/") && location_end != std::string::npos) message.erase(0, location_end + 2);
  return "not a valid SentencePiece model: " + message;
}

}  // namespace

SentencePieceTokenizer::SentencePieceTokenizer(std::string serialized_model)
    : model_(std::move(serialized_model)), processor_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {
  const auto status = processor_->LoadFromSerializedProto(model_);
  if (!status.ok()) throw Error(load_failure(status.message()));
  require(processor_->eos_id() >= 0, "the SentencePiece model has no end-of-text (eos) piece");
  newline_ids_ = encode_line("\n");
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

int64_t SentencePieceTokenizer::vocab_size() const { return processor_->GetPieceSize(); }

int32_t SentencePieceTokenizer::eot_token() const { return processor_->eos_id(); }

std::vector<int> SentencePieceTokenizer::encode_line(std::string_view line) const {
  std::vector<int> ids;
  const auto status = processor_->Encode(line, &ids);
  require(status.ok(), std::string("SentencePiece cannot encode the text: ") + status.message());
  return ids;
}

// Line by line: the model was trained on lines, and SentencePiece's encoder
// slows down on long inputs (a 1 MB piece of text encodes several times
// slower than its lines one by one).
std::vector<int32_t> SentencePieceTokenizer::encode(std::string_view text) const {
  std::vector<int32_t> ids;
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    const std::vector<int> line = encode_line(text.substr(0, newline));
    ids.insert(ids.end(), line.begin(), line.end());
    if (newline == std::string_view::npos) break;
    ids.insert(ids.end(), newline_ids_.begin(), newline_ids_.end());
    text.remove_prefix(newline + 1);
  }
  return ids;
}

std::string SentencePieceTokenizer::decode(std::span<const int32_t> tokens) const {
  const int32_t eot = eot_token();
  std::string text;
  // SentencePiece decodes control pieces such as eos to nothing, so the
  // documents between end-of-text tokens are decoded one by one and joined
  // by the marker.
  auto begin = tokens.begin();
  while (true) {
    const auto end = std::find(begin, tokens.end(), eot);
    std::vector<int> ids;
    for (auto it = begin; it != end; ++it) {
      require(*it >= 0 && *it < vocab_size(), "sentencepiece tokenizer: token " + std::to_string(*it) +
                                                  " is outside the vocabulary [0, " +
                                                  std::to_string(vocab_size()) + ")");
      ids.push_back(*it);
    }
    std::string piece;
    const auto status = processor_->Decode(ids, &piece);
    require(status.ok(), std::string("SentencePiece cannot decode: ") + status.message());
    text += piece;
    if (end == tokens.end()) return text;
    text += kEndOfTextMarker;
    begin = end + 1;
  }
}

}  // namespace knnformer
