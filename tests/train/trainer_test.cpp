#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <memory>

#include "core/gemm.h"
#include "data/prepare.h"
#include "train/run_directory.h"
#include "train/saved_model.h"
#include "train/trainer.h"
#include "train_test_files.h"

using namespace knnformer;
using knnformer::testing::TemporaryFolder;
using knnformer::testing::tiny_config;

namespace {

std::vector<StepResult> run_steps(Trainer& trainer, int64_t count) {
  std::vector<StepResult> results;
  for (int64_t i = 0; i < count; ++i) results.push_back(trainer.train_step());
  return results;
}

void check_same(const std::vector<StepResult>& a, const std::vector<StepResult>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].step == b[i].step);
    CHECK(a[i].train_loss == b[i].train_loss);  // bit for bit
    CHECK(a[i].grad_norm == b[i].grad_norm);
    CHECK(a[i].lr == b[i].lr);
  }
}

}  // namespace

TEST_CASE("trainer: a tiny model's loss falls, and evaluation is repeatable") {
  const TemporaryFolder folder;
  const auto dataset = std::make_shared<const TokenDataset>(knnformer::testing::write_tiny_dataset(folder.path()));
  Trainer trainer(tiny_config(dataset->path(), folder.path() / "run"), dataset);
  const double before = trainer.evaluate().loss;
  CHECK(before == doctest::Approx(std::log(257.0)).epsilon(0.05));
  const std::vector<StepResult> results = run_steps(trainer, 12);
  CHECK(results.back().step == 12);
  CHECK(trainer.tokens() == 12 * 2 * 4 * 16);
  CHECK(results.back().train_loss < results.front().train_loss - 1.0);
  const double after = trainer.evaluate().loss;
  CHECK(after < before - 1.0);
  CHECK(trainer.evaluate().loss == after);
}

TEST_CASE("trainer: restoring a checkpoint continues bit for bit") {
  const TemporaryFolder folder;
  const auto dataset = std::make_shared<const TokenDataset>(knnformer::testing::write_tiny_dataset(folder.path()));
  RunConfig config = tiny_config(dataset->path(), folder.path() / "run");
  SUBCASE("AdamW") { config.optimizer = OptimizerKind::adamw; }
  SUBCASE("SGD with Nesterov momentum") {
    config.optimizer = OptimizerKind::sgd;
    config.nesterov = true;
  }
  SUBCASE("AdamW with bf16 products") { config.precision = Precision::bf16; }

  Trainer straight(config, dataset);
  const std::vector<StepResult> first = run_steps(straight, 5);
  const std::filesystem::path checkpoint = folder.path() / "step-5.h5";
  straight.save(checkpoint);
  const std::vector<StepResult> rest = run_steps(straight, 5);

  Trainer resumed(config, dataset);
  resumed.restore(CheckpointReader(checkpoint));
  CHECK(resumed.step() == 5);
  check_same(run_steps(resumed, 5), rest);
  CHECK(resumed.evaluate().loss == straight.evaluate().loss);
}

// bf16 rounds every product's operands to 8 significant bits (relative
// error 2⁻⁸ each), so its losses differ from fp32's in the third digit at
// most over a short run; a mistake in the bf16 path (a wrong operand, a lost
// gradient) moves them by far more.
TEST_CASE("trainer: bf16 products track fp32 and differ from it") {
  const TemporaryFolder folder;
  const auto dataset = std::make_shared<const TokenDataset>(knnformer::testing::write_tiny_dataset(folder.path()));
  RunConfig config = tiny_config(dataset->path(), folder.path() / "run");
  Trainer fp32(config, dataset);
  config.precision = Precision::bf16;
  Trainer bf16(config, dataset);
  const std::vector<StepResult> exact = run_steps(fp32, 12), mixed = run_steps(bf16, 12);
  for (size_t i = 0; i < exact.size(); ++i)
    CHECK(mixed[i].train_loss == doctest::Approx(exact[i].train_loss).epsilon(0.01));
  CHECK(bf16.evaluate().loss == doctest::Approx(fp32.evaluate().loss).epsilon(0.01));
  if (gemm::has_bf16_instructions()) {
    CHECK(bf16.precision() == Precision::bf16);
    CHECK(mixed.back().train_loss != exact.back().train_loss);
  } else {
    CHECK(bf16.precision() == Precision::fp32);
  }
}

