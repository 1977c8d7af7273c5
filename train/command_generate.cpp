// `knnformer generate --checkpoint FILE|RUN_DIR --prompt TEXT`: text sampled
// from a trained model, printed as it is drawn, decoded with the tokenizer of
// the dataset the run trained on.
#include <iostream>

#include <boost/program_options.hpp>

#include "core/error.h"
#include "core/memory_budget.h"
#include "core/parallel.h"
#include "data/tokenizer_factory.h"
#include "train/command_line.h"
#include "train/commands.h"
#include "train/generation.h"
#include "train/memory_estimate.h"
#include "train/saved_model.h"

namespace knnformer {

namespace {

namespace po = boost::program_options;

po::options_description generate_options() {
  po::options_description options("generate");
  options.add_options()
      ("checkpoint", po::value<std::string>(), "checkpoint file, or run directory (its newest valid checkpoint)")
      ("prompt", po::value<std::string>()->default_value(""), "text to continue (empty: start a new document)")
      ("tokens", po::value<int64_t>()->default_value(256), "tokens to generate")
      ("temperature", po::value<double>()->default_value(0.8), "softmax temperature (0: always the likeliest token)")
      ("top-k", po::value<int64_t>()->default_value(0), "sample among the k likeliest tokens (0: all)")
      ("seed", po::value<uint64_t>()->default_value(0), "seed of the sampling")
      ("data", po::value<std::string>(), "dataset whose tokenizer to use (default: the one the run trained on)")
      ("help", "this text");
  add_threads_option(options, 1);
  return options;
}

std::optional<std::string> optional_flag(const po::variables_map& flags, const char* name) {
  return flags.count(name) ? std::optional(flags[name].as<std::string>()) : std::nullopt;
}

// Prints the text of the tokens drawn so far as it grows. A SentencePiece
// piece may render differently once the next one follows, so the whole
// output is decoded each time and only a grown tail is printed.
class TextStream {
 public:
  explicit TextStream(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}
  void add(int32_t token) {
    tokens_.push_back(token);
    const std::string text = tokenizer_.decode(tokens_);
    if (text.size() <= printed_.size() || text.compare(0, printed_.size(), printed_) != 0) return;
    std::cout << text.substr(printed_.size()) << std::flush;
    printed_ = text;
  }

 private:
  const Tokenizer& tokenizer_;
  std::vector<int32_t> tokens_;
  std::string printed_;
};

}  // namespace

int run_generate(const Arguments& arguments) {
  const po::options_description options = generate_options();
  const po::variables_map flags = parse_flags("generate", arguments, options);
  if (flags.count("help")) {
    std::cout << "usage: knnformer generate --checkpoint FILE|RUN_DIR --prompt TEXT [options]\n" << options;
    return 0;
  }
  require_usage(flags.count("checkpoint"), "no checkpoint given (--checkpoint FILE|RUN_DIR)");
  const SamplingOptions sampling{.temperature = flags["temperature"].as<double>(),
                                 .top_k = flags["top-k"].as<int64_t>(),
                                 .seed = flags["seed"].as<uint64_t>()};
  const int64_t count = flags["tokens"].as<int64_t>();
  require_usage(sampling.temperature >= 0, "--temperature must be at least 0");
  require_usage(sampling.top_k >= 0, "--top-k must be at least 0");
  require_usage(count >= 0, "--tokens must be at least 0");
  set_num_threads(thread_count(flags));

  const SavedModel saved =
      load_saved_model(flags["checkpoint"].as<std::string>(), [](RunConfig& config, int64_t vocab_size) {
        const MemoryEstimate estimate = estimate_generation_memory(config, vocab_size);
        require_memory(estimate.total(), "generation (" + estimate.breakdown() + ")");
      });
  const std::unique_ptr<Tokenizer> tokenizer = load_tokenizer(*open_dataset(saved, optional_flag(flags, "data")));

  const std::string prompt = flags["prompt"].as<std::string>();
  std::vector<int32_t> prompt_tokens = tokenizer->encode(prompt);
  if (prompt_tokens.empty()) {
    require(tokenizer->eot_token() >= 0, "--prompt is empty and the tokenizer has no end-of-text token to start from");
    prompt_tokens.push_back(tokenizer->eot_token());
  }
  std::cout << prompt << std::flush;
  TextStream stream(*tokenizer);
  generate(saved.model, prompt_tokens, count, sampling, [&](int32_t token) { stream.add(token); });
  std::cout << "\n";
  return 0;
}

}  // namespace knnformer
