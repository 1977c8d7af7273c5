#include <doctest/doctest.h>

#include <string>

#include "core/error.h"
#include "train/run_config.h"

using namespace knnformer;

namespace {

std::string error_of(const auto& action) {
  try {
    action();
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("run config: a setting converts and checks its value, naming where it came from") {
  RunConfig config;
  apply_setting(config, "lr", "3e-4", "--lr");
  apply_setting(config, "n-layer", "6", "--n-layer");
  apply_setting(config, "optimizer", "sgd", "x.ini");
  apply_setting(config, "nesterov", "true", "x.ini");
  CHECK(config.lr == 3e-4);
  CHECK(config.n_layer == 6);
  CHECK(config.optimizer == OptimizerKind::sgd);
  CHECK(config.nesterov);

  CHECK(error_of([&] { apply_setting(config, "lr", "-1", "--lr"); }) ==
        "--lr: -1 is out of range (expected in (0, 10])");
  CHECK(error_of([&] { apply_setting(config, "batch", "0", "x.ini"); }) ==
        "x.ini: batch: 0 is out of range (expected in [1, 1048576])");
  CHECK(error_of([&] { apply_setting(config, "batch", "eight", "--batch"); }) ==
        "--batch: 'eight' is not an integer");
  CHECK(error_of([&] { apply_setting(config, "lr", "1e-3x", "--lr"); }) == "--lr: '1e-3x' is not a number");
  CHECK(error_of([&] { apply_setting(config, "knn-k", "-2", "--knn-k"); }) ==
        "--knn-k: -2 is out of range (expected at least -1)");
  CHECK(error_of([&] { apply_setting(config, "knn-k", "automatic", "--knn-k"); }) ==
        "--knn-k: 'automatic' is not an integer");
  CHECK(error_of([&] { apply_setting(config, "colour", "red", "x.ini"); }) == "x.ini: unknown option 'colour'");
  CHECK(config.lr == 3e-4);  // failed settings change nothing
}

TEST_CASE("run config: knn-k takes auto, and config.ini says auto") {
  RunConfig config;
  apply_setting(config, "knn-k", "auto", "--knn-k");
  CHECK(config.attention.knn_k == -1);
  CHECK(setting_text(config, "knn-k") == "auto");
  CHECK(to_ini(config).find("knn-k = auto\n") != std::string::npos);
  apply_setting(config, "knn-k", "24", "--knn-k");
  CHECK(setting_text(config, "knn-k") == "24");
}

TEST_CASE("run config: a choice is read by its name into the attention options, and written back by it") {
  RunConfig config;
  apply_setting(config, "attention", "knn-tail", "--attention");
  apply_setting(config, "attention-backward", "sparse", "x.ini");
  apply_setting(config, "knn-index", "clustered", "x.ini");
  apply_setting(config, "sampled-start", "importance", "x.ini");
  apply_setting(config, "positions", "rope", "x.ini");
  CHECK(config.attention.mode == AttentionKind::knn_tail);
  CHECK(config.attention.backward == BackwardMode::sparse);
  CHECK(config.attention.knn_index == KeyIndexKind::clustered);
  CHECK(config.attention.sampled_start == SampledStart::importance);
  CHECK(config.positions == PositionEncoding::rope);
  CHECK(config.model(256).attention.mode == AttentionKind::knn_tail);
  CHECK(setting_text(config, "attention") == "knn-tail");
  CHECK(setting_text(config, "attention-backward") == "sparse");
  CHECK(error_of([&] { apply_setting(config, "attention", "fast", "--attention"); }) ==
        "--attention: 'fast' is not one of: exact, knn, gumbel, knn-tail");
  CHECK(error_of([&] { apply_setting(config, "attention-backward", "automatic", "x.ini"); }) ==
        "x.ini: attention-backward: 'automatic' is not one of: auto, exact, sparse, sampled");
  CHECK(config.attention.mode == AttentionKind::knn_tail);  // failed settings change nothing
}

TEST_CASE("run config: INI text applies every line; unknown and repeated keys are errors naming the file") {
  RunConfig config;
  apply_config_text(config, "# a comment\nsteps = 50\ncontext=64\n", "a.ini");
  CHECK(config.steps == 50);
  CHECK(config.context == 64);
  CHECK(error_of([&] { apply_config_text(config, "steps = 5\nlearning-rate = 1\n", "b.ini"); }) ==
        "b.ini: unknown option 'learning-rate'");
  CHECK(error_of([&] { apply_config_text(config, "steps = 5\nsteps = 6\n", "c.ini"); }) ==
        "c.ini: option 'steps' is given more than once");
  CHECK(error_of([] { RunConfig c; apply_config_file(c, "/nonexistent/x.ini"); }).starts_with("/nonexistent/x.ini"));
}

TEST_CASE("run config: a byte-order mark before the first line is not part of its name") {
  RunConfig config;
  const std::vector<std::string> given = apply_config_text(config, "\xEF\xBB\xBFseed = 7\nsteps = 3\n", "bom.ini");
  CHECK(config.seed == 7);
  CHECK(given == std::vector<std::string>{"seed", "steps"});
}

TEST_CASE("run config: a run's own config must list every option") {
  RunConfig config;
  config.data = "d.h5";
  config.out = "runs/r";
  const std::string ini = to_ini(config);
  CHECK(to_ini(read_run_config(ini, "config.ini")) == ini);
  CHECK(error_of([] { read_run_config("", "config.ini"); }).starts_with("config.ini: holds no options"));
  const size_t seed = ini.find("seed = ");
  const std::string without_seed = ini.substr(0, seed) + ini.substr(ini.find('\n', seed) + 1);
  CHECK(error_of([&] { read_run_config(without_seed, "config.ini"); })
            .starts_with("config.ini: option 'seed' is missing"));
}

TEST_CASE("run config: a run written before init-from, processes and precision existed reads with their old meaning") {
  RunConfig config;
  config.data = "d.h5";
  config.out = "runs/r";
  std::string ini = to_ini(config);
  config.precision = Precision::bf16;
  for (const std::string name : {"init-from = ", "processes = ", "precision = "}) {
    const size_t line = ini.find(name);
    REQUIRE(line != std::string::npos);
    ini = ini.substr(0, line) + ini.substr(ini.find('\n', line) + 1);
  }
  const RunConfig old = read_run_config(ini, "config.ini");
  CHECK(old.init_from.empty());
  CHECK(old.processes == 1);
  CHECK(old.precision == Precision::fp32);
}

TEST_CASE("run config: the differences a resume refuses leave out the resumable options") {
  RunConfig a, b;
  b.steps = a.steps + 100;
  b.threads = 2;
  b.out = "elsewhere";
  b.eval_every = 7;
  CHECK(fixed_option_differences(a, b).empty());
  b.lr = 0.5;
  b.n_embd = 64;
  CHECK(fixed_option_differences(a, b) == std::vector<std::string_view>{"n-embd", "lr"});
  CHECK(is_resumable("steps"));
  CHECK(is_resumable("precision"));  // checkpoints are fp32 whichever precision computed them
  CHECK_FALSE(is_resumable("fidelity-every"));
}

TEST_CASE("run config: to_ini lists every option and reads back to the same config") {
  RunConfig config;
  config.data = "d.h5";
  config.out = "runs/x";
  config.lr = 6e-4;
  config.dropout = 0.2;
  config.seed = 18446744073709551615ull;
  const std::string ini = to_ini(config);
  for (const auto& option : run_options()) {
    std::string line = "\n";
    line.append(option.name).append(" = ");
    CHECK(ini.find(line) != std::string::npos);
  }
  RunConfig read_back;
  apply_config_text(read_back, ini, "saved");
  CHECK(to_ini(read_back) == ini);
  CHECK(read_back.lr == 6e-4);
  CHECK(read_back.seed == config.seed);
  CHECK(ini.find("lr = 0.0006\n") != std::string::npos);
}

TEST_CASE("run config: validate checks the fields together") {
  RunConfig config;
  apply_config_text(config, "data = d.h5\nout = r\n", "test");
  config.validate();
  config.n_embd = 100;
  config.n_head = 3;
  CHECK(error_of([&] { config.validate(); }).find("not divisible") != std::string::npos);
  config.n_head = 4;
  config.min_lr = 1.0;
  CHECK(error_of([&] { config.validate(); }) == "min-lr 1 is larger than lr 0.001");
  config.min_lr = 0;
  config.out = "";
  CHECK(error_of([&] { config.validate(); }).starts_with("no run directory given"));
}

TEST_CASE("run config: the schedule decays over lr-decay-steps, else over steps") {
  RunConfig config;
  config.steps = 100;
  CHECK(config.schedule().total_steps == 100);
  config.lr_decay_steps = 300;
  CHECK(config.schedule().total_steps == 300);
}