TEST_CASE("trainer: a step's micro-batches are the same whether counted per process or as processes") {
  // One process training a run of `processes = 2` computes both processes'
  // micro-batches: the same batches, dropout and sums as grad-accum 2.
  const TemporaryFolder folder;
  const auto dataset = std::make_shared<const TokenDataset>(knnformer::testing::write_tiny_dataset(folder.path()));
  RunConfig accumulated = tiny_config(dataset->path(), folder.path() / "a");
  accumulated.grad_accum = 2;
  RunConfig shared = accumulated;
  shared.grad_accum = 1;
  shared.processes = 2;
  REQUIRE(shared.tokens_per_step() == accumulated.tokens_per_step());
  Trainer by_accumulation(accumulated, dataset), by_processes(shared, dataset);
  check_same(run_steps(by_accumulation, 4), run_steps(by_processes, 4));
}

TEST_CASE("checkpoint: info round-trips; a model of another shape cannot load it") {
  const TemporaryFolder folder;
  const auto dataset = std::make_shared<const TokenDataset>(knnformer::testing::write_tiny_dataset(folder.path()));
  RunConfig config = tiny_config(dataset->path(), folder.path() / "run");
  Trainer trainer(config, dataset);
  run_steps(trainer, 2);
  const std::filesystem::path path = folder.path() / "c.h5";
  trainer.save(path);
  CHECK_FALSE(std::filesystem::exists(folder.path() / "c.h5.tmp"));

  const CheckpointReader reader(path);
  CHECK(reader.info().step == 2);
  CHECK(reader.info().tokens == trainer.tokens());
  CHECK(reader.info().seed == config.seed);
  CHECK(reader.info().optimizer_steps == 2);
  CHECK(reader.info().loader_step == 4);
  CHECK(reader.info().vocab_size == 257);
  CHECK(reader.info().config == to_ini(config));

  const SavedModel saved = load_saved_model(path);
  CHECK(saved.model.parameters()[0].tensor.to_vector() == trainer.model().parameters()[0].tensor.to_vector());

  config.n_embd = 32;
  Trainer wider(config, dataset);
  CHECK_THROWS_WITH_AS(wider.restore(reader), doctest::Contains("has shape"), Error);
}

TEST_CASE("trainer: a non-finite loss stops the step before the update, naming the step") {
  const TemporaryFolder folder;
  const auto dataset = std::make_shared<const TokenDataset>(knnformer::testing::write_tiny_dataset(folder.path()));
  Trainer trainer(tiny_config(dataset->path(), folder.path() / "run"), dataset);
  run_steps(trainer, 2);
  // A nan in the final LayerNorm's bias makes every logit, so the loss, nan.
  const ParameterList& parameters = trainer.model().parameters();
  parameters.back().tensor.data()[0] = std::nanf("");
  const std::vector<float> before = parameters.front().tensor.to_vector();
  CHECK_THROWS_WITH_AS(trainer.train_step(), doctest::Contains("step 3: the training loss is "), Error);
  CHECK(trainer.step() == 2);
  CHECK(parameters.front().tensor.to_vector() == before);  // no update of the diverged step
}

TEST_CASE("checkpoint: a flipped byte in the tensor data fails its checksum") {
  const TemporaryFolder folder;
  const auto dataset = std::make_shared<const TokenDataset>(knnformer::testing::write_tiny_dataset(folder.path()));
  const RunConfig config = tiny_config(dataset->path(), folder.path() / "run");
  Trainer trainer(config, dataset);
  const std::filesystem::path path = folder.path() / "c.h5";
  trainer.save(path);
  {
    // The wte matrix (257 × 16 floats) fills most of the middle of the file.
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    const auto size = static_cast<std::streamoff>(std::filesystem::file_size(path));
    file.seekg(size / 2);
    char byte = 0;
    file.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x5a);
    file.seekp(size / 2);
    file.write(&byte, 1);
  }
  Trainer fresh(config, dataset);
  bool failed = false;
  try {
    fresh.restore(CheckpointReader(path));
  } catch (const Error& error) {
    failed = true;
    CHECK(std::string(error.what()).starts_with(path.string()));
  }
  CHECK(failed);
}

