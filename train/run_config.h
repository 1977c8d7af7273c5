#pragma once
// RunConfig: everything that defines a training run, and the one option table
// that reads it from the command line and from INI files.
//
//   RunConfig config;                                       // the defaults
//   apply_config_file(config, "configs/kjv-char.ini");      // name = value lines
//   apply_setting(config, "lr", "3e-4", "--lr");            // one --name value
//   config.validate();                                      // the fields together
//   std::cout << to_ini(config);                            // the effective config
//
// Every option has one name (docs/design.md §7.7) that works both as
// `--name value` and as `name = value`; users' scripts and saved runs depend
// on these names. A setting of an unknown name, a value of the wrong type or
// out of range is an Error that names where it came from (the file or the
// flag), the option and what was expected.
//
// The table checks each value alone (its type, range or name); the attention
// options together are checked by the attention layer's own validate().
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <boost/program_options/options_description.hpp>

#include "core/precision.h"
#include "layers/model_config.h"
#include "optim/optimizer.h"
#include "optim/schedule.h"

namespace knnformer {

struct RunConfig {
  // run
  std::string data;            // the token dataset (HDF5)
  std::string out;             // the run directory
  uint64_t seed = 1337;        // initialisation, batches, dropout
  int64_t threads = 0;         // per process; 0: every core (shared by the processes mpirun runs on a machine)
  int64_t steps = 1000;        // optimizer steps of the whole run
  double time_limit = 0;       // seconds of training after which the run stops; 0: none
  std::string init_from;       // a checkpoint (or run) whose parameters a new run starts from; empty: random
  Precision precision = Precision::fp32;  // of the linear layers' products (core/precision.h)

  // model (the vocabulary comes from the data)
  int64_t n_layer = 4;
  int64_t n_head = 4;
  int64_t n_embd = 256;
  int64_t context = 256;       // T
  double dropout = 0.0;
  PositionEncoding positions = ModelConfig{}.positions;
  AttentionOptions attention;  // defaults and meaning: layers/attention/attention_options.h

  // optimisation
  int64_t batch = 8;           // rows of one micro-batch
  int64_t grad_accum = 1;      // micro-batches per optimizer step, on each process
  int64_t processes = 1;       // processes sharing a step (data-parallel, train/process_group.h)
  OptimizerKind optimizer = OptimizerKind::adamw;
  double lr = 1e-3;
  double min_lr = 1e-4;
  int64_t warmup = 100;
  int64_t lr_decay_steps = 0;  // where the cosine reaches min-lr; 0: at `steps` (a new run saves the number,
                               // so extending it with --resume --steps keeps its schedule, then min-lr)
  double weight_decay = 0.1;
  double beta1 = 0.9;
  double beta2 = 0.95;
  double momentum = 0.9;
  bool nesterov = false;
  double grad_clip = 1.0;      // 0: no clipping

  // logging
  int64_t log_every = 10;
  int64_t eval_every = 100;
  int64_t eval_batches = 20;
  int64_t checkpoint_every = 500;
  int64_t keep_checkpoints = 3;
  int64_t fidelity_every = 0;  // steps between attention-fidelity measurements; 0: off (train/model_fidelity.h)

  // Cross-field checks (n-embd divisible by n-head, min-lr <= lr, ...); Error on the first failure.
  void validate() const;

  ModelConfig model(int64_t vocab_size) const;
  LearningRateSchedule schedule() const;
  // Micro-batches of one step over all processes, and the tokens they hold.
  int64_t micro_batches_per_step() const { return grad_accum * processes; }
  int64_t tokens_per_step() const { return batch * micro_batches_per_step() * context; }
};

// One entry of the option table.
struct OptionInfo {
  std::string_view name;
  std::string_view group;
  std::string_view help;
};

// Every option of a RunConfig, in the order of --help and of config.ini.
const std::vector<OptionInfo>& run_options();

// The option table for Boost.Program_options: every option takes one value
// (text, converted by apply_setting) and shows its default in --help.
boost::program_options::options_description run_options_description();

// Sets one option from its text. `source` says where the setting came from
// ("--lr", "configs/x.ini") for the error message.
void apply_setting(RunConfig& config, std::string_view name, const std::string& value, const std::string& source);

// The option's value as text (what config.ini holds).
std::string setting_text(const RunConfig& config, std::string_view name);

// Applies every `name = value` line of an INI file (a UTF-8 byte-order mark
// at its start is skipped) and returns the names applied. Unknown names,
// repeated names and unreadable files are Errors naming the file.
std::vector<std::string> apply_config_file(RunConfig& config, const std::filesystem::path& path);
std::vector<std::string> apply_config_text(RunConfig& config, const std::string& text, const std::string& source);

// A run's own config (RUN_DIR/config.ini, or the copy in a checkpoint), which
// `train` writes with every option: one missing means the text was edited or
// damaged, an Error naming `source` and the option.
RunConfig read_run_config(const std::string& text, const std::string& source);

// Whether the option may differ between a run and its resumption: how long
// it runs, where and how it reports (steps, threads, data, out and the
// logging options but fidelity-every, whose being 0 fixes metrics.csv's
// columns), and the precision of its products, since checkpoints hold fp32
// whichever computed them; never the model, data order or optimizer.
bool is_resumable(std::string_view name);
// The options is_resumable accepts, listed for messages: "steps, time-limit, ...".
std::string resumable_options_text();

// The options a resume keeps (all but the resumable ones) whose values
// differ between a and b, in table order.
std::vector<std::string_view> fixed_option_differences(const RunConfig& a, const RunConfig& b);

// The config as an INI file, grouped, with the options' help as comments.
std::string to_ini(const RunConfig& config);

}  // namespace knnformer
