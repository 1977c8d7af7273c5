// `knnformer train`: a new run from a config file and flags, or
// `--resume RUN_DIR` to continue one from its newest valid checkpoint.
//
//   knnformer train --config configs/kjv-char.ini --data kjv.h5 --out runs/kjv
//   knnformer train --resume runs/kjv --steps 4000
//
// Every check of the input (options, dataset, run directory) happens before
// anything is written, so a bad input changes nothing on disk.
//
// Under mpirun (docs/design.md §8.6) every process runs this command: rank 0
// reads and checks the config and the run directory, and the others take its
// config (with their own --data and --threads when given); every process
// opens the dataset and builds its trainer; only when all have, rank 0 writes
// the run's files, and every process starts from rank 0's state.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include <omp.h>

#include <boost/program_options.hpp>

#include "core/error.h"
#include "core/kernels/bfloat16_tile.h"
#include "core/kernels/simd_target.h"
#include "core/memory_budget.h"
#include "core/parallel.h"
#include "train/atomic_file.h"
#include "train/checkpoint_verification.h"
#include "train/command_line.h"
#include "train/commands.h"
#include "train/memory_estimate.h"
#include "train/metrics_log.h"
#include "train/number_text.h"
#include "train/process_group.h"
#include "train/progress.h"
#include "train/run_config.h"
#include "train/run_directory.h"
#include "train/run_lock.h"
#include "train/saved_model.h"
#include "train/trainer.h"
#include "train/training_loop.h"

