#include "data/tokenizer_factory.h"

#include "core/error.h"
#include "data/byte_tokenizer.h"
#include "data/sentencepiece_tokenizer.h"
#include "data/token_dataset.h"

namespace knnformer {
namespace {

std::unique_ptr<Tokenizer> byte_tokenizer_for(const TokenDatasetHeader& header, const std::string& file) {
  auto tokenizer = std::make_unique<ByteTokenizer>();
  require(header.vocab_size == tokenizer->vocab_size() && header.eot_token == tokenizer->eot_token(),
          file + ": tokenizer 'byte' expects vocab_size " + std::to_string(tokenizer->vocab_size()) +
              " and eot_token " + std::to_string(tokenizer->eot_token()) + ", the file says " +
              std::to_string(header.vocab_size) + " and " + std::to_string(header.eot_token));
  return tokenizer;
}

std::unique_ptr<Tokenizer> sentencepiece_tokenizer_for(const TokenDatasetHeader& header, const std::string& file) {
  std::unique_ptr<Tokenizer> tokenizer;
  try {
    tokenizer = std::make_unique<SentencePieceTokenizer>(header.tokenizer_model);
  } catch (const Error& error) {
    throw Error(file + ": " + std::string(kTokenizerModelPath) + ": " + error.what());
  }
  require(header.vocab_size == tokenizer->vocab_size(),
          file + ": vocab_size " + std::to_string(header.vocab_size) + " does not match the " +
              std::to_string(tokenizer->vocab_size()) + " pieces of the SentencePiece model");
  require(header.eot_token == tokenizer->eot_token(),
          file + ": eot_token " + std::to_string(header.eot_token) +
              " is not the SentencePiece model's end-of-text piece " + std::to_string(tokenizer->eot_token()));
  return tokenizer;
}

}  // namespace

std::unique_ptr<Tokenizer> tokenizer_for_header(const TokenDatasetHeader& header, const std::string& file) {
  if (header.tokenizer == "byte") return byte_tokenizer_for(header, file);
  if (header.tokenizer == "sentencepiece") return sentencepiece_tokenizer_for(header, file);
  require(header.tokenizer == "none", file + ": unknown tokenizer '" + header.tokenizer +
                                          "' (expected 'byte', 'sentencepiece' or 'none')");
  return nullptr;
}

std::unique_ptr<Tokenizer> load_tokenizer(const TokenDataset& dataset) {
  std::unique_ptr<Tokenizer> tokenizer = tokenizer_for_header(dataset.header(), dataset.path().string());
  require(tokenizer != nullptr, dataset.path().string() +
                                    ": holds imported token ids without a tokenizer (tokenizer 'none'); they "
                                    "cannot be decoded");
  return tokenizer;
}

}  // namespace knnformer
