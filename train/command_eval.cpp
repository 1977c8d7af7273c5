// `knnformer eval --checkpoint FILE|RUN_DIR [--data FILE.h5]`: the val loss
// and perplexity of a trained model, on the same fixed val batches as the
// run's evaluations (or on --batches of them). A model with rotary positions
// can be evaluated at another sequence length (--context): they encode only
// the distance between positions, so its weights hold at any length, and
// how well it does there is how far what it learned carries.
#include <cmath>
#include <cstdio>
#include <iostream>

#include <boost/program_options.hpp>

#include "core/error.h"
#include "core/gemm.h"
#include "core/memory_budget.h"
#include "core/parallel.h"
#include "train/command_line.h"
#include "train/commands.h"
#include "train/evaluation.h"
#include "train/memory_estimate.h"
#include "train/number_text.h"
#include "train/saved_model.h"

namespace knnformer {

namespace {

namespace po = boost::program_options;

po::options_description eval_options() {
  po::options_description options("eval");
  options.add_options()
      ("checkpoint", po::value<std::string>(), "checkpoint file, or run directory (its newest valid checkpoint)")
      ("data", po::value<std::string>(), "token dataset (default: the one the run trained on)")
      ("batches", po::value<int64_t>(), "val batches to average (default: the run's eval-batches)")
      ("context", po::value<int64_t>(),
       "sequence length to evaluate at (default: the run's context; another one needs rotary positions)")
      ("attention", po::value<std::string>(),
       "attention mode to evaluate with: exact, knn, gumbel or knn-tail (default: the checkpoint's own)")
      ("help", "this text");
  add_threads_option(options, 0);
  return options;
}

std::optional<std::string> optional_flag(const po::variables_map& flags, const char* name) {
  return flags.count(name) ? std::optional(flags[name].as<std::string>()) : std::nullopt;
}

}  // namespace

int run_eval(const Arguments& arguments) {
  const po::options_description options = eval_options();
  const po::variables_map flags = parse_flags("eval", arguments, options);
  if (flags.count("help")) {
    std::cout << "usage: knnformer eval --checkpoint FILE|RUN_DIR [--data FILE.h5] [--batches N] [--attention MODE]\n"
                 "                      [--context T]\n"
              << options;
    return 0;
  }
  require_usage(flags.count("checkpoint"), "no checkpoint given (--checkpoint FILE|RUN_DIR)");
  set_num_threads(thread_count(flags));
  const std::optional<int64_t> asked_batches =
      flags.count("batches") ? std::optional(flags["batches"].as<int64_t>()) : std::nullopt;
  require_usage(asked_batches.value_or(1) >= 1,
                "--batches " + std::to_string(*asked_batches) + " is out of range (expected at least 1)");
  const std::optional<int64_t> asked_context =
      flags.count("context") ? std::optional(flags["context"].as<int64_t>()) : std::nullopt;
  require_usage(asked_context.value_or(1) >= 1,
                "--context " + std::to_string(*asked_context) + " is out of range (expected at least 1)");
  std::optional<AttentionKind> attention;
  if (const std::optional<std::string> name = optional_flag(flags, "attention")) {
    try {
      attention = parse_enum<AttentionKind>(*name, "--attention");
    } catch (const Error& error) {
      throw UsageError(error.what());  // a mistake in the command line itself
    }
  }
  const SavedModel saved =
      load_saved_model(flags["checkpoint"].as<std::string>(), [&](RunConfig& config, int64_t vocab_size) {
        if (attention) {
          // eval runs no backward pass, so the run's backward mode, which may
          // not suit the mode asked for, goes back to its default.
          config.attention.mode = *attention;
          config.attention.backward = AttentionOptions{}.backward;
        }
        if (asked_context) ask_context(config, *asked_context);
        const MemoryEstimate estimate =
            estimate_evaluation_memory(config, vocab_size, asked_batches.value_or(config.eval_batches));
        require_memory(estimate.total(), "the evaluation (" + estimate.breakdown() + ")");
      });
  if (asked_context) require_context(saved, *asked_context, "--context");
  const int64_t batches = asked_batches.value_or(saved.config.eval_batches);
  const auto dataset = open_dataset(saved, optional_flag(flags, "data"));
  Arena arena;
  const Evaluation result =
      evaluate(saved.model, read_eval_batches(dataset, saved.config.batch, saved.config.context, batches), arena,
               dataset->has_loss_mask(), gemm::usable_precision(saved.config.precision));
  char line[256];
  std::snprintf(line, sizeof line, "val_loss %.6f  perplexity %.4f", result.loss, std::exp(result.loss));
  std::cout << line;
  if (result.accuracy) std::cout << "  val_accuracy " << printed("%.4f", *result.accuracy);
  std::cout << "  (" << batches << " batches of " << saved.config.batch << " x " << saved.config.context
            << " tokens of " << dataset->path().string() << "; " << saved.checkpoint.string() << ", step "
            << saved.info.step << "; attention " << name_of(saved.config.attention.mode) << ")\n";
  return 0;
}

}  // namespace knnformer
