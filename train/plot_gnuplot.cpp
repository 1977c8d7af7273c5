#include "train/plot_gnuplot.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "train/atomic_file.h"

extern char** environ;

namespace knnformer {

namespace {

// A file that is removed when it goes out of scope.
class TemporaryFile {
 public:
  explicit TemporaryFile(std::filesystem::path path) : path_(std::move(path)) {}
  ~TemporaryFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// posix_spawn's file actions, destroyed on scope exit.
class SpawnFileActions {
 public:
  SpawnFileActions() { posix_spawn_file_actions_init(&actions_); }
  ~SpawnFileActions() { posix_spawn_file_actions_destroy(&actions_); }
  SpawnFileActions(const SpawnFileActions&) = delete;
  SpawnFileActions& operator=(const SpawnFileActions&) = delete;

  // The child's stdout and stderr go to the file.
  void send_output_to(const std::filesystem::path& file) {
    posix_spawn_file_actions_addopen(&actions_, STDOUT_FILENO, file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions_, STDOUT_FILENO, STDERR_FILENO);
  }
  const posix_spawn_file_actions_t* get() const { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  require(file.good(), path.string() + ": cannot write");
}

std::string last_nonempty_line(const std::string& text) {
  std::istringstream lines(text);
  std::string line, last;
  while (std::getline(lines, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line.substr(line.find_first_not_of(" \t"));
  return last;
}

// Runs the program with one argument, its output to `log`; the exit status.
int run_program(const std::filesystem::path& program, const std::filesystem::path& argument,
                const std::filesystem::path& log) {
  SpawnFileActions actions;
  actions.send_output_to(log);
  std::string program_text = program.string(), argument_text = argument.string();
  char* const arguments[] = {program_text.data(), argument_text.data(), nullptr};
  pid_t child = 0;
  const int spawn_error = posix_spawn(&child, program.c_str(), actions.get(), nullptr, arguments, environ);
  require(spawn_error == 0, program.string() + ": cannot run it: " + std::strerror(spawn_error));
  int status = 0;
  while (waitpid(child, &status, 0) < 0)
    require(errno == EINTR, program.string() + ": lost track of it: " + std::strerror(errno));
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

std::filesystem::path find_gnuplot() {
  const char* path = std::getenv("PATH");
  std::istringstream folders(path ? path : "");
  std::string folder;
  while (std::getline(folders, folder, ':')) {
    const std::filesystem::path candidate = std::filesystem::path(folder.empty() ? "." : folder) / "gnuplot";
    if (::access(candidate.c_str(), X_OK) == 0 && std::filesystem::is_regular_file(candidate)) return candidate;
  }
  throw Error("gnuplot is not installed, so no plot was drawn (on Debian or Ubuntu: apt-get install gnuplot-nox)");
}

void run_gnuplot(const std::filesystem::path& gnuplot, const std::string& script,
                 const std::filesystem::path& script_path) {
  const TemporaryFile script_file(std::filesystem::path(script_path) += ".tmp");
  const TemporaryFile log(std::filesystem::path(script_path) += ".log.tmp");
  write_text(script_file.path(), script);
  const int status = run_program(gnuplot, script_file.path(), log.path());
  require(status == 0, "gnuplot failed (exit status " + std::to_string(status) + "): " +
                           last_nonempty_line(read_file(log.path())));
}

}  // namespace knnformer
