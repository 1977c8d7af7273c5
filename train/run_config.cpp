#include "train/run_config.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <sstream>
#include <variant>

#include <boost/program_options/parsers.hpp>
#include <boost/program_options/value_semantic.hpp>

#include "core/error.h"
#include "core/parallel.h"
#include "train/atomic_file.h"

namespace knnformer {

namespace {

namespace po = boost::program_options;

// The accepted values of a number: [low, high], or (low, high] when low_open.
struct NumberRange {
  double low = -std::numeric_limits<double>::infinity();
  double high = std::numeric_limits<double>::infinity();
  bool low_open = false;
};

// Where an option's value lives: a member of RunConfig, or of its attention options.
using Field = std::variant<std::string RunConfig::*, uint64_t RunConfig::*, int64_t RunConfig::*, double RunConfig::*,
                           bool RunConfig::*, PositionEncoding RunConfig::*, OptimizerKind RunConfig::*,
                           Precision RunConfig::*,
                           int64_t AttentionOptions::*, AttentionKind AttentionOptions::*,
                           BackwardMode AttentionOptions::*, KeyIndexKind AttentionOptions::*,
                           SampledStart AttentionOptions::*>;

// The field itself, of a RunConfig or a const one.
template <class Config, class Value>
auto& value_of(Config& config, Value RunConfig::*member) {
  return config.*member;
}
template <class Config, class Value>
auto& value_of(Config& config, Value AttentionOptions::*member) {
  return config.attention.*member;
}

// A word that an integer option accepts for one of its values ("auto" for -1).
struct NamedValue {
  std::string_view word;
  int64_t value;
};

struct Option {
  Option(OptionInfo info_, Field field_, NumberRange range_ = {}, std::vector<NamedValue> named_values_ = {})
      : info(info_), field(field_), range(range_), named_values(std::move(named_values_)) {}

