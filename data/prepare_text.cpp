// prepare_text_dataset: text files → token dataset (see data/prepare.h).
#include <memory>

#include "data/byte_tokenizer.h"
#include "data/prepare.h"
#include "data/sentencepiece_tokenizer.h"
#include "data/text_corpus.h"
#include "data/token_spool.h"
#include "data/train_val_router.h"

namespace knnformer {
namespace {

// "text, 2 files: a.txt, b.txt" (at most three names), for the dataset's source attribute.
std::string describe(const TextCorpus& corpus) {
  const auto& files = corpus.files();
  std::string text = "text, " + std::to_string(files.size()) + (files.size() == 1 ? " file: " : " files: ");
  for (size_t i = 0; i < std::min<size_t>(3, files.size()); ++i) text += (i ? ", " : "") + files[i].string();
  return files.size() > 3 ? text + ", ..." : text;
}

std::unique_ptr<Tokenizer> make_tokenizer(const TextPrepareOptions& options, const TextCorpus& corpus) {
  if (options.tokenizer == "byte") return std::make_unique<ByteTokenizer>();
  require(options.tokenizer == "sentencepiece",
          "unknown tokenizer '" + options.tokenizer + "' (expected byte or sentencepiece)");
  if (options.progress) options.progress("training sentencepiece", 0, corpus.total_bytes());
  return std::make_unique<SentencePieceTokenizer>(train_sentencepiece(corpus, options.sentencepiece));
}

// Encodes every document in order, the end-of-text token between documents,
// handing the ids to emit block by block. Returns how many were emitted.
template <class Emit>
uint64_t encode_corpus(const TextCorpus& corpus, const Tokenizer& tokenizer, const ProgressReport& progress,
                       Emit&& emit) {
  const int32_t eot = tokenizer.eot_token();
  uint64_t emitted = 0, bytes_done = 0;
  for (size_t file = 0; file < corpus.files().size(); ++file) {
    if (file > 0) {
      emit(std::span<const int32_t>(&eot, 1));
      ++emitted;
    }
    read_in_line_chunks(corpus.files()[file], [&](std::string_view text) {
      const std::vector<int32_t> tokens = tokenizer.encode(text);
      emit(std::span<const int32_t>(tokens));
      emitted += tokens.size();
      bytes_done += text.size();
      if (progress) progress("tokenizing", bytes_done, corpus.total_bytes());
    });
  }
  return emitted;
}

// Bytes: the stream's length is known from the file sizes, so tokens go
// straight to their split.
void write_bytes(const TextCorpus& corpus, const Tokenizer& tokenizer, const TextPrepareOptions& options,
                 TokenDatasetWriter& writer) {
  const uint64_t expected = corpus.total_bytes() + corpus.files().size() - 1;
  const std::string output = options.output.path.string();
  TrainValRouter router(writer, train_tokens_for(expected, options.output.val_fraction, output));
  const uint64_t emitted = encode_corpus(corpus, tokenizer, options.progress,
                                         [&](std::span<const int32_t> tokens) { router.append(tokens); });
  require(emitted == expected, output + ": an input file changed size while it was read");
}

// Subwords: the length is known only after encoding, so the ids wait in a
// spool on disk until the split point is known.
void write_spooled(const TextCorpus& corpus, const Tokenizer& tokenizer, const TextPrepareOptions& options,
                   TokenDatasetWriter& writer) {
  const std::string output = options.output.path.string();
  TokenSpool spool(output + ".tokens.tmp");
  encode_corpus(corpus, tokenizer, options.progress, [&](std::span<const int32_t> tokens) { spool.append(tokens); });
  TrainValRouter router(writer, train_tokens_for(spool.size(), options.output.val_fraction, output));
  spool.rewind();
  std::vector<int32_t> block(size_t{1} << 20);
  while (const size_t count = spool.read(block)) router.append(std::span<const int32_t>(block).first(count));
}

}  // namespace

PrepareSummary prepare_text_dataset(const TextPrepareOptions& options) {
  // Cheap checks first: a bad flag or output should not cost a tokenizer's training.
  check_val_fraction(options.output.val_fraction);
  check_output_path(options.output.path, options.output.write.overwrite);
  const TextCorpus corpus(options.inputs);
  const std::unique_ptr<Tokenizer> tokenizer = make_tokenizer(options, corpus);

  const TokenDatasetHeader header{.vocab_size = tokenizer->vocab_size(),
                                  .tokenizer = tokenizer->name(),
                                  .eot_token = tokenizer->eot_token(),
                                  .source = describe(corpus),
                                  .tokenizer_model = tokenizer->serialized_model()};
  TokenDatasetWriter writer(options.output.path, header, options.output.write);
  if (tokenizer->name() == "byte")
    write_bytes(corpus, *tokenizer, options, writer);
  else
    write_spooled(corpus, *tokenizer, options, writer);
  const PrepareSummary summary{.train_tokens = writer.size(Split::train),
                               .val_tokens = writer.size(Split::val),
                               .vocab_size = tokenizer->vocab_size(),
                               .tokenizer = tokenizer->name(),
                               .input_bytes = corpus.total_bytes(),
                               .input_files = corpus.files().size()};
  writer.commit();
  return summary;
}

}  // namespace knnformer
