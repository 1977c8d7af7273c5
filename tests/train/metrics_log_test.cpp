#include <doctest/doctest.h>

#include "core/error.h"
#include "train/atomic_file.h"
#include "train/metrics_log.h"
#include "train_test_files.h"

using namespace knnformer;

TEST_CASE("metrics: the header and a row's fixed number formats") {
  CHECK(kMetricsHeader == "step,tokens,train_loss,val_loss,lr,grad_norm,ms_per_step,tokens_per_s");
  CHECK(to_csv({.step = 10, .tokens = 2048, .train_loss = 2.5, .val_loss = std::nullopt, .lr = 3e-4,
                .grad_norm = 0.75, .ms_per_step = 12.345, .tokens_per_s = 165.9}) ==
        "10,2048,2.500000,,3.000000e-04,0.750000,12.35,165.9");
  CHECK(to_csv({.step = 1, .tokens = 1, .train_loss = 1, .val_loss = 1.25, .lr = 1, .grad_norm = 1,
                .ms_per_step = 1, .tokens_per_s = 1})
            .find(",1.250000,") != std::string::npos);
}

TEST_CASE("metrics: a log appends to an existing file; keep_rows_up_to drops later and partial rows") {
  const knnformer::testing::TemporaryFolder folder;
  const auto path = folder.path() / "metrics.csv";
  {
    MetricsLog log(path);
    for (int64_t step : {5, 10}) log.append({.step = step, .tokens = step, .train_loss = 1, .val_loss = std::nullopt,
                                             .lr = 1, .grad_norm = 1, .ms_per_step = 1, .tokens_per_s = 1});
  }
  {
    MetricsLog log(path);
    log.append({.step = 15, .tokens = 15, .train_loss = 1, .val_loss = std::nullopt, .lr = 1, .grad_norm = 1,
                .ms_per_step = 1, .tokens_per_s = 1});
  }
  write_file_atomically(path, read_file(path) + "20,20,1.0");  // a row cut short by a kill
  keep_rows_up_to(path, 10);
  const std::string text = read_file(path);
  CHECK(text.starts_with(std::string(kMetricsHeader) + "\n5,"));
  CHECK(text.find("\n10,") != std::string::npos);
  CHECK(text.find("\n15,") == std::string::npos);
  CHECK(text.ends_with("\n"));
}

TEST_CASE("metrics: extra columns follow the standard ones, an empty cell where a row has no value") {
  const knnformer::testing::TemporaryFolder folder;
  const auto path = folder.path() / "metrics.csv";
  const MetricsRow row{.step = 2, .tokens = 8, .train_loss = 1, .val_loss = std::nullopt, .lr = 1, .grad_norm = 1,
                       .ms_per_step = 1, .tokens_per_s = 1};
  {
    MetricsLog log(path, {"fidelity_out", "fidelity_recall"});
    log.append(row, {0.0123456789, 1.0});
    log.append(row, {std::nullopt, std::nullopt});
    CHECK_THROWS_AS(log.append(row), Error);  // a value (or none) per extra column
  }
  CHECK(read_file(path) == std::string(kMetricsHeader) + ",fidelity_out,fidelity_recall\n" + to_csv(row) +
                               ",0.0123457,1\n" + to_csv(row) + ",,\n");
}

TEST_CASE("metrics: keep_rows_up_to names a line that is not a row, and a file that is not metrics") {
  const knnformer::testing::TemporaryFolder folder;
  const auto path = folder.path() / "metrics.csv";
  write_file_atomically(path, std::string(kMetricsHeader) + "\n5,5,1,,1,1,1,1\nnot a row\n");
  CHECK_THROWS_WITH_AS(keep_rows_up_to(path, 10), doctest::Contains("metrics.csv: line 3 is not a metrics row"),
                       Error);
  write_file_atomically(path, "garbage\n");
  CHECK_THROWS_WITH_AS(keep_rows_up_to(path, 10), doctest::Contains("not a metrics file"), Error);
  CHECK(read_file(path) == "garbage\n");  // left as it was
}
