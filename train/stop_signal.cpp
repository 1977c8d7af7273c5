#include "train/stop_signal.h"

#include <unistd.h>

namespace knnformer {

namespace {

// Written by the handler, read by the loop: the only state a handler may touch.
volatile std::sig_atomic_t received_signal = 0;

extern "C" void request_stop(int signal_number) {
  if (received_signal != 0) _exit(128 + signal_number);
  received_signal = signal_number;
}

}  // namespace

StopSignal::StopSignal() {
  received_signal = 0;
  struct sigaction action {};
  action.sa_handler = request_stop;
  action.sa_flags = SA_RESTART;  // reads and writes in flight resume rather than fail with EINTR
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previous_interrupt_);
  sigaction(SIGTERM, &action, &previous_terminate_);
}

StopSignal::~StopSignal() {
  sigaction(SIGINT, &previous_interrupt_, nullptr);
  sigaction(SIGTERM, &previous_terminate_, nullptr);
}

bool StopSignal::requested() const { return received_signal != 0; }

int StopSignal::signal_number() const { return received_signal; }

}  // namespace knnformer
