#include "data/hdf5_handle.h"

namespace knnformer {

namespace {

// HDF5 closes whatever is still open at exit, from an atexit handler. When
// a write fails (a full disk), closing the file fails as well and leaves it
// half-closed, and HDF5 1.10's handler then crashes on it, turning a clean
// one-line error into a segfault. Every identifier here is closed by its
// handle, so the handler has nothing to do: it is turned off before the
// library first starts (this runs during static initialisation).
const bool kNoCleanupAtExit = H5dont_atexit() >= 0;

}  // namespace

void silence_hdf5_errors() {
  thread_local const bool silenced = H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr) >= 0;
  (void)silenced;
}

FileHandle open_hdf5_file(const std::filesystem::path& path, unsigned access_flags) {
  silence_hdf5_errors();
  const std::string name = path.string();
  require(std::filesystem::exists(path), name + ": no such file");
  require(!std::filesystem::is_directory(path), name + ": is a folder, expected an HDF5 file");
  const htri_t is_hdf5 = H5Fis_hdf5(name.c_str());
  require(is_hdf5 >= 0, name + ": cannot read the file");
  require(is_hdf5 > 0, name + ": not an HDF5 file");
  return FileHandle(H5Fopen(name.c_str(), access_flags, H5P_DEFAULT),
                    name + ": cannot open the HDF5 file (truncated or damaged?)");
}

}  // namespace knnformer
