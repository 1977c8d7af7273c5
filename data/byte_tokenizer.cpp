#include "data/byte_tokenizer.h"

#include "core/error.h"

namespace knnformer {

std::vector<int32_t> ByteTokenizer::encode(std::string_view text) const {
  std::vector<int32_t> tokens(text.size());
  for (size_t i = 0; i < text.size(); ++i) tokens[i] = static_cast<unsigned char>(text[i]);
  return tokens;
}

std::string ByteTokenizer::decode(std::span<const int32_t> tokens) const {
  std::string text;
  text.reserve(tokens.size());
  for (const int32_t token : tokens) {
    require(token >= 0 && token <= kEndOfText,
            "byte tokenizer: token " + std::to_string(token) + " is outside the vocabulary [0, 257)");
    if (token == kEndOfText)
      text += kEndOfTextMarker;
    else
      text += static_cast<char>(token);
  }
  return text;
}

}  // namespace knnformer
