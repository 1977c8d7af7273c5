#pragma once
// ProcessGroup: the processes that train one run together — the MPI job that
// mpirun started this process in — or this process alone (docs/design.md §8.6).
//
//   const ProcessGroup& group = ProcessGroup::world();
//   group.sum(gradient);                  // every process ends with the same sums
//   if (group.is_root()) write(...);      // rank 0 alone writes the run's files
//
// knnformer speaks MPI (Open MPI in Debian) when it is built with it; MPI is
// started only when mpirun launched the process, so a plain `knnformer train`
// runs as one process exactly as without MPI. A build without MPI launched
// by mpirun as several processes is an Error saying so.
//
// Failures: MPI's errors are fatal to the whole job, and mpirun ends every
// process when one of them dies, naming it; abort() ends the job from a
// process that cannot go on (main calls abort_job after printing that
// process's error). Every call is collective: each process of the group must make the
// same calls in the same order.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace knnformer {

class ProcessGroup {
 public:
  // The job this process belongs to, joined on first use (MPI_Init_thread);
  // MPI is finalised at exit. Error when launched as several processes by a
  // build without MPI.
  static const ProcessGroup& world();

  // How many processes the launcher started and this one's rank, from its
  // environment (1 and 0 outside mpirun), without joining the job.
  static int launched_processes();
  static int launched_rank();

  // Ends every process of the job with this exit status (MPI_Abort) when MPI
  // was started; otherwise this process alone.
  [[noreturn]] static void abort_job(int status);

  // "Open MPI v4.1.4, ..." when built with MPI, "not built" otherwise.
  static std::string implementation();

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }
  bool distributed() const { return size_ > 1; }

  // In place, the element-wise sum (or maximum) over every process; all
  // processes end with the same values.
  void sum(std::span<float> values) const;
  void sum(std::span<double> values) const;
  void maximum(std::span<double> values) const;

  // Rank 0's values (or text) on every process.
  void broadcast(std::span<float> values) const;
  void broadcast(std::span<int64_t> values) const;
  std::string broadcast(const std::string& text) const;

  // Every process's value, in rank order, on every process.
  std::vector<uint64_t> gather(uint64_t value) const;

  // How many processes of the group share this machine (its memory and cores).
  int processes_on_this_machine() const { return local_size_; }

  // Returns once every process has called it.
  void barrier() const;

  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;
  ~ProcessGroup();

 private:
  ProcessGroup();
  int rank_ = 0;
  int size_ = 1;
  int local_size_ = 1;
  bool joined_ = false;  // MPI was started here, so it is finalised here
};

}  // namespace knnformer
