// `knnformer inspect FILE.h5`: what a token dataset holds — format, version,
// vocabulary, tokenizer, split sizes, its first tokens as text — and, with
// --context, the batch the loader draws for a step.
#include <iostream>
#include <memory>

#include <boost/program_options.hpp>

#include "core/error.h"
#include "data/batch_loader.h"
#include "data/token_dataset.h"
#include "data/tokenizer_factory.h"
#include "train/command_line.h"
#include "train/commands.h"

namespace knnformer {
namespace {

namespace po = boost::program_options;

po::options_description inspect_options() {
  po::options_description options("options");
  options.add_options()
      ("file", po::value<std::string>()->value_name("FILE"), "the dataset file (may also be given without --file)")
      ("tokens", po::value<int64_t>()->default_value(64)->value_name("N"), "how many of the first tokens to show")
      ("split", po::value<std::string>()->default_value("train")->value_name("NAME"), "the split to show: train or val")
      ("context", po::value<int64_t>()->value_name("T"),
       "show the batch the loader draws for --step, with windows of this length")
      ("batch", po::value<int64_t>()->default_value(4)->value_name("B"), "rows of that batch")
      ("step", po::value<int64_t>()->default_value(0)->value_name("S"), "step of that batch")
      ("seed", po::value<uint64_t>()->default_value(0)->value_name("S"), "seed of that batch's random window positions")
      ("sequential", po::bool_switch(), "walk the split in order (evaluation) instead of random windows")
      ("help", "this text");
  return options;
}

Split parse_split(const std::string& name) {
  if (name == "train") return Split::train;
  require_usage(name == "val", "--split '" + name + "' is unknown (expected train or val)");
  return Split::val;
}

// Text as a quoted one-liner: newlines, tabs, quotes and control bytes escaped.
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '"' || c == '\\') out += std::string("\\") + c;
    else if (byte < 0x20 || byte == 0x7F) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += std::string("\\x") + kHex[byte >> 4] + kHex[byte & 15];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string ids_text(std::span<const int32_t> tokens) {
  std::string out = "[";
  for (size_t i = 0; i < tokens.size(); ++i) out += (i ? ", " : "") + std::to_string(tokens[i]);
  return out + "]";
}

// Shows tokens as ids, and as text when the dataset has a tokenizer.
void show_tokens(std::span<const int32_t> tokens, const Tokenizer* tokenizer, const std::string& indent) {
  std::cout << indent << "ids   " << ids_text(tokens) << "\n";
  if (tokenizer) std::cout << indent << "text  " << quoted(tokenizer->decode(tokens)) << "\n";
}

void show_header(const TokenDataset& dataset) {
  const TokenDatasetHeader& header = dataset.header();
  std::cout << "file        " << dataset.path().string() << "\n"
            << "format      knnformer-tokens, version " << dataset.format_version() << "\n"
            << "vocab       " << header.vocab_size << "\n"
            << "tokenizer   " << header.tokenizer;
  if (header.eot_token >= 0) std::cout << " (end of text: " << header.eot_token << ")";
  if (!header.tokenizer_model.empty()) std::cout << ", model of " << header.tokenizer_model.size() << " bytes";
  std::cout << "\n"
            << "source      " << header.source << "\n"
            << "train       " << dataset.size(Split::train) << " tokens\n"
            << "val         " << dataset.size(Split::val) << " tokens\n";
  if (dataset.document_length() > 0)
    std::cout << "documents   " << dataset.document_length() << " tokens each"
              << (dataset.has_loss_mask() ? ", a loss mask marks their answers" : "") << "\n";
}

void show_batch(const std::shared_ptr<const TokenDataset>& dataset, Split split, const po::variables_map& flags,
                const Tokenizer* tokenizer) {
  const BatchShape shape{.rows = flags["batch"].as<int64_t>(),
                         .context = flags["context"].as<int64_t>(),
                         .seed = flags["seed"].as<uint64_t>(),
                         .order = flags["sequential"].as<bool>() ? WindowOrder::sequential : WindowOrder::random};
  const BatchLoader loader(dataset, split, shape);
  const Batch batch = loader.read(flags["step"].as<int64_t>());
  std::cout << "batch of step " << batch.step << " (" << split_name(split) << ", " << batch.rows << " x "
            << batch.context << ", " << (shape.order == WindowOrder::random ? "random" : "sequential") << ")\n";
  const size_t shown = std::min<size_t>(static_cast<size_t>(batch.context), 16);
  for (int64_t row = 0; row < batch.rows; ++row) {
    const std::span<const int32_t> inputs(batch.inputs.data() + row * batch.context, shown);
    std::cout << "  row " << row << " at " << batch.starts[row] << "\n";
    show_tokens(inputs, tokenizer, "    ");
  }
}

}  // namespace

int run_inspect(const Arguments& arguments) {
  const po::options_description options = inspect_options();
  const po::variables_map flags = parse_flags("inspect", arguments, options, {"file", 1});
  if (flags.count("help")) {
    std::cout << "usage: knnformer inspect FILE.h5 [options]\n" << options;
    return 0;
  }
  require_usage(flags.count("file"), "no dataset file given (knnformer inspect FILE.h5)");
  const auto dataset = std::make_shared<const TokenDataset>(flags["file"].as<std::string>());
  const Split split = parse_split(flags["split"].as<std::string>());
  const std::unique_ptr<Tokenizer> tokenizer =
      dataset->header().tokenizer == "none" ? nullptr : load_tokenizer(*dataset);
  show_header(*dataset);

  const int64_t wanted = flags["tokens"].as<int64_t>();
  require_usage(wanted >= 0, "--tokens must be >= 0");
  std::vector<int32_t> first(std::min<uint64_t>(static_cast<uint64_t>(wanted), dataset->size(split)));
  dataset->read(split, 0, first);
  std::cout << "first " << first.size() << " tokens of " << split_name(split)
            << (tokenizer ? "" : " (imported ids without a tokenizer: not decoded)") << "\n";
  show_tokens(first, tokenizer.get(), "  ");
  if (flags.count("context")) show_batch(dataset, split, flags, tokenizer.get());
  return 0;
}

}  // namespace knnformer