  OptionInfo info;
  Field field;
  NumberRange range;                    // numbers only
  std::vector<NamedValue> named_values;  // integers only; written as the word in config.ini
};

constexpr double kInf = std::numeric_limits<double>::infinity();

// The table. Its order is the order of --help and of config.ini.
const std::vector<Option>& table() {
  static const std::vector<Option> options = {
      {{"data", "run", "token dataset file (HDF5, made by knnformer prepare)"}, &RunConfig::data},
      {{"out", "run", "run directory: config.ini, metrics.csv, checkpoints/"}, &RunConfig::out},
      {{"seed", "run", "seed of initialisation, batches and dropout"}, &RunConfig::seed},
      {{"threads", "run", "threads of the kernels, per process (0: every core, shared by the processes on a machine)"},
       &RunConfig::threads,
       {0, static_cast<double>(kMaxThreads)}},
      {{"steps", "run", "optimizer steps of the whole run"}, &RunConfig::steps, {1, kInf}},
      {{"time-limit", "run",
        "seconds of training after which the run stops, evaluated and checkpointed, summed over resumes "
        "(evaluations and checkpoints excluded; 0: no limit)"},
       &RunConfig::time_limit, {0, kInf}},
      {{"init-from", "run",
        "start from the parameters of this checkpoint or run (its newest checkpoint) instead of a random "
        "initialisation; the model's shape must match, but with rotary positions its context may differ; the "
        "optimizer starts afresh"},
       &RunConfig::init_from},
      {{"precision", "run",
        "number format of the linear layers' products: fp32, or bf16 (bfloat16 operands, fp32 sums; weights, "
        "optimizer, attention and loss stay fp32; may change when resuming)"},
       &RunConfig::precision},

      {{"n-layer", "model", "transformer blocks"}, &RunConfig::n_layer, {1, 1024}},
      {{"n-head", "model", "attention heads per block"}, &RunConfig::n_head, {1, 1024}},
      {{"n-embd", "model", "width of the residual stream (a multiple of n-head)"}, &RunConfig::n_embd, {1, 65536}},
      {{"context", "model", "T: tokens per training window and longest sequence the model reads"},
       &RunConfig::context, {1, 1 << 20}},
      {{"dropout", "model", "dropout probability (embeddings, attention and MLP outputs)"}, &RunConfig::dropout,
       {0, 1, false}},
      {{"positions", "model",
        "position encoding: learned (GPT-2's embedding wpe) or rope (rotary: q and k turned by their position)"},
       &RunConfig::positions},

      {{"attention", "attention", "attention mode: exact, knn, gumbel or knn-tail"}, &AttentionOptions::mode},
      {{"attention-backward", "attention", "gradient of attention: auto, exact, sparse or sampled"},
       &AttentionOptions::backward},
      {{"knn-k", "attention",
        "keys per query of the kNN modes (0: ceil(sqrt(T)) to a multiple of 8; auto or -1: the sampling cost "
        "model's k)"},
       &AttentionOptions::knn_k, {-1, kInf}, {{"auto", -1}}},
      {{"samples", "attention", "samples per query (gumbel, sampled backward) or tail keys (knn-tail)"},
       &AttentionOptions::samples, {1, kInf}},
      {{"mom-groups", "attention", "median of this many group means (gumbel)"}, &AttentionOptions::mom_groups,
       {1, kInf}},
      {{"knn-index", "attention",
        "how the kNN modes find keys: exact, clustered or none (gumbel only: every row scored whole)"},
       &AttentionOptions::knn_index},
      {{"clusters", "attention", "clusters of the clustered index (0: about sqrt(T))"}, &AttentionOptions::clusters,
       {0, kInf}},
      {{"probes", "attention", "clusters a query scans (0: the index's default)"}, &AttentionOptions::probes,
       {0, kInf}},
      {{"sampled-start", "attention", "rows the sampled backward starts from: uniform or importance"},
       &AttentionOptions::sampled_start},

      {{"batch", "optimisation", "rows of a micro-batch"}, &RunConfig::batch, {1, 1 << 20}},
      {{"grad-accum", "optimisation", "micro-batches whose gradients add up to one step, on each process"},
       &RunConfig::grad_accum, {1, 1 << 20}},
      {{"processes", "optimisation",
        "processes a step's micro-batches are shared by: a step trains on batch x grad-accum x processes rows "
        "(a new run takes mpirun's process count unless set; any count that divides grad-accum x processes "
        "may resume it)"},
       &RunConfig::processes, {1, 1 << 20}},
      {{"optimizer", "optimisation", "adamw or sgd"}, &RunConfig::optimizer},
      {{"lr", "optimisation", "peak learning rate"}, &RunConfig::lr, {0, 10, true}},
      {{"min-lr", "optimisation", "learning rate at the end of the cosine decay"}, &RunConfig::min_lr, {0, 10}},
      {{"warmup", "optimisation", "steps of linear warm-up"}, &RunConfig::warmup, {0, kInf}},
      {{"lr-decay-steps", "optimisation", "step where the cosine decay reaches min-lr (0: steps, as the run starts)"},
       &RunConfig::lr_decay_steps, {0, kInf}},
      {{"weight-decay", "optimisation", "decoupled weight decay of the linear layers' matrices"},
       &RunConfig::weight_decay, {0, 10}},
      {{"beta1", "optimisation", "AdamW's first-moment decay"}, &RunConfig::beta1, {0, 1}},
      {{"beta2", "optimisation", "AdamW's second-moment decay"}, &RunConfig::beta2, {0, 1}},
      {{"momentum", "optimisation", "SGD's momentum"}, &RunConfig::momentum, {0, 1}},
      {{"nesterov", "optimisation", "SGD with Nesterov momentum (true or false)"}, &RunConfig::nesterov},
      {{"grad-clip", "optimisation", "largest global gradient norm (0: no clipping)"}, &RunConfig::grad_clip,
       {0, kInf}},

      {{"log-every", "logging", "steps between rows of metrics.csv"}, &RunConfig::log_every, {1, kInf}},
      {{"eval-every", "logging", "steps between evaluations on the val split"}, &RunConfig::eval_every,
       {1, kInf}},
      {{"eval-batches", "logging", "val batches of each evaluation (always the same ones)"},
       &RunConfig::eval_batches, {1, 1 << 20}},
      {{"checkpoint-every", "logging", "steps between checkpoints"}, &RunConfig::checkpoint_every, {1, kInf}},
      {{"keep-checkpoints", "logging", "checkpoints kept (the newest)"}, &RunConfig::keep_checkpoints, {1, 1 << 20}},
      {{"fidelity-every", "logging",
        "steps between attention-fidelity figures in metrics.csv: each layer's attention against exact attention on "
        "a fixed val batch (0: off; cannot change on --resume)"},
       &RunConfig::fidelity_every, {0, kInf}},
  };
  return options;
}

const Option& find_option(std::string_view name, const std::string& source) {
  const auto& options = table();
  const auto found = std::find_if(options.begin(), options.end(), [&](const Option& o) { return o.info.name == name; });
  require(found != options.end(), source + ": unknown option '" + std::string(name) + "'");
  return *found;
}

// The shortest text that reads back as the same double: 0.001, not 0.0010000000000000000208.
std::string format_number(double value) {
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value, std::chars_format::general);
  return std::string(text, result.ptr);
}

// A bound as people write it: whole numbers without an exponent.
std::string bound_text(double bound) {
  const bool whole = bound == std::floor(bound) && std::abs(bound) < 1e15;
  return whole ? std::to_string(static_cast<int64_t>(bound)) : format_number(bound);
}

std::string describe(const NumberRange& range) {
  const bool has_high = range.high != kInf;
  if (range.low == -kInf) return has_high ? "at most " + bound_text(range.high) : "a number";
  if (!has_high) return (range.low_open ? "more than " : "at least ") + bound_text(range.low);
  return std::string("in ") + (range.low_open ? "(" : "[") + bound_text(range.low) + ", " +
         bound_text(range.high) + "]";
}

template <class Integer>
Integer parse_integer(const std::string& text, const std::string& where) {
  Integer value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  require(error == std::errc() && end == text.data() + text.size() && !text.empty(),
          where + ": '" + text + "' is not an integer");
  return value;
}

double parse_double(const std::string& text, const std::string& where) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  require(error == std::errc() && end == text.data() + text.size() && !text.empty() && std::isfinite(value),
          where + ": '" + text + "' is not a number");
  return value;
}

