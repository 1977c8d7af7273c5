// `knnformer train`: a new run from a config file and flags, or
// `--resume RUN_DIR` to continue one from its newest valid checkpoint.
//
//   knnformer train --config configs/kjv-char.ini --data kjv.h5 --out runs/kjv
//   knnformer train --resume runs/kjv --steps 4000
//
// Every check of the input (options, dataset, run directory) happens before
// anything is written, so a bad input changes nothing on disk.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <iostream>
#include <memory>

#include <boost/program_options.hpp>

#include "core/error.h"
#include "core/parallel.h"
#include "train/atomic_file.h"
#include "train/commands.h"
#include "train/metrics_log.h"
#include "train/progress.h"
#include "train/run_config.h"
#include "train/run_directory.h"
#include "train/trainer.h"
#include "train/training_loop.h"

namespace knnformer {

namespace {

namespace po = boost::program_options;

// What a resumed run may change: how long it runs and how it reports, never
// what it computes. Not fidelity-every, though it only reports: whether it
// is 0 decides metrics.csv's columns, fixed when the run started.
constexpr std::array kResumableOptions = {"steps",      "threads",      "data",          "log-every",
                                          "eval-every", "eval-batches", "checkpoint-every", "keep-checkpoints"};

struct Setting {
  std::string name, value;
};

struct TrainRequest {
  std::string config_file;
  std::string resume;
  bool force = false;
  bool help = false;
  std::vector<Setting> settings;  // the run options given as flags, in order
};

po::options_description command_only_options() {
  po::options_description options("train");
  options.add_options()
      ("config", po::value<std::string>(), "INI file of options (`name = value` lines); flags override it")
      ("resume", po::value<std::string>(), "continue the run in this directory from its newest valid checkpoint")
      ("force", "start a new run in --out even if it holds one (its config, metrics and checkpoints are removed)")
      ("help", "this text");
  return options;
}

TrainRequest parse_request(const Arguments& arguments) {
  po::options_description all;
  all.add(command_only_options()).add(run_options_description());
  po::parsed_options parsed(&all);
  try {
    // Without short options, "-1" after --lr is a value rather than an unknown flag.
    const int style = po::command_line_style::unix_style ^ po::command_line_style::allow_short;
    parsed = po::command_line_parser(arguments).options(all).style(style).run();
  } catch (const po::unknown_option& error) {
    throw Error("unknown option '" + error.get_option_name() + "' (see knnformer train --help)");
  } catch (const po::error& error) {
    throw Error(std::string(error.what()) + " (see knnformer train --help)");
  }
  TrainRequest request;
  for (const auto& option : parsed.options) {
    const std::string& name = option.string_key;
    const std::string value = option.value.empty() ? "" : option.value.front();
    if (name == "config") request.config_file = value;
    else if (name == "resume") request.resume = value;
    else if (name == "force") request.force = true;
    else if (name == "help") request.help = true;
    else request.settings.push_back({name, value});
  }
  return request;
}

void print_help() {
  po::options_description all;
  all.add(command_only_options()).add(run_options_description());
  std::cout << "usage: knnformer train --config FILE.ini [--data FILE.h5] [--out RUN_DIR] [--name value ...]\n"
               "       knnformer train --resume RUN_DIR [--steps N]\n\n"
               "A run keeps config.ini, metrics.csv and checkpoints/ in RUN_DIR. A resumed run continues\n"
               "bit for bit from its newest valid checkpoint; it may change only steps, threads, data and\n"
               "the logging options other than fidelity-every. SIGINT or SIGTERM end a run after its step,\n"
               "with a checkpoint.\n"
            << all;
}

void print_effective_config(const RunConfig& config, const RunDirectory& run) {
  std::cout << "# effective config, saved as " << run.config_file().string() << "\n" << to_ini(config) << "\n";
}

// Trains until the last step or a stop signal; reports how it ended.
int train(Trainer& trainer, const RunDirectory& run) {
  const RunConfig& config = trainer.config();
  Progress progress(std::cout, trainer.step(), config.steps, isatty(STDOUT_FILENO) != 0);
  const RunOutcome outcome = run_training(trainer, run, progress);
  if (outcome.stop_signal != 0) {
    std::cout << "stopped by signal " << outcome.stop_signal << " at step " << outcome.step;
    if (!outcome.last_checkpoint.empty()) std::cout << "; checkpoint " << outcome.last_checkpoint.string();
    std::cout << "\nresume with: knnformer train --resume " << run.root().string() << "\n";
  } else {
    std::cout << "done: step " << outcome.step << ", checkpoint " << outcome.last_checkpoint.string() << "\n";
  }
  return 0;
}

int start_run(const TrainRequest& request) {
  RunConfig config;
  if (!request.config_file.empty()) apply_config_file(config, request.config_file);
  for (const auto& [name, value] : request.settings) apply_setting(config, name, value, "--" + name);
  if (config.lr_decay_steps == 0) config.lr_decay_steps = config.steps;  // the schedule is fixed when a run starts
  config.validate();

  const RunDirectory run(config.out);
  require(!run.holds_run() || request.force,
          config.out + ": already holds a run (continue it with --resume " + config.out +
              ", or start over with --force)");
  set_num_threads(static_cast<int>(config.threads));
  Trainer trainer(config, std::make_shared<const TokenDataset>(config.data));

  if (request.force) run.remove_run();
  run.create();
  write_file_atomically(run.config_file(), to_ini(config));
  print_effective_config(config, run);
  std::cout << "model: " << trainer.model().config().to_string() << ", " << trainer.model().parameter_count()
            << " parameters; " << config.tokens_per_step() << " tokens per step\n";
  return train(trainer, run);
}

// Moves checkpoints newer than the one resumed from (they failed to verify)
// out of the way, so that pruning never prefers them to the new ones.
void set_aside_newer_checkpoints(const RunDirectory& run, int64_t step) {
  for (const auto& path : run.checkpoints()) {
    if (path == run.checkpoint_path(step)) break;
    std::filesystem::path aside = path;
    aside += ".corrupt";
    std::filesystem::rename(path, aside);
    std::cerr << "note: moved " << path.string() << " to " << aside.string() << "\n";
  }
}

int resume_run(const TrainRequest& request) {
  require(request.config_file.empty(),
          "--config cannot be combined with --resume (the run's config.ini is its config)");
  const RunDirectory run(request.resume);
  require(std::filesystem::exists(run.config_file()),
          request.resume + ": not a run directory (no config.ini)");
  RunConfig config;
  apply_config_file(config, run.config_file());
  const RunConfig saved = config;
  for (const auto& [name, value] : request.settings) {
    apply_setting(config, name, value, "--" + name);
    const bool resumable =
        std::find(kResumableOptions.begin(), kResumableOptions.end(), name) != kResumableOptions.end();
    require(resumable || setting_text(config, name) == setting_text(saved, name),
            "--" + name + " " + value + ": a resumed run keeps its config (" + name + " = " +
                setting_text(saved, name) + " in " + run.config_file().string() +
                "); only steps, threads, data and the logging options other than fidelity-every may change");
  }
  config.out = request.resume;
  config.validate();

  set_num_threads(static_cast<int>(config.threads));
  Trainer trainer(config, std::make_shared<const TokenDataset>(config.data));
  const CheckpointInfo info = run.restore_newest([&](const CheckpointReader& reader) { trainer.restore(reader); });
  if (trainer.step() >= config.steps) {
    std::cout << request.resume << ": already at step " << trainer.step() << " of " << config.steps
              << "; nothing to do (--steps N trains further)\n";
    return 0;
  }
  std::cout << "resuming " << request.resume << " from step " << info.step << " (" << info.tokens << " tokens)\n";
  set_aside_newer_checkpoints(run, info.step);
  keep_rows_up_to(run.metrics_file(), info.step);
  write_file_atomically(run.config_file(), to_ini(config));
  print_effective_config(config, run);
  return train(trainer, run);
}

}  // namespace

int run_train(const Arguments& arguments) {
  const TrainRequest request = parse_request(arguments);
  if (request.help) {
    print_help();
    return 0;
  }
  return request.resume.empty() ? start_run(request) : resume_run(request);
}

}  // namespace knnformer
