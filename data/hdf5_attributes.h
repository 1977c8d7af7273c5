#pragma once
// Scalar attributes of HDF5 objects: the self-description of knnformer files
// (format name, version, vocabulary size, ...).
//
//   write_string_attribute(file.get(), "format", "knnformer-tokens");
//   const std::optional<int64_t> version = read_int_attribute(file.get(), "format_version");
//
// Readers return std::nullopt when the attribute is absent, so that callers
// can name the missing field in their own error message; an attribute of the
// wrong kind (a number where text is expected) is reported as an Error.
#include <cstdint>
#include <optional>
#include <string>

#include <hdf5.h>

namespace knnformer {

void write_string_attribute(hid_t object, const std::string& name, const std::string& value);
void write_int_attribute(hid_t object, const std::string& name, int64_t value);

std::optional<std::string> read_string_attribute(hid_t object, const std::string& name);
std::optional<int64_t> read_int_attribute(hid_t object, const std::string& name);

}  // namespace knnformer
