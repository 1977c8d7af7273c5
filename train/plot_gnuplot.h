#pragma once
// Running gnuplot (Debian: apt-get install gnuplot-nox) on a script.
//
//   const std::filesystem::path gnuplot = find_gnuplot();  // Error when it is not installed
//   run_gnuplot(gnuplot, script, "runs.gp");               // Error with gnuplot's complaint
//
// The script is written to a temporary file (here "runs.gp.tmp"), removed
// afterwards whatever happens; what gnuplot prints goes to another
// temporary file, whose last line becomes the Error when gnuplot fails.
#include <filesystem>
#include <string>

namespace knnformer {

// The gnuplot executable on the PATH.
std::filesystem::path find_gnuplot();

void run_gnuplot(const std::filesystem::path& gnuplot, const std::string& script,
                 const std::filesystem::path& script_path);

}  // namespace knnformer