void check_range(double value, const NumberRange& range, const std::string& text, const std::string& where) {
  const bool above_low = range.low_open ? value > range.low : value >= range.low;
  require(above_low && value <= range.high,
          where + ": " + text + " is out of range (expected " + describe(range) + ")");
}

}  // namespace

const std::vector<OptionInfo>& run_options() {
  static const std::vector<OptionInfo> infos = [] {
    std::vector<OptionInfo> all;
    for (const auto& option : table()) all.push_back(option.info);
    return all;
  }();
  return infos;
}

void apply_setting(RunConfig& config, std::string_view name, const std::string& value, const std::string& source) {
  const Option& option = find_option(name, source);
  // "--lr" names the option already; a file needs the option's name after it.
  const std::string where = source.starts_with("--") ? source : source + ": " + std::string(name);
  std::visit(
      [&](auto member) {
        auto& field = value_of(config, member);
        using Value = std::remove_cvref_t<decltype(field)>;
        if constexpr (std::is_same_v<Value, std::string>) {
          field = value;
        } else if constexpr (std::is_enum_v<Value>) {
          field = parse_enum<Value>(value, where);
        } else if constexpr (std::is_same_v<Value, bool>) {
          require(value == "true" || value == "false", where + ": '" + value + "' is not true or false");
          field = value == "true";
        } else if constexpr (std::is_same_v<Value, double>) {
          const double number = parse_double(value, where);
          check_range(number, option.range, value, where);
          field = number;
        } else {
          const auto named = std::find_if(option.named_values.begin(), option.named_values.end(),
                                          [&](const NamedValue& candidate) { return candidate.word == value; });
          if (named != option.named_values.end()) {
            field = static_cast<Value>(named->value);
            return;
          }
          const Value number = parse_integer<Value>(value, where);
          check_range(static_cast<double>(number), option.range, value, where);
          field = number;
        }
      },
      option.field);
}

std::string setting_text(const RunConfig& config, std::string_view name) {
  const Option& option = find_option(name, "setting_text");
  return std::visit(
      [&](auto member) -> std::string {
        const auto& field = value_of(config, member);
        using Value = std::remove_cvref_t<decltype(field)>;
        if constexpr (std::is_same_v<Value, std::string>) return field;
        else if constexpr (std::is_enum_v<Value>) return std::string(name_of(field));
        else if constexpr (std::is_same_v<Value, bool>) return field ? "true" : "false";
        else if constexpr (std::is_same_v<Value, double>) return format_number(field);
        else {
          for (const NamedValue& named : option.named_values)
            if (static_cast<int64_t>(field) == named.value) return std::string(named.word);
          return std::to_string(field);
        }
      },
      option.field);
}

po::options_description run_options_description() {
  const RunConfig defaults;
  po::options_description all("options (each also works as `name = value` in the --config file)");
  std::string_view group;
  po::options_description* current = nullptr;
  std::vector<po::options_description> groups;
  groups.reserve(8);
  for (const auto& option : table()) {
    if (option.info.group != group) {
      group = option.info.group;
      groups.emplace_back(std::string(group));
      current = &groups.back();
    }
    const std::string shown_default = setting_text(defaults, option.info.name);
    current->add_options()(std::string(option.info.name).c_str(),
                           po::value<std::string>()->default_value(shown_default, shown_default.empty()
                                                                                     ? "none"
                                                                                     : shown_default),
                           std::string(option.info.help).c_str());
  }
  for (const auto& g : groups) all.add(g);
  return all;
}

