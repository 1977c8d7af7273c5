#include <doctest/doctest.h>

#include <filesystem>
#include <memory>

#include "train/checkpoint_verification.h"
#include "train/trainer.h"
#include "train_test_files.h"

using namespace knnformer;
using knnformer::testing::TemporaryFolder;
using knnformer::testing::tiny_config;

namespace {

// A tiny run after two steps, whose checkpoint is written with its info altered at will.
class TwoStepRun {
 public:
  TwoStepRun()
      : dataset_(std::make_shared<const TokenDataset>(knnformer::testing::write_tiny_dataset(folder_.path()))),
        config_(tiny_config(dataset_->path(), folder_.path() / "run")),
        trainer_(config_, dataset_) {
    trainer_.train_step();
    trainer_.train_step();
  }

  template <class Alter>
  std::filesystem::path checkpoint(const std::string& name, Alter alter) const {
    const std::filesystem::path path = folder_.path() / name;
    CheckpointInfo info{.step = 2,
                        .tokens = trainer_.tokens(),
                        .seed = config_.seed,
                        .optimizer_steps = 2,
                        .loader_seed = config_.seed,
                        .loader_step = 2 * config_.grad_accum,
                        .vocab_size = 257,
                        .data = config_.data,
                        .config = to_ini(config_)};
    alter(info);
    save_checkpoint(path, info, trainer_.model().parameters(), trainer_.model().parameters());
    return path;
  }

 private:
  TemporaryFolder folder_;
  std::shared_ptr<const TokenDataset> dataset_;
  RunConfig config_;
  Trainer trainer_;
};

std::string verification_error(const std::filesystem::path& path, const RunConfig& run_config) {
  try {
    verify_checkpoint(CheckpointReader(path), run_config);
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("checkpoint verification: the step in a file's name") {
  CHECK(checkpoint_name_step("run/checkpoints/step-00000500.h5") == 500);
  CHECK(checkpoint_name_step("step-7.h5") == 7);
  CHECK_FALSE(checkpoint_name_step("step-.h5"));
  CHECK_FALSE(checkpoint_name_step("step-12a.h5"));
  CHECK_FALSE(checkpoint_name_step("step-00000500.h5.tmp"));
  CHECK_FALSE(checkpoint_name_step("model.h5"));
  CHECK_FALSE(checkpoint_name_step("step-99999999999999999999999.h5"));
}

TEST_CASE("checkpoint verification: a checkpoint as a run writes it verifies") {
  const TwoStepRun run;
  const auto path = run.checkpoint("step-00000002.h5", [](CheckpointInfo&) {});
  const CheckpointReader reader(path);
  RunConfig run_config = checkpoint_config(reader);
  CHECK(verification_error(path, run_config).empty());
  run_config.steps += 100;  // resumable options may differ
  run_config.out = "moved";
  CHECK(verification_error(path, run_config).empty());
  run_config.lr = 0.5;
  CHECK(verification_error(path, run_config).find(": written with lr = 0.01, but the run's is 0.5") !=
        std::string::npos);
}

TEST_CASE("checkpoint verification: an altered name or counter is named") {
  const TwoStepRun run;
  const RunConfig run_config = checkpoint_config(CheckpointReader(run.checkpoint("good.h5", [](CheckpointInfo&) {})));
  const auto expect = [&](const std::string& name, auto alter, const std::string& message) {
    const auto path = run.checkpoint(name, alter);
    const std::string error = verification_error(path, run_config);
    CHECK_MESSAGE(error.find(message) != std::string::npos, error);
  };
  expect("step-00000009.h5", [](CheckpointInfo&) {}, "holds step 2, not the step 9 of its name");
  expect("a.h5", [](CheckpointInfo& info) { info.optimizer_steps = 5; }, "optimizer_steps is 5, expected 2");
  expect("b.h5", [](CheckpointInfo& info) { info.tokens = 1; }, "tokens is 1, expected 256");
  expect("c.h5", [](CheckpointInfo& info) { info.loader_step = 3; }, "loader_step is 3, expected 4");
  expect("d.h5", [](CheckpointInfo& info) { info.seed = 99; }, "its seeds (99, ");
  expect("e.h5", [](CheckpointInfo& info) { info.config = "steps = 3\n"; }, "option 'data' is missing");
}
