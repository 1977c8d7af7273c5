#include "layers/attention/measurement/attention_diagnostics.h"

#include <mutex>

namespace knnformer::attention {

namespace {
std::mutex totals_mutex;
AttentionDiagnostics totals;
}  // namespace

AttentionDiagnostics& AttentionDiagnostics::operator+=(const AttentionDiagnostics& other) {
  calls += other.calls;
  queries += other.queries;
  candidates += other.candidates;
  keys_scored += other.keys_scored;
  samples += other.samples;
  tail_members += other.tail_members;
  times.index += other.times.index;
  times.sampling += other.times.sampling;
  times.output += other.times.output;
  times.backward += other.times.backward;
  times.exact += other.times.exact;
  return *this;
}

TimedPhase::~TimedPhase() {
  AttentionDiagnostics elapsed;
  elapsed.times.*phase_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  add_attention_diagnostics(elapsed);
}

void add_attention_diagnostics(const AttentionDiagnostics& diagnostics) {
  const std::lock_guard lock(totals_mutex);
  totals += diagnostics;
}

AttentionDiagnostics take_attention_diagnostics() {
  const std::lock_guard lock(totals_mutex);
  const AttentionDiagnostics taken = totals;
  totals = {};
  return taken;
}

}  // namespace knnformer::attention
