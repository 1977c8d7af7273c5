#pragma once
// Subnormal floats flushed to zero on every compute thread.
//
// Training drives some attention rows to near one-hot distributions: their
// other probabilities, and the products and gradients made from them, fall
// below float's normal range (1.2e-38). x86 cores handle such subnormal
// operands and results in microcode at about a hundred times the cost of a
// normal multiply-add, so a model that has learned to attend sharply can run
// its attention tiles several times slower than one that has not. Values that
// small change no sum they are added to, so knnformer treats them as zero, as
// GPU tensor cores and most inference engines do: inputs are read as zero
// (DAZ) and results are written as zero (FTZ). docs/design.md §9 (determinism)
// notes that this is part of every run's arithmetic, resumed or not.

namespace knnformer {

// Sets flush-to-zero (and, on x86, denormals-are-zero) on the calling thread.
void flush_subnormals_on_this_thread();

// Sets it on the calling thread and on every thread of the OpenMP team that
// the next parallel regions use (call after choosing the thread count).
void flush_subnormals_on_every_thread();

// Whether the calling thread flushes subnormal results to zero.
bool this_thread_flushes_subnormals();

}  // namespace knnformer