TEST_CASE("run directory: newest-first listing, pruning, and restore_newest skipping a corrupt file") {
  const TemporaryFolder folder;
  const RunDirectory run(folder.path() / "run");
  CHECK_FALSE(run.holds_run());
  run.create();
  CHECK_FALSE(run.holds_run());  // an empty folder is not a run yet
  for (const int step : {5, 20, 10}) std::ofstream(run.checkpoint_path(step)) << "not hdf5";
  CHECK(run.holds_run());
  std::ofstream(run.checkpoint_folder() / "step-00000030.h5.tmp") << "half";
  REQUIRE(run.checkpoints().size() == 3);
  CHECK(run.checkpoints()[0] == run.checkpoint_path(20));
  CHECK(run.checkpoints()[2] == run.checkpoint_path(5));
  std::vector<std::filesystem::path> failed;
  CHECK_THROWS_WITH_AS(
      run.restore_newest([](const CheckpointReader&) {}, [&](const auto& path) { failed.push_back(path); }),
      doctest::Contains("no valid checkpoint"), Error);
  CHECK(failed == run.checkpoints());  // each reported, newest first
  run.set_aside(run.checkpoint_path(5));
  CHECK(run.set_aside_checkpoints().size() == 1);
  CHECK(run.checkpoints().size() == 2);
  run.prune_checkpoints(1);
  CHECK(run.checkpoints().size() == 1);
  CHECK(run.ever_checkpointed());
  CHECK_FALSE(std::filesystem::exists(run.checkpoint_folder() / "step-00000030.h5.tmp"));
  run.remove_run();
  CHECK_FALSE(run.holds_run());
}

TEST_CASE("trainer: measuring attention fidelity between steps changes no step, evaluation or parameter") {
  const TemporaryFolder folder;
  const auto dataset = std::make_shared<const TokenDataset>(knnformer::testing::write_tiny_dataset(folder.path()));
  RunConfig config = tiny_config(dataset->path(), folder.path() / "run");
  config.n_layer = 2;
  config.attention.mode = AttentionKind::gumbel;
  config.attention.knn_index = KeyIndexKind::clustered;
  config.attention.samples = 4;
  config.attention.knn_k = 4;

  Trainer plain(config, dataset);
  Trainer probed(config, dataset);
  std::vector<StepResult> probed_results;
  std::vector<ModelFidelity> measured;
  for (int i = 0; i < 6; ++i) {
    probed_results.push_back(probed.train_step());
    measured.push_back(probed.measure_fidelity());
  }
  check_same(run_steps(plain, 6), probed_results);
  CHECK(plain.evaluate().loss == probed.evaluate().loss);
  CHECK(probed.measure_fidelity().layers[1].output_error == measured.back().layers[1].output_error);
  CHECK(measured.front().layers[0].output_error != measured.back().layers[0].output_error);  // the weights moved
  for (size_t p = 0; p < plain.model().parameters().size(); ++p)
    CHECK(plain.model().parameters()[p].tensor.to_vector() == probed.model().parameters()[p].tensor.to_vector());
}

TEST_CASE("trainer: exact attention learns the long-range copy task to every answer (T = 64, a learning test)") {
  // The answers are the second copy of an 8-token segment at the end of each
  // 65-token document: predicting them needs attention 56 positions back.
  const TemporaryFolder folder;
  const std::filesystem::path data = folder.path() / "copy.h5";
  prepare_synthetic_dataset({.task = {.task = SyntheticTask::copy, .context = 64, .segment = 8, .symbols = 16},
                             .train_documents = 2000,
                             .val_documents = 64,
                             .path = data});
  const auto dataset = std::make_shared<const TokenDataset>(data);
  RunConfig config = tiny_config(data, folder.path() / "run");
  config.n_layer = 2;
  config.n_embd = 64;
  config.context = 64;
  config.positions = PositionEncoding::rope;
  config.dropout = 0;
  config.batch = 16;
  config.grad_accum = 1;
  config.lr = 3e-3;
  config.min_lr = 3e-4;
  config.warmup = 20;
  config.steps = 200;
  config.eval_batches = 4;
  Trainer trainer(config, dataset);
  REQUIRE(trainer.measures_accuracy());
  const Evaluation untrained = trainer.evaluate();
  CHECK(*untrained.accuracy < 0.2);  // 16 symbols: chance is 1/16
  run_steps(trainer, config.steps);
  const Evaluation trained = trainer.evaluate();
  MESSAGE("copy task, T = 64: val accuracy ", *untrained.accuracy, " -> ", *trained.accuracy);
  CHECK(*trained.accuracy == 1.0);
  CHECK(trained.loss < 0.05);
}
