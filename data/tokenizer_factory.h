#pragma once
// The tokenizer of a dataset: the one place that knows every kind of
// Tokenizer (tokenizer.h is the interface; byte_tokenizer.h and
// sentencepiece_tokenizer.h are the kinds) and builds the one a dataset's
// header names.
#include <memory>
#include <string>

#include "data/token_format.h"
#include "data/tokenizer.h"

namespace knnformer {

class TokenDataset;

// The tokenizer a dataset header names, checked against the header: a name
// this build knows, and the vocabulary size and end-of-text token that
// tokenizer really has (for SentencePiece, those of the stored model, which
// must load). nullptr for imported ids (tokenizer "none"), which have none.
// Throws Error naming `file` and the mismatch otherwise. TokenDataset calls
// it when it opens a file, so no command accepts a dataset that others refuse.
std::unique_ptr<Tokenizer> tokenizer_for_header(const TokenDatasetHeader& header, const std::string& file);

// The tokenizer a dataset was prepared with. Throws Error naming the file for
// imported ids ("none"), which have no tokenizer to decode them.
std::unique_ptr<Tokenizer> load_tokenizer(const TokenDataset& dataset);

}  // namespace knnformer
