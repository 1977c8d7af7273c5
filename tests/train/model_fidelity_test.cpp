#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "train/model_fidelity.h"
#include "train/trainer.h"
#include "train_test_files.h"

using namespace knnformer;
using attention::AttentionFidelity;
using knnformer::testing::TemporaryFolder;

namespace {

// The tiny dataset, and tiny configs of n_layer layers of the given attention.
struct TinyData {
  TemporaryFolder folder;
  std::shared_ptr<const TokenDataset> dataset =
      std::make_shared<const TokenDataset>(knnformer::testing::write_tiny_dataset(folder.path()));

  RunConfig config(int64_t n_layer, AttentionKind attention, int64_t knn_k, int64_t samples = 32) const {
    RunConfig config = knnformer::testing::tiny_config(dataset->path(), folder.path() / "run");
    config.n_layer = n_layer;
    config.attention.mode = attention;
    config.attention.knn_k = knn_k;
    config.attention.samples = samples;
    return config;
  }
};

}  // namespace

TEST_CASE("model fidelity: knn with k >= T matches exact attention in every layer") {
  const TinyData data;
  Trainer trainer(data.config(3, AttentionKind::knn, 16), data.dataset);  // k = T
  trainer.train_step();
  trainer.train_step();

  const ModelFidelity fidelity = trainer.measure_fidelity();
  REQUIRE(fidelity.layers.size() == 3);
  for (const AttentionFidelity& layer : fidelity.layers) {
    CHECK(layer.output_error <= 1e-5);
    CHECK(layer.query_grad_error <= 1e-5);
    CHECK(layer.key_grad_error <= 1e-5);
    CHECK(layer.value_grad_error <= 1e-5);
    CHECK(layer.recall == 1.0);
    CHECK(layer.tail_work == 0.0);
  }
}

TEST_CASE("model fidelity: gumbel sampling with few samples errs in every layer") {
  const TinyData data;
  Trainer trainer(data.config(2, AttentionKind::gumbel, 2, 2), data.dataset);
  const ModelFidelity fidelity = trainer.measure_fidelity();
  for (const AttentionFidelity& layer : fidelity.layers) {
    CHECK(layer.output_error > 0.01);
    CHECK(layer.query_grad_error > 0.01);
    CHECK(layer.key_grad_error > 0.01);
    CHECK(layer.value_grad_error > 0.01);
  }
}

TEST_CASE("model fidelity: metrics columns, the mean over layers, then each layer grouped by figure") {
  CHECK(fidelity_columns(2) == std::vector<std::string>{"fidelity_out", "fidelity_dq", "fidelity_dk", "fidelity_dv",
                                                        "fidelity_recall", "fidelity_tail_work",
                                                        "fidelity_out.0", "fidelity_out.1",
                                                        "fidelity_dq.0", "fidelity_dq.1",
                                                        "fidelity_dk.0", "fidelity_dk.1",
                                                        "fidelity_dv.0", "fidelity_dv.1",
                                                        "fidelity_recall.0", "fidelity_recall.1",
                                                        "fidelity_tail_work.0", "fidelity_tail_work.1"});

  const ModelFidelity fidelity{.layers = {{.output_error = 0.1, .query_grad_error = 0.2, .key_grad_error = 0.3,
                                           .value_grad_error = 0.4, .recall = 1.0, .tail_work = 2.0},
                                          {.output_error = 0.3, .query_grad_error = 0.4, .key_grad_error = 0.5,
                                           .value_grad_error = 0.6, .recall = 0.5, .tail_work = 4.0}}};
  const ExtraValues cells = fidelity_cells(fidelity, 2);
  REQUIRE(cells.size() == 18);
  const std::vector<double> expected{0.2, 0.3, 0.4, 0.5, 0.75, 3.0, 0.1, 0.3, 0.2, 0.4, 0.3, 0.5, 0.4, 0.6,
                                     1.0, 0.5, 2.0, 4.0};
  for (size_t c = 0; c < cells.size(); ++c) {
    CAPTURE(c);
    REQUIRE(cells[c].has_value());
    CHECK(*cells[c] == doctest::Approx(expected[c]));
  }
  CHECK(fidelity_cells(std::nullopt, 2) == ExtraValues(18));
  CHECK_THROWS_AS(fidelity_cells(fidelity, 3), Error);
}