std::vector<std::string> apply_config_text(RunConfig& config, const std::string& text, const std::string& source) {
  // The same option names, without defaults: only what the file says is applied.
  po::options_description names;
  for (const auto& option : table())
    names.add_options()(std::string(option.info.name).c_str(), po::value<std::string>());
  // Editors on Windows start UTF-8 files with a byte-order mark, which would
  // otherwise become part of the first option's name.
  constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
  std::istringstream stream(text.starts_with(kByteOrderMark) ? text.substr(kByteOrderMark.size()) : text);
  po::parsed_options parsed(&names);
  try {
    parsed = po::parse_config_file(stream, names, false);
  } catch (const po::unknown_option& error) {
    throw Error(source + ": unknown option '" + error.get_option_name() + "'");
  } catch (const po::error& error) {
    throw Error(source + ": " + error.what());
  }
  std::vector<std::string> seen;
  for (const auto& setting : parsed.options) {
    require(std::find(seen.begin(), seen.end(), setting.string_key) == seen.end(),
            source + ": option '" + setting.string_key + "' is given more than once");
    seen.push_back(setting.string_key);
    require(setting.value.size() == 1, source + ": option '" + setting.string_key + "' needs one value");
    apply_setting(config, setting.string_key, setting.value.front(), source);
  }
  return seen;
}

std::vector<std::string> apply_config_file(RunConfig& config, const std::filesystem::path& path) {
  return apply_config_text(config, read_file(path), path.string());
}

RunConfig read_run_config(const std::string& text, const std::string& source) {
  // Options added after runs were written keep, in those runs, the meaning
  // they had before: no `init-from` (a random start), `processes` = 1 (one
  // process), `precision` = fp32.
  constexpr std::array kLaterOptions = {std::string_view("init-from"), std::string_view("processes"),
                                        std::string_view("precision")};
  RunConfig config;
  const std::vector<std::string> given = apply_config_text(config, text, source);
  require(!given.empty(), source + ": holds no options (a run's config lists them all; the file was emptied)");
  for (const auto& option : table())
    require(std::find(given.begin(), given.end(), option.info.name) != given.end() ||
                std::find(kLaterOptions.begin(), kLaterOptions.end(), option.info.name) != kLaterOptions.end(),
            source + ": option '" + std::string(option.info.name) +
                "' is missing (a run's config lists them all; the file was edited or damaged)");
  return config;
}

namespace {
// out too: a run is resumed from wherever its directory is now.
constexpr std::array kResumableOptions = {"steps",        "time-limit",       "threads",
                                          "data",         "out",              "precision",
                                          "log-every",    "eval-every",       "eval-batches",
                                          "checkpoint-every", "keep-checkpoints"};
}  // namespace

bool is_resumable(std::string_view name) {
  return std::find(kResumableOptions.begin(), kResumableOptions.end(), name) != kResumableOptions.end();
}

std::string resumable_options_text() {
  std::string text;
  for (const char* name : kResumableOptions) text += (text.empty() ? "" : ", ") + std::string(name);
  return text;
}

std::vector<std::string_view> fixed_option_differences(const RunConfig& a, const RunConfig& b) {
  std::vector<std::string_view> names;
  for (const auto& option : table())
    if (!is_resumable(option.info.name) && setting_text(a, option.info.name) != setting_text(b, option.info.name))
      names.push_back(option.info.name);
  return names;
}

std::string to_ini(const RunConfig& config) {
  std::string out;
  std::string_view group;
  for (const auto& option : table()) {
    if (option.info.group != group) {
      group = option.info.group;
      out += std::string(out.empty() ? "" : "\n") + "# " + std::string(group) + "\n";
    }
    out += std::string(option.info.name) + " = " + setting_text(config, option.info.name) + "\n";
  }
  return out;
}

void RunConfig::validate() const {
  require(!data.empty(), "no dataset given (--data FILE.h5, or data = FILE.h5 in the config file)");
  require(!out.empty(), "no run directory given (--out RUN_DIR, or out = RUN_DIR in the config file)");
  require(min_lr <= lr, "min-lr " + format_number(min_lr) + " is larger than lr " + format_number(lr));
  model(1).validate();
}

ModelConfig RunConfig::model(int64_t vocab_size) const {
  ModelConfig model;
  model.vocab_size = vocab_size;
  model.n_layer = n_layer;
  model.n_head = n_head;
  model.n_embd = n_embd;
  model.context = context;
  model.dropout = static_cast<float>(dropout);
  model.positions = positions;
  model.attention = attention;
  return model;
}

LearningRateSchedule RunConfig::schedule() const {
  return {.lr = lr, .min_lr = min_lr, .warmup = warmup, .total_steps = lr_decay_steps > 0 ? lr_decay_steps : steps};
}

}  // namespace knnformer
