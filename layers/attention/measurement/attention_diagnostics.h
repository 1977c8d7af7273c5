#pragma once
// Running totals of what the attention modes did, for the trainer's metrics
// and the benchmarks: how many tail keys lazy Gumbel sampling scored per
// sample, how many keys the index scored per query, and where attention's
// time went. Every attention call adds to them; take_attention_diagnostics()
// returns the totals since the last take and starts new ones.
//
//   take_attention_diagnostics();                      // start afresh
//   ... a training step ...
//   const AttentionTimes times = take_attention_diagnostics().times;
//   times.index + times.sampling + times.output + times.backward + times.exact   // attention's share
#include <chrono>
#include <cstdint>

namespace knnformer::attention {

// Seconds of wall time on the calling thread (which waits for the kernels'
// threads), summed over calls. Each phase is timed where it starts and ends,
// so the phases never overlap and their sum is attention's whole time.
struct AttentionTimes {
  double index = 0;     // building the approximate modes' key index (the forward's search)
  double sampling = 0;  // the gumbel forward's lazy Gumbel draws
  double output = 0;    // the approximate forward's output from its head, samples or tail keys
  double backward = 0;  // the approximate modes' backward, whatever draws or recomputation it does
  double exact = 0;     // exact attention, forward and backward

  double total() const { return index + sampling + output + backward + exact; }
};

// Adds the wall time from its construction to its end to one phase of the totals.
//   { const TimedPhase timed(&AttentionTimes::index); build(); }
class TimedPhase {
 public:
  explicit TimedPhase(double AttentionTimes::*phase) : phase_(phase), start_(std::chrono::steady_clock::now()) {}
  ~TimedPhase();
  TimedPhase(const TimedPhase&) = delete;
  TimedPhase& operator=(const TimedPhase&) = delete;

 private:
  double AttentionTimes::*phase_;
  std::chrono::steady_clock::time_point start_;
};

struct AttentionDiagnostics {
  double calls = 0;
  double queries = 0;
  double candidates = 0;      // Σ_i |C_i|
  double keys_scored = 0;     // by the index while searching
  double samples = 0;         // lazy Gumbel samples drawn (forward and backward)
  double tail_members = 0;    // tail keys those samples scored
  AttentionTimes times;

  double tail_members_per_sample() const { return samples > 0 ? tail_members / samples : 0.0; }
  double keys_scored_per_query() const { return queries > 0 ? keys_scored / queries : 0.0; }
  AttentionDiagnostics& operator+=(const AttentionDiagnostics& other);
};

void add_attention_diagnostics(const AttentionDiagnostics& diagnostics);
AttentionDiagnostics take_attention_diagnostics();

}  // namespace knnformer::attention
