#pragma once
// RAII ownership of HDF5 identifiers.
//
// Every identifier the HDF5 C API hands out (file, group, dataset, dataspace,
// attribute, property list, datatype) must be closed by its own H5?close
// function. Hdf5Handle<Close> owns one identifier and closes it when it goes
// out of scope, so no early return or exception can leak one:
//
//   const FileHandle file = open_hdf5_file(path, H5F_ACC_RDONLY);
//   const DatasetHandle tokens{H5Dopen2(file.get(), "/train/tokens", H5P_DEFAULT),
//                              path.string() + ": cannot open /train/tokens"};
//
// The constructor throws knnformer::Error with the given message when the
// call that produced the identifier failed (returned a negative id).
#include <filesystem>
#include <string>
#include <utility>

#include <hdf5.h>

#include "core/error.h"

namespace knnformer {

// HDF5 prints its whole error stack to stderr by default; knnformer reports
// its own one-line errors instead. The setting is per thread in a thread-safe
// HDF5 build, so every entry point calls this (it is cheap after the first time).
void silence_hdf5_errors();

template <herr_t (*Close)(hid_t)>
class Hdf5Handle {
 public:
  Hdf5Handle() = default;
  Hdf5Handle(hid_t id, const std::string& error_message) : id_(id) { require(id >= 0, error_message); }
  ~Hdf5Handle() { close(); }

  Hdf5Handle(Hdf5Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Hdf5Handle& operator=(Hdf5Handle&& other) noexcept {
    if (this != &other) {
      close();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  Hdf5Handle(const Hdf5Handle&) = delete;
  Hdf5Handle& operator=(const Hdf5Handle&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

  // Closes now and reports whether closing succeeded; for a file being
  // written, that is where buffered data reaches the disk.
  bool close() { return !valid() || Close(std::exchange(id_, H5I_INVALID_HID)) >= 0; }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

using FileHandle = Hdf5Handle<H5Fclose>;
using GroupHandle = Hdf5Handle<H5Gclose>;
using DatasetHandle = Hdf5Handle<H5Dclose>;
using DataspaceHandle = Hdf5Handle<H5Sclose>;
using AttributeHandle = Hdf5Handle<H5Aclose>;
using PropertyListHandle = Hdf5Handle<H5Pclose>;
using DatatypeHandle = Hdf5Handle<H5Tclose>;

// Throws Error(error_message) when an HDF5 call that returns a status failed.
inline void check_hdf5(herr_t status, const std::string& error_message) { require(status >= 0, error_message); }

// Opens an existing file; names the file and the problem (missing, not HDF5) on failure.
FileHandle open_hdf5_file(const std::filesystem::path& path, unsigned access_flags);

}  // namespace knnformer
