// `knnformer prepare`: builds a token dataset from text files, imports
// nanoGPT / llm.c token files, or generates the documents of a synthetic
// retrieval task (the work itself lives in data/prepare.h).
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <iomanip>
#include <functional>
#include <iostream>
#include <sstream>

#include <boost/program_options.hpp>

#include "core/error.h"
#include "data/prepare.h"
#include "data/sentencepiece_training.h"
#include "train/command_line.h"
#include "train/commands.h"

namespace knnformer {
namespace {

namespace po = boost::program_options;
using Clock = std::chrono::steady_clock;

constexpr int64_t kDefaultSentencePieceVocab = 4096;

// Flags that only one source reads: given with another source, they would be
// ignored without a word, so they are refused instead.
constexpr std::array<const char*, 6> kSyntheticFlags{"context", "segment", "pairs", "symbols", "documents",
                                                     "val-documents"};
constexpr std::array<const char*, 7> kTextAndImportFlags{"tokenizer",     "vocab-size",    "sentencepiece-type",
                                                         "import-bin-val", "import-format", "eot-token",
                                                         "val-fraction"};

po::options_description prepare_options() {
  po::options_description text("prepare from text");
  text.add_options()
      ("input", po::value<std::vector<std::string>>()->multitoken()->value_name("PATH..."),
       "text files, or folders of them (*.txt, *.text, *.md, searched recursively); each file is one document")
      ("tokenizer", po::value<std::string>()->default_value("byte")->value_name("NAME"), "byte or sentencepiece")
      ("vocab-size", po::value<int64_t>()->value_name("N"),
       "vocabulary size: of the SentencePiece model to train (default 4096), or of the imported ids (required)")
      ("sentencepiece-type", po::value<std::string>()->default_value("bpe")->value_name("TYPE"), "bpe or unigram")
      ("seed", po::value<uint64_t>()->default_value(0)->value_name("S"),
       "seed of SentencePiece's sampling of training lines, or of the synthetic documents");
  po::options_description import("import token files");
  import.add_options()
      ("import-bin", po::value<std::string>()->value_name("FILE"), "nanoGPT or llm.c .bin file of train tokens")
      ("import-bin-val", po::value<std::string>()->value_name("FILE"),
       "its val tokens (without it, val is the last --val-fraction of --import-bin)")
      ("import-format", po::value<std::string>()->default_value("auto")->value_name("NAME"),
       "auto (llm.c when the file starts with its magic, else nanoGPT), nanogpt or llmc")
      ("eot-token", po::value<int64_t>()->default_value(-1)->value_name("ID"),
       "end-of-text id of the imported ids (-1: none)");
  const SyntheticTaskOptions task_defaults;
  const SyntheticPrepareOptions synthetic_defaults;
  po::options_description synthetic("synthetic retrieval documents");
  synthetic.add_options()
      ("synthetic", po::value<std::string>()->value_name("TASK"),
       "copy (repeat a segment from far back) or mqar (recall the values of keys from far back)")
      ("context", po::value<int64_t>()->value_name("T"), "the context a model reads: documents hold T + 1 tokens")
      ("segment", po::value<int64_t>()->default_value(task_defaults.segment)->value_name("N"),
       "copy: tokens of the segment to repeat")
      ("pairs", po::value<int64_t>()->default_value(task_defaults.pairs)->value_name("P"),
       "mqar: key-value pairs, each queried once at the end")
      ("symbols", po::value<int64_t>()->default_value(task_defaults.symbols)->value_name("S"),
       "copy: the segment's alphabet; mqar: keys, and as many values")
      ("documents", po::value<int64_t>()->value_name("N"),
       "train documents (default 20000, fewer when they would hold more than 2^26 tokens)")
      ("val-documents", po::value<int64_t>()->default_value(synthetic_defaults.val_documents)->value_name("M"),
       "val documents");
  po::options_description output("output");
  output.add_options()
      ("output", po::value<std::string>()->value_name("FILE"), "the dataset file to write (.h5)")
      ("val-fraction", po::value<double>()->default_value(0.1, "0.1")->value_name("F"),
       "final fraction of the tokens that forms val, in (0, 1)")
      ("compression", po::value<int>()->default_value(0)->value_name("LEVEL"),
       "deflate level 1-9 for the tokens; 0 stores them uncompressed")
      ("force", po::bool_switch(), "replace the output file if it exists")
      ("help", "this text");
  po::options_description all;
  all.add(text).add(import).add(synthetic).add(output);
  return all;
}

// One line on stderr, rewritten in place on a terminal, for work that takes
// more than a couple of seconds: phase, percentage, speed, time left. Speed
// and time left count from the start of the phase (training a SentencePiece
// model reports no progress of its own and would skew them).
class ProgressLine {
 public:
  ProgressLine() : terminal_(isatty(fileno(stderr))) {}
  ~ProgressLine() {
    if (shown_ && terminal_) std::cerr << "\n";
  }