namespace knnformer {

namespace {

namespace po = boost::program_options;
namespace fs = std::filesystem;

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
  TrainRequest request;
  for (const auto& option : parse_arguments("train", arguments, all).options) {
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
               "bit for bit from its newest valid checkpoint; it may change only these options:\n  "
            << resumable_options_text()
            << "\nSIGINT or SIGTERM end a run after its step, with a checkpoint. One process at a time may\n"
               "train in a run directory.\n"
            << all;
}

// A flag's setting; its mistakes are the command line's (exit status 2).
void apply_flag(RunConfig& config, const Setting& setting) {
  try {
    apply_setting(config, setting.name, setting.value, "--" + setting.name);
  } catch (const UsageError&) {
    throw;
  } catch (const Error& error) {
    throw UsageError(error.what());
  }
}

// The dataset as an absolute path, so that the run, its config.ini and its
// checkpoints name the same file whatever folder it is resumed from.
std::string absolute_path(const std::string& path) { return fs::absolute(path).lexically_normal().string(); }

// --init-from: the parameters of a checkpoint, or of a run's newest, into a new run's model.
void initialise_from_checkpoint(Trainer& trainer, const std::string& checkpoint_or_run) {
  std::optional<SavedModel> initial;
  try {
    initial.emplace(load_saved_model(checkpoint_or_run));
  } catch (const Error& error) {
    throw Error("--init-from: " + std::string(error.what()));
  }
  trainer.initialise_from(initial->model, initial->checkpoint.string());
  std::cout << "parameters from " << initial->checkpoint.string() << " (step " << initial->info.step << ")\n";
}

void print_effective_config(const RunConfig& config, const RunDirectory& run) {
  std::cout << "# effective config, saved as " << run.config_file().string() << "\n" << to_ini(config) << "\n";
}

// Error unless the model, its optimizer, activations and batches fit in
// this machine's memory (train/memory_estimate.h).
void require_memory_for(const RunConfig& config, const TokenDataset& dataset) {
  const MemoryEstimate estimate = estimate_training_memory(config, dataset.header().vocab_size);
  require_memory(estimate.total(), "the run (" + estimate.breakdown() + ")");
}

// A data-parallel run's cost of summing gradients across processes, per
// step, and the time its processes waited for the slowest (collective: the
// processes' times are gathered on every process, rank 0 prints them).
void report_gradient_sum(const ProcessGroup& group, const RunOutcome& outcome, int64_t steps, double seconds) {
  std::array<double, 2> slowest{outcome.gradient_sum.summing, outcome.gradient_sum.waiting};
  group.maximum(slowest);
  if (!group.is_root() || steps <= 0 || seconds <= 0) return;
  const auto per_step = [&](double total) { return printed("%.1f", 1000.0 * total / static_cast<double>(steps)); };
  const auto share = [&](double total) { return printed("%.1f", 100.0 * total / seconds); };
  std::cout << "gradient sum across " << group.size() << " processes: " << per_step(slowest[0]) << " ms per step ("
            << share(slowest[0]) << "% of training time); waiting for the slowest process: up to "
            << per_step(slowest[1]) << " ms per step (" << share(slowest[1]) << "%)\n";
}

// Trains until the last step or a stop signal; rank 0 reports how it ended.
int train(Trainer& trainer, const RunDirectory& run) {
  const RunConfig& config = trainer.config();
  const ProcessGroup& group = trainer.group();
  ProgressPlan plan{.first_step = trainer.step(), .last_step = config.steps};
  if (config.time_limit > 0) plan.training_seconds_left = config.time_limit - trainer.training_seconds();
  std::ostream discarded(nullptr);
  std::ostream& out = group.is_root() ? std::cout : discarded;
  // mpirun hands its processes a terminal even when its own output goes to a
  // file, so a data-parallel run always writes plain lines.
  Progress progress(out, plan, !group.distributed() && isatty(STDOUT_FILENO) != 0);
  const int64_t first_step = trainer.step();
  const double training_before = trainer.training_seconds();
  const RunOutcome outcome = run_training(trainer, run, progress);
  if (group.distributed())
    report_gradient_sum(group, outcome, outcome.step - first_step, outcome.training_seconds - training_before);
  if (!group.is_root()) return 0;
  if (outcome.stop_signal != 0) {
    std::cout << "stopped by signal " << outcome.stop_signal << " at step " << outcome.step;
    if (!outcome.last_checkpoint.empty()) std::cout << "; checkpoint " << outcome.last_checkpoint.string();
    std::cout << "\nresume with: knnformer train --resume " << run.root().string() << "\n";
  } else if (outcome.out_of_time) {
    std::cout << "done: its time limit (" << printed("%g", config.time_limit) << " s of training) reached at step "
              << outcome.step;
    if (!outcome.last_checkpoint.empty()) std::cout << ", checkpoint " << outcome.last_checkpoint.string();
    std::cout << "\n";
  } else {
    std::cout << "done: step " << outcome.step << ", checkpoint " << outcome.last_checkpoint.string() << "\n";
  }
  return 0;
}

// Error unless the run directory may take a new run: it holds none, or
// --force was given. A run stopped before its first checkpoint is pointed
// to --resume, which starts it again from step 0.
void require_room_for_run(const RunDirectory& run, bool force) {
  if (force || !run.holds_run()) return;
  const std::string out = run.root().string();
  require(run.ever_checkpointed(), out + ": holds a run stopped before its first checkpoint (restart it with "
                                         "--resume " + out + ", or start over with --force)");
  throw Error(out + ": already holds a run (continue it with --resume " + out + ", or start over with --force)");
}

// Whether the config file or a flag set an option.
bool given(const TrainRequest& request, const std::vector<std::string>& file_options, std::string_view name) {
  const bool in_file = std::find(file_options.begin(), file_options.end(), name) != file_options.end();
  return in_file || std::any_of(request.settings.begin(), request.settings.end(),
                                [&](const Setting& setting) { return setting.name == name; });
}

// A new run's config from its file and flags, on rank 0.
RunConfig new_run_config(const TrainRequest& request, const ProcessGroup& group) {
  RunConfig config;
  std::vector<std::string> file_options;
  if (!request.config_file.empty()) file_options = apply_config_file(config, request.config_file);
  for (const Setting& setting : request.settings) apply_flag(config, setting);
  if (config.lr_decay_steps == 0) config.lr_decay_steps = config.steps;  // the schedule is fixed when a run starts
  if (!given(request, file_options, "processes")) config.processes = group.size();
  config.validate();
  config.data = absolute_path(config.data);
  if (!config.init_from.empty()) config.init_from = absolute_path(config.init_from);
  return config;
}

// Rank 0's config on every process, each keeping its own dataset path and
// thread count when its command line gives them (machines may keep the data
// in different places, and have different cores).
RunConfig config_of_root(const ProcessGroup& group, const RunConfig& root_config, const TrainRequest& request) {
  const std::string text = group.broadcast(group.is_root() ? to_ini(root_config) : std::string());
  if (group.is_root()) return root_config;
  RunConfig config = read_run_config(text, "rank 0's config");
  for (const Setting& setting : request.settings)
    if (setting.name == "data" || setting.name == "threads") apply_flag(config, setting);
  config.data = absolute_path(config.data);
  return config;
}

// threads = 0 means every core: under mpirun, every core of this machine
// shared by the processes it runs, so that they do not oversubscribe it.
int threads_per_process(const RunConfig& config, const ProcessGroup& group) {
  if (config.threads > 0) return static_cast<int>(config.threads);
  return std::max(1, omp_get_num_procs() / group.processes_on_this_machine());
}

// Every process's trainer, on its own dataset; Error (naming the process's
// file) when the dataset cannot be read or the run does not fit in memory.
std::unique_ptr<Trainer> make_trainer(const RunConfig& config, const ProcessGroup& group) {
  set_num_threads(threads_per_process(config, group));
  const auto dataset = std::make_shared<const TokenDataset>(config.data);
  require_memory_for(config, *dataset);
  return std::make_unique<Trainer>(config, dataset, group);
}

void print_model(const Trainer& trainer) {
  const RunConfig& config = trainer.config();
  std::cout << "model: " << trainer.model().config().to_string() << ", " << trainer.model().parameter_count()
            << " parameters; " << config.tokens_per_step() << " tokens per step";
  const ProcessGroup& group = trainer.group();
  if (group.distributed())
    std::cout << " on " << group.size() << " processes (" << ProcessGroup::implementation() << ")";
  std::cout << "\n";
  const bool capped = std::getenv(kernels::kSimdVariable) != nullptr;
  std::cout << "SIMD: " << kernels::simd_target_name()
            << (capped ? " (within KNNFORMER_SIMD's cap)\n" : " (the best this CPU runs)\n");
  if (config.precision != Precision::bf16) return;
  if (trainer.precision() != Precision::bf16) {
    std::cout << "precision: fp32, though bf16 was asked: this CPU has no bf16 dot-product instructions "
                 "(oneDNN would emulate them, slower than fp32)\n";
    return;
  }
  if (!kernels::tiles::has_fast_bfloat16_tiles()) {
    std::cout << "precision: bf16 products of the linear layers (exact attention's in fp32: this CPU's bf16 tile "
                 "product would be slower), fp32 sums and everything else\n";
    return;
  }
  std::cout << "precision: bf16 products of the linear layers and of exact attention (its tiles on "
            << kernels::tiles::name(kernels::tiles::bfloat16_tile_engine()) << "), fp32 sums and everything else\n";
}

int start_run(const TrainRequest& request) {
  const ProcessGroup& group = ProcessGroup::world();
  RunConfig config;
  std::optional<RunLock> lock;
  if (group.is_root()) {
    config = new_run_config(request, group);
    const RunDirectory run(config.out);
    require(!fs::exists(run.root()) || fs::is_directory(run.root()),
            config.out + ": is a file, not a run directory (give --out a folder)");
    // Refuse at once while another process writes there; a new folder is
    // locked as soon as it exists, after every check of the input.
    if (fs::exists(run.root())) lock.emplace(run.root());
    require_room_for_run(run, request.force);
  }
  config = config_of_root(group, config, request);
  const RunDirectory run(config.out);
  const std::unique_ptr<Trainer> trainer = make_trainer(config, group);
  if (group.is_root() && !config.init_from.empty()) initialise_from_checkpoint(*trainer, config.init_from);
  group.barrier();  // every process has its data and model: only now are the run's files written

  if (group.is_root()) {
    if (!lock) {
      run.create();
      lock.emplace(run.root());
      require_room_for_run(run, request.force);  // another process may have started there meanwhile
    }
    if (request.force) run.remove_run();
    run.create();
    write_file_atomically(run.config_file(), to_ini(config));
    print_effective_config(config, run);
    print_model(*trainer);
  }
  trainer->share_state_of_root();
  return train(*trainer, run);
}

// The run's config.ini with the flags of a resume applied: only the
// resumable options may change (run_config.h, is_resumable).
RunConfig resumed_config(const TrainRequest& request, const RunDirectory& run, const RunConfig& saved) {
  RunConfig config = saved;
  for (const Setting& setting : request.settings) {
    require_usage(setting.name != "out", "--out cannot be combined with --resume (the run stays in " +
                                             request.resume + ")");
    apply_flag(config, setting);
    require_usage(is_resumable(setting.name) || setting_text(config, setting.name) == setting_text(saved, setting.name),
                  "--" + setting.name + " " + setting.value + ": a resumed run keeps its config (" + setting.name +
                      " = " + setting_text(saved, setting.name) + " in " + run.config_file().string() +
                      "); only " + resumable_options_text() + " may change");
  }
  config.out = request.resume;
  config.data = absolute_path(config.data);
  config.validate();
  return config;
}

// Error when config.ini disagrees with every checkpoint that can be read
// (it was edited by hand): a resume keeps its config, from a file as from
// the command line. A disagreeing checkpoint among agreeing ones is instead
// one that does not belong to the run, set aside when restoring.
void require_config_of_checkpoints(const RunDirectory& run, const RunConfig& saved) {
  std::string disagreement;
  for (const fs::path& path : run.checkpoints()) {
    try {
      const CheckpointReader reader(path);
      const RunConfig written = checkpoint_config(reader);
      const std::vector<std::string_view> differences = fixed_option_differences(written, saved);
      if (differences.empty()) return;
      if (!disagreement.empty()) continue;
      const std::string name(differences.front());
      disagreement = run.config_file().string() + ": " + name + " = " + setting_text(saved, name) +
                     " differs from the run's checkpoints (" + name + " = " + setting_text(written, name) + " in " +
                     path.string() + "); a resumed run keeps its config: change it back, or start a new run";
    } catch (const Error&) {
      continue;  // unreadable: restoring reports it
    }
  }
  require(disagreement.empty(), disagreement);
}

// Restores the newest checkpoint that belongs to the run, setting aside
// each newer one that fails; step 0 when the run stopped before its first
// checkpoint.
CheckpointInfo restore_trainer(Trainer& trainer, const RunDirectory& run, const RunConfig& config) {
  if (!run.ever_checkpointed()) {
    std::cout << run.root().string() << ": no checkpoint yet (the run stopped before its first); "
              << "training again from step 0\n";
    CheckpointInfo fresh;
    fresh.processes = trainer.group().size();
    return fresh;
  }
  return run.restore_newest(
      [&](const CheckpointReader& reader) {
        verify_checkpoint(reader, config);
        trainer.restore(reader);
      },
      [&](const fs::path& failed) { run.set_aside(failed); });
}

// Why a run resumed on another number of processes no longer continues bit for bit.
void warn_of_process_change(const std::string& run, const CheckpointInfo& info, const Trainer& trainer) {
  const int processes = trainer.group().size();
  if (info.processes == processes) return;
  const int64_t micro_batches = trainer.config().micro_batches_per_step();
  std::cerr << "knnformer train: warning: " << run << " was trained by " << info.processes
            << (info.processes == 1 ? " process" : " processes") << " and continues on " << processes
            << ": each takes " << micro_batches / processes << " of a step's " << micro_batches
            << " micro-batches, so the batches stay the same, but their gradients are summed in another grouping, "
               "so the run does not continue bit for bit as it would have\n";
}

// Whether the restored run has steps and time left; says so (rank 0) when not.
bool has_work_left(const Trainer& trainer, const std::string& run) {
  const RunConfig& config = trainer.config();
  const bool root = trainer.group().is_root();
  if (trainer.step() >= config.steps) {
    if (root)
      std::cout << run << ": already at step " << trainer.step() << " of " << config.steps
                << "; nothing to do (--steps N trains further)\n";
    return false;
  }
  if (config.time_limit > 0 && trainer.training_seconds() >= config.time_limit) {
    if (root)
      std::cout << run << ": its " << printed("%.0f", trainer.training_seconds())
                << " s of training already reach its time limit of " << printed("%g", config.time_limit)
                << " s; nothing to do (--time-limit S trains further)\n";
    return false;
  }
  return true;
}

int resume_run(const TrainRequest& request) {
  require_usage(request.config_file.empty(),
                "--config cannot be combined with --resume (the run's config.ini is its config)");
  const ProcessGroup& group = ProcessGroup::world();
  const RunDirectory run(request.resume);
  std::optional<RunLock> lock;
  RunConfig config;
  if (group.is_root()) {
    require(fs::is_directory(run.root()) && fs::exists(run.config_file()),
            request.resume + ": not a run directory (no config.ini)");
    lock.emplace(run.root());
    const RunConfig saved = read_run_config(read_file(run.config_file()), run.config_file().string());
    config = resumed_config(request, run, saved);
    require_config_of_checkpoints(run, saved);
  }
  config = config_of_root(group, config, request);
  const std::unique_ptr<Trainer> trainer = make_trainer(config, group);
  const CheckpointInfo restored = group.is_root() ? restore_trainer(*trainer, run, config) : CheckpointInfo{};
  trainer->share_state_of_root();
  if (!has_work_left(*trainer, request.resume)) return 0;
  group.barrier();  // every process has its data and model: only now are the run's files written

  if (group.is_root()) {
    const int64_t step = trainer->step();
    if (step > 0) {
      std::cout << "resuming " << request.resume << " from step " << step << " (" << trainer->tokens()
                << " tokens)\n";
      warn_of_process_change(request.resume, restored, *trainer);
    }
    keep_rows_up_to(run.metrics_file(), step);
    write_file_atomically(run.config_file(), to_ini(config));
    print_effective_config(config, run);
  }
  return train(*trainer, run);
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
