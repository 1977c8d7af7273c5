#include "data/tokenizer.h"

#include "core/error.h"
#include "data/byte_tokenizer.h"
#include "data/sentencepiece_tokenizer.h"
#include "data/token_dataset.h"

namespace knnformer {

std::unique_ptr<Tokenizer> load_tokenizer(const TokenDataset& dataset) {
  const TokenDatasetHeader& header = dataset.header();
  const std::string name = dataset.path().string();
  if (header.tokenizer == "byte") {
    const ByteTokenizer tokenizer;
    require(header.vocab_size == tokenizer.vocab_size() && header.eot_token == tokenizer.eot_token(),
            name + ": tokenizer 'byte' expects vocab_size " + std::to_string(tokenizer.vocab_size()) +
                " and eot_token " + std::to_string(tokenizer.eot_token()));
    return std::make_unique<ByteTokenizer>();
  }
  if (header.tokenizer == "sentencepiece") {
    try {
      return std::make_unique<SentencePieceTokenizer>(header.tokenizer_model);
    } catch (const Error& error) {
      throw Error(name + ": " + error.what());
    }
  }
  require(header.tokenizer != "none",
          name + ": holds imported token ids without a tokenizer (tokenizer 'none'); they cannot be decoded");
  throw Error(name + ": unknown tokenizer '" + header.tokenizer + "' (expected 'byte' or 'sentencepiece')");
}

}  // namespace knnformer
