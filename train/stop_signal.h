#pragma once
// StopSignal: turns SIGINT and SIGTERM into a request that the training loop
// polls between steps, so that an interrupted run finishes its step, writes a
// checkpoint and exits 0 instead of dying mid-step.
//
//   const StopSignal stop;                   // handlers installed
//   while (... && !stop.requested()) step();
//                                            // previous handlers restored
//
// A second signal while the first is being honoured ends the process at once
// (exit status 128 + signal), for a user who does not want to wait.
#include <csignal>

namespace knnformer {

class StopSignal {
 public:
  StopSignal();
  ~StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  bool requested() const;
  int signal_number() const;  // the signal received, 0 when none

 private:
  struct sigaction previous_interrupt_{}, previous_terminate_{};
};

}  // namespace knnformer
