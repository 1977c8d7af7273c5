#include <doctest/doctest.h>

#include "core/error.h"
#include "train/atomic_file.h"
#include "train/compare_metrics.h"
#include "train/compare_run.h"
#include "train_test_files.h"

using namespace knnformer;

namespace {

constexpr const char* kHeader = "step,tokens,train_loss,val_loss,lr,grad_norm,ms_per_step,tokens_per_s\n";

void write_run(const std::filesystem::path& folder, const std::string& config, const std::string& metrics) {
  std::filesystem::create_directories(folder);
  write_file_atomically(folder / "config.ini", config);
  write_file_atomically(folder / "metrics.csv", metrics);
}

}  // namespace

TEST_CASE("compare metrics: rows read back, val loss empty where not evaluated") {
  const MetricsFile metrics = parse_metrics_csv(std::string(kHeader) +
                                                    "10,2048,2.500000,,3.000000e-04,0.750000,12.35,165.9\n"
                                                    "20,4096,2.000000,2.100000,2.000000e-04,0.500000,11.00,170.0\n",
                                                "m.csv");
  REQUIRE(metrics.rows.size() == 2);
  CHECK_FALSE(metrics.cut_short);
  CHECK(metrics.rows[0].step == 10);
  CHECK(metrics.rows[0].tokens == 2048);
  CHECK(metrics.rows[0].train_loss == 2.5);
  CHECK_FALSE(metrics.rows[0].val_loss.has_value());
  CHECK(metrics.rows[0].lr == 3e-4);
  CHECK(metrics.rows[0].grad_norm == 0.75);
  CHECK(metrics.rows[0].ms_per_step == 12.35);
  CHECK(metrics.rows[0].tokens_per_s == 165.9);
  CHECK(metrics.rows[1].val_loss == 2.1);
}

TEST_CASE("compare metrics: columns found by name; columns MetricsRow lacks kept by name") {
  const MetricsFile metrics =
      parse_metrics_csv("tokens,step,val_loss,fidelity,train_loss,lr,grad_norm,ms_per_step,tokens_per_s,recall\n"
                        "2048,10,1.5,0.01,2.5,0.001,1,12,100,\n"
                        "4096,20,,,2.0,0.001,1,12,100,0.75\n",
                        "m.csv");
  REQUIRE(metrics.rows.size() == 2);
  CHECK(metrics.rows[0].step == 10);
  CHECK(metrics.rows[0].tokens == 2048);
  CHECK(metrics.rows[0].val_loss == 1.5);
  CHECK(metrics.rows[0].train_loss == 2.5);
  CHECK(metrics.extra_columns == std::vector<std::string>{"fidelity", "recall"});
  REQUIRE(metrics.extra.size() == 2);
  CHECK(metrics.extra[0] == ExtraValues{0.01, std::nullopt});
  CHECK(metrics.extra[1] == ExtraValues{std::nullopt, 0.75});
  CHECK_THROWS_WITH_AS(parse_metrics_csv("step,tokens,train_loss,val_loss,lr,grad_norm,ms_per_step,tokens_per_s,"
                                         "recall\n10,1,1,,1,1,1,1,high\n",
                                         "m.csv"),
                       "m.csv:2: recall 'high' is not a number", Error);
}

TEST_CASE("compare metrics: a last line cut short is dropped and reported") {
  const MetricsFile metrics = parse_metrics_csv(std::string(kHeader) +
                                                    "10,2048,2.500000,,1e-3,0.75,12.35,165.9\n"
                                                    "20,4096,2.0000",
                                                "m.csv");
  REQUIRE(metrics.rows.size() == 1);
  CHECK(metrics.rows[0].step == 10);
  CHECK(metrics.cut_short);
}

TEST_CASE("compare metrics: malformed files are one-line errors naming the file and line") {
  CHECK_THROWS_WITH_AS(parse_metrics_csv("", "m.csv"), "m.csv: no header line (the run has not logged anything yet?)",
                       Error);
  CHECK_THROWS_WITH_AS(parse_metrics_csv("step,tokens,train_loss\n", "m.csv"),
                       "m.csv: the header has no column 'val_loss' (is this a knnformer metrics file?)", Error);
  CHECK_THROWS_WITH_AS(parse_metrics_csv(std::string(kHeader) + "10,2048,x,,1,1,1,1\n", "m.csv"),
                       "m.csv:2: train_loss 'x' is not a number", Error);
  CHECK_THROWS_WITH_AS(parse_metrics_csv(std::string(kHeader) + "10,2048,1,,1,1,1\n", "m.csv"),
                       "m.csv:2: 7 fields, expected 8 as in the header", Error);
  CHECK_THROWS_WITH_AS(parse_metrics_csv(std::string(kHeader) + "10,1,1,,1,1,1,1\n10,2,1,,1,1,1,1\n", "m.csv"),
                       "m.csv:3: step 10 does not follow step 10", Error);
}

TEST_CASE("compare runs: a run's config and rows; folders that are not runs are errors naming them") {
  const knnformer::testing::TemporaryFolder folder;
  write_run(folder.path() / "a" / "knn", "attention = knn\nsteps = 20\n",
            std::string(kHeader) + "10,100,2,,1,1,5,1\n20,200,1.5,1.6,1,1,5,1\n30,3");
  write_run(folder.path() / "b" / "knn", "", std::string(kHeader) + "10,100,2,,1,1,5,1\n");

  const ComparedRun run = load_compared_run(folder.path() / "a" / "knn" / "");
  CHECK(run.name == "knn");
  CHECK(run.config.attention.mode == AttentionKind::knn);
  CHECK(run.config.steps == 20);
  CHECK(run.rows.size() == 2);
  CHECK(run.metrics_cut_short);

  // Two folders of one name are told apart by their paths.
  const auto runs = load_compared_runs({folder.path() / "a" / "knn", folder.path() / "b" / "knn"});
  CHECK(runs[0].name == (folder.path() / "a" / "knn").string());
  CHECK(runs[1].name == (folder.path() / "b" / "knn").string());

  const auto nowhere = folder.path() / "nowhere";
  CHECK_THROWS_WITH_AS(load_compared_run(nowhere),
                       (nowhere.string() + " is not a run directory (no such folder)").c_str(), Error);
  std::filesystem::remove(folder.path() / "b" / "knn" / "metrics.csv");
  CHECK_THROWS_WITH_AS(load_compared_run(folder.path() / "b" / "knn"),
                       ((folder.path() / "b" / "knn").string() + " is not a run directory (no metrics.csv)").c_str(),
                       Error);
  write_run(folder.path() / "empty", "", kHeader);
  CHECK_THROWS_WITH_AS(load_compared_run(folder.path() / "empty"),
                       ((folder.path() / "empty" / "metrics.csv").string() + " holds no complete row yet").c_str(),
                       Error);
}