  void operator()(const std::string& phase, uint64_t done, uint64_t total) {
    if (phase != phase_) {
      phase_ = phase;
      phase_start_ = Clock::now();
      phase_done_at_start_ = done;
    }
    const double quiet = terminal_ ? 0.5 : 10.0;
    if (seconds_since(start_) < 2.0 || seconds_since(last_) < quiet) return;
    last_ = Clock::now();
    shown_ = true;
    const double mb = 1e-6, rate = (done - phase_done_at_start_) * mb / seconds_since(phase_start_);
    std::ostringstream line;
    line << std::fixed << std::setprecision(1) << "prepare: " << phase;
    if (total > 0)
      line << " " << 100.0 * done / total << "% (" << done * mb << " of " << total * mb << " MB), " << rate
           << " MB/s, ETA " << (rate > 0 ? (total - done) * mb / rate : 0.0) << " s";
    std::cerr << (terminal_ ? "\r" : "") << line.str() << (terminal_ ? "\033[K" : "\n") << std::flush;
  }

 private:
  static double seconds_since(Clock::time_point then) {
    return std::chrono::duration<double>(Clock::now() - then).count();
  }

  bool terminal_;
  bool shown_ = false;
  std::string phase_;
  uint64_t phase_done_at_start_ = 0;
  Clock::time_point start_ = Clock::now();
  Clock::time_point phase_start_ = start_;
  Clock::time_point last_ = start_;
};

// Given on the command line, as against filled in by its default.
bool given(const po::variables_map& flags, const std::string& name) {
  return flags.count(name) > 0 && !flags[name].defaulted();
}

// Refuses the flags that only a source other than the chosen one reads.
void require_flags_of_source(const po::variables_map& flags, bool synthetic) {
  for (const std::string name : kSyntheticFlags)
    require_usage(synthetic || !given(flags, name), "--" + name + " applies to --synthetic only");
  for (const std::string name : kTextAndImportFlags)
    require_usage(!synthetic || !given(flags, name), "--" + name + " does not apply to --synthetic");
}

DatasetOutput output_of(const po::variables_map& flags) {
  require_usage(flags.count("output"), "--output FILE.h5 is required");
  return DatasetOutput{.path = flags["output"].as<std::string>(),
                       .write = {.overwrite = flags["force"].as<bool>(),
                                 .compression_level = flags["compression"].as<int>()},
                       .val_fraction = flags["val-fraction"].as<double>()};
}

PrepareSummary prepare_text(const po::variables_map& flags, ProgressLine& progress) {
  const std::vector<std::string> inputs = flags["input"].as<std::vector<std::string>>();
  const std::string tokenizer = flags["tokenizer"].as<std::string>();
  require_usage(tokenizer == "byte" || tokenizer == "sentencepiece",
          "--tokenizer '" + tokenizer + "' is unknown (expected byte or sentencepiece)");
  require_usage(tokenizer == "sentencepiece" || !flags.count("vocab-size"),
          "--vocab-size applies to --tokenizer sentencepiece and imports; the byte vocabulary is 257");
  TextPrepareOptions options{.inputs = {inputs.begin(), inputs.end()},
                             .output = output_of(flags),
                             .tokenizer = tokenizer,
                             .sentencepiece = {.model_type = flags["sentencepiece-type"].as<std::string>(),
                                               .seed = flags["seed"].as<uint64_t>()},
                             .progress = std::ref(progress)};
  options.sentencepiece.vocab_size =
      flags.count("vocab-size") ? flags["vocab-size"].as<int64_t>() : kDefaultSentencePieceVocab;
  return prepare_text_dataset(options);
}

// A name outside the table is the command line's mistake (exit status 2).
SyntheticTask synthetic_task(const po::variables_map& flags) {
  try {
    return parse_enum<SyntheticTask>(flags["synthetic"].as<std::string>(), "--synthetic");
  } catch (const Error& error) {
    throw UsageError(error.what());
  }
}

PrepareSummary prepare_synthetic(const po::variables_map& flags, ProgressLine& progress) {
  require_usage(flags.count("context"), "--context T is required with --synthetic (documents hold T + 1 tokens)");
  const SyntheticTask task = synthetic_task(flags);
  require_usage(task == SyntheticTask::copy || !given(flags, "segment"), "--segment applies to --synthetic copy only");
  require_usage(task == SyntheticTask::mqar || !given(flags, "pairs"), "--pairs applies to --synthetic mqar only");
  const DatasetOutput output = output_of(flags);
  SyntheticPrepareOptions options{.task = {.task = task,
                                           .context = flags["context"].as<int64_t>(),
                                           .segment = flags["segment"].as<int64_t>(),
                                           .pairs = flags["pairs"].as<int64_t>(),
                                           .symbols = flags["symbols"].as<int64_t>(),
                                           .seed = flags["seed"].as<uint64_t>()},
                                  .train_documents = std::nullopt,
                                  .val_documents = flags["val-documents"].as<int64_t>(),
                                  .path = output.path,
                                  .write = output.write,
                                  .progress = std::ref(progress)};
  if (flags.count("documents")) options.train_documents = flags["documents"].as<int64_t>();
  return prepare_synthetic_dataset(options);
}

PrepareSummary import_tokens(const po::variables_map& flags, ProgressLine& progress) {
  require_usage(flags.count("vocab-size"), "--vocab-size N is required with --import-bin (ids must lie below it)");
  BinImportOptions options{.train_file = flags["import-bin"].as<std::string>(),
                           .val_file = std::nullopt,
                           .format = parse_enum<BinFormat>(flags["import-format"].as<std::string>(),
                                                             "--import-format"),
                           .vocab_size = flags["vocab-size"].as<int64_t>(),
                           .eot_token = flags["eot-token"].as<int64_t>(),
                           .output = output_of(flags),
                           .progress = std::ref(progress)};
  if (flags.count("import-bin-val")) options.val_file = flags["import-bin-val"].as<std::string>();
  return import_bin_dataset(options);
}

void print_summary(const std::string& output, const PrepareSummary& summary, double seconds) {
  const double megabytes = summary.input_bytes * 1e-6;
  std::cout << std::fixed << std::setprecision(2) << "wrote " << output << ": ";
  if (summary.document_length > 0)
    std::cout << summary.train_tokens / summary.document_length << " train and "
              << summary.val_tokens / summary.document_length << " val documents of " << summary.document_length
              << " tokens in " << seconds << " s\n";
  else
    std::cout << summary.input_files << (summary.input_files == 1 ? " file, " : " files, ") << megabytes << " MB in "
              << seconds << " s (" << (seconds > 0 ? megabytes / seconds : 0.0) << " MB/s)\n";
  std::cout << "  tokenizer " << summary.tokenizer << ", vocab " << summary.vocab_size << "\n"
            << "  train " << summary.train_tokens << " tokens\n"
            << "  val   " << summary.val_tokens << " tokens\n";
}

}  // namespace

int run_prepare(const Arguments& arguments) {
  const po::options_description options = prepare_options();
  const po::variables_map flags = parse_flags("prepare", arguments, options);
  if (flags.count("help")) {
    std::cout << "usage: knnformer prepare --input PATH [PATH...] --output FILE.h5 [options]\n"
                 "       knnformer prepare --import-bin train.bin [--import-bin-val val.bin] --vocab-size N "
                 "--output FILE.h5 [options]\n"
                 "       knnformer prepare --synthetic copy|mqar --context T --output FILE.h5 [options]\n"
              << options;
    return 0;
  }
  const bool text = flags.count("input") > 0, import = flags.count("import-bin") > 0,
             synthetic = flags.count("synthetic") > 0;
  require_usage(text + import + synthetic == 1,
                "give either --input (text), or --import-bin (token files), or --synthetic (a retrieval task): "
                "exactly one");
  require_usage(import || !flags.count("import-bin-val"), "--import-bin-val needs --import-bin");
  require_flags_of_source(flags, synthetic);

  const auto start = Clock::now();
  PrepareSummary summary;
  {
    ProgressLine progress;
    summary = text ? prepare_text(flags, progress)
                   : import ? import_tokens(flags, progress) : prepare_synthetic(flags, progress);
  }
  print_summary(flags["output"].as<std::string>(), summary,
                std::chrono::duration<double>(Clock::now() - start).count());
  return 0;
}

}  // namespace knnformer
