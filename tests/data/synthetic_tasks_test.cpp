// Synthetic retrieval tasks: where copy's segment, filler, marker and repeat
// lie and what they hold, mqar's pairs, filler and queries, the loss masks
// that count the answers alone, determinism in (seed, split, index), and the
// refusal of options that cannot make a document.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <span>

#include "data/synthetic_tasks.h"

namespace knnformer {
namespace {

std::vector<uint8_t> mask_with_ones_at(size_t length, std::initializer_list<size_t> ones) {
  std::vector<uint8_t> mask(length, 0);
  for (const size_t position : ones) mask[position] = 1;
  return mask;
}

bool all_within(std::span<const int32_t> tokens, int32_t first, int32_t end) {
  return std::all_of(tokens.begin(), tokens.end(), [&](int32_t token) { return token >= first && token < end; });
}

TEST_CASE("synthetic tasks: the task names round trip through their table") {
  CHECK(enum_names(SyntheticTask{}).size() == 2);
  for (const SyntheticTask task : {SyntheticTask::copy, SyntheticTask::mqar})
    CHECK(parse_enum<SyntheticTask>(name_of(task), "--synthetic") == task);
  CHECK(name_of(SyntheticTask::mqar) == "mqar");
  CHECK_THROWS_WITH_AS(parse_enum<SyntheticTask>("recall", "--synthetic"),
                       doctest::Contains("--synthetic: 'recall' is not one of: copy, mqar"), Error);
}

TEST_CASE("synthetic copy: segment, filler, marker, then the segment again at the end; only the repeat counts") {
  // T = 20, N = 4, S = 5: symbols 0-4, filler 5-20, marker 21; documents of 21 tokens.
  const SyntheticTaskOptions options{.task = SyntheticTask::copy, .context = 20, .segment = 4, .symbols = 5, .seed = 3};
  validate(options);
  CHECK(synthetic_vocabulary_size(options) == 22);
  std::set<int32_t> seen_symbols, seen_filler;
  for (uint64_t index = 0; index < 50; ++index) {
    const SyntheticDocument document = synthetic_document(options, Split::train, index);
    const std::span<const int32_t> tokens(document.tokens);
    REQUIRE(tokens.size() == 21);
    CHECK(all_within(tokens.first(4), 0, 5));
    CHECK(all_within(tokens.subspan(4, 12), 5, 21));
    CHECK(tokens[16] == 21);
    CHECK(std::equal(tokens.begin(), tokens.begin() + 4, tokens.begin() + 17));
    CHECK(document.loss_mask == mask_with_ones_at(21, {17, 18, 19, 20}));
    seen_symbols.insert(tokens.begin(), tokens.begin() + 4);
    seen_filler.insert(tokens.begin() + 4, tokens.begin() + 16);
  }
  CHECK(seen_symbols.size() == 5);   // every symbol is drawn
  CHECK(seen_filler.size() == 16);   // and every filler token
}

TEST_CASE("synthetic copy: a segment that fills the context leaves no filler") {
  const SyntheticTaskOptions options{.task = SyntheticTask::copy, .context = 6, .segment = 3, .symbols = 2};
  validate(options);
  const SyntheticDocument document = synthetic_document(options, Split::val, 0);
  REQUIRE(document.tokens.size() == 7);
  CHECK(document.tokens[3] == 2 + kFillerSymbols);  // the marker
  CHECK(std::equal(document.tokens.begin(), document.tokens.begin() + 3, document.tokens.begin() + 4));
  CHECK(document.loss_mask == mask_with_ones_at(7, {4, 5, 6}));
}

TEST_CASE("synthetic mqar: distinct keys with values, filler, then every key queried once at the end") {
  // T = 23, P = 3, S = 4: keys 0-3, values 4-7, filler 8-23; documents of 24 tokens.
  const SyntheticTaskOptions options{.task = SyntheticTask::mqar, .context = 23, .pairs = 3, .symbols = 4, .seed = 5};
  validate(options);
  CHECK(synthetic_vocabulary_size(options) == 24);
  std::set<std::vector<int32_t>> query_orders;
  for (uint64_t index = 0; index < 60; ++index) {
    const SyntheticDocument document = synthetic_document(options, Split::train, index);
    const std::vector<int32_t>& tokens = document.tokens;
    REQUIRE(tokens.size() == 24);
    const std::vector<int32_t> keys = {tokens[0], tokens[2], tokens[4]};
    CHECK(all_within(keys, 0, 4));
    CHECK(std::set<int32_t>(keys.begin(), keys.end()).size() == 3);
    CHECK(all_within(std::vector<int32_t>{tokens[1], tokens[3], tokens[5]}, 4, 8));
    CHECK(all_within(std::span(tokens).subspan(6, 12), 8, 24));
    std::vector<int32_t> queried;
    for (size_t query = 18; query < 24; query += 2) {
      const auto pair = std::find(keys.begin(), keys.end(), tokens[query]) - keys.begin();
      REQUIRE(pair < 3);
      CHECK(tokens[query + 1] == tokens[2 * pair + 1]);  // the key's value
      queried.push_back(static_cast<int32_t>(pair));
    }
    CHECK(std::set<int32_t>(queried.begin(), queried.end()).size() == 3);  // each key once
    query_orders.insert(queried);
    CHECK(document.loss_mask == mask_with_ones_at(24, {19, 21, 23}));
  }
  CHECK(query_orders.size() == 6);  // all 3! orders of the queries occur in 60 documents
}

TEST_CASE("synthetic mqar: as many symbols as pairs makes the keys a permutation of every key") {
  const SyntheticTaskOptions options{.task = SyntheticTask::mqar, .context = 40, .pairs = 10, .symbols = 10};
  validate(options);
  const SyntheticDocument document = synthetic_document(options, Split::train, 7);
  std::vector<int32_t> keys;
  for (size_t pair = 0; pair < 10; ++pair) keys.push_back(document.tokens[2 * pair]);
  std::sort(keys.begin(), keys.end());
  CHECK(keys == std::vector<int32_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
}

TEST_CASE("synthetic tasks: a document depends on (seed, task, split, index) alone") {
  for (const SyntheticTask task : {SyntheticTask::copy, SyntheticTask::mqar}) {
    CAPTURE(name_of(task));
    const SyntheticTaskOptions options{.task = task, .context = 255, .segment = 16, .pairs = 8, .seed = 11};
    const SyntheticDocument document = synthetic_document(options, Split::train, 42);
    CHECK(synthetic_document(options, Split::train, 42).tokens == document.tokens);
    CHECK(synthetic_document(options, Split::train, 42).loss_mask == document.loss_mask);
    CHECK(synthetic_document(options, Split::train, 43).tokens != document.tokens);
    CHECK(synthetic_document(options, Split::val, 42).tokens != document.tokens);
    SyntheticTaskOptions other_seed = options;
    other_seed.seed = 12;
    CHECK(synthetic_document(other_seed, Split::train, 42).tokens != document.tokens);
  }
}

TEST_CASE("synthetic tasks: describe names the task and what shapes it, for the dataset's source") {
  CHECK(describe({.task = SyntheticTask::copy, .context = 4096, .segment = 32, .symbols = 64, .seed = 1}) ==
        "synthetic copy T=4096 segment=32 symbols=64 seed=1");
  CHECK(describe({.task = SyntheticTask::mqar, .context = 512, .pairs = 8, .symbols = 100}) ==
        "synthetic mqar T=512 pairs=8 symbols=100 seed=0");
}

TEST_CASE("synthetic tasks: options that cannot make a document are refused, naming the flag") {
  using Options = SyntheticTaskOptions;
  const auto copy = SyntheticTask::copy, mqar = SyntheticTask::mqar;
  CHECK_NOTHROW(validate(Options{.task = copy, .context = 64, .segment = 32}));
  CHECK_THROWS_WITH_AS(validate(Options{.task = copy, .context = 63, .segment = 32}),
                       "--segment 32 does not fit --context 63: the segment, its repeat and the marker need "
                       "--context >= 64",
                       Error);
  CHECK_THROWS_WITH_AS(validate(Options{.task = copy, .segment = 0}), "--segment 0: must be at least 1", Error);
  CHECK_THROWS_WITH_AS(validate(Options{.task = copy, .context = 0}), "--context 0: must be at least 1", Error);
  CHECK_THROWS_WITH_AS(validate(Options{.task = copy, .symbols = -3}), "--symbols -3: must be at least 1", Error);
  CHECK_THROWS_WITH_AS(validate(Options{.task = copy, .symbols = kMaxSyntheticSymbols + 1}),
                       "--symbols 536870913: at most 536870912", Error);

  CHECK_NOTHROW(validate(Options{.task = mqar, .context = 31, .pairs = 8}));
  CHECK_THROWS_WITH_AS(validate(Options{.task = mqar, .context = 30, .pairs = 8}),
                       "--pairs 8 do not fit --context 30: the pairs and their queries take 32 tokens, a document "
                       "holds 31",
                       Error);
  CHECK_THROWS_WITH_AS(validate(Options{.task = mqar, .pairs = -1}), "--pairs -1: must be at least 1", Error);
  CHECK_THROWS_WITH_AS(validate(Options{.task = mqar, .pairs = 8, .symbols = 7}),
                       "--symbols 7 is too few for 8 distinct keys (--pairs)", Error);
}

}  // namespace
}  // namespace knnformer
