#include "train/checkpoint.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

#include "data/hdf5_attributes.h"
#include "train/atomic_file.h"

namespace knnformer {

namespace {

// Chunks of at most 1 Mi floats (HDF5 caps a chunk at 4 GiB; smaller chunks
// keep the checksum's read-back cheap): halve the leading dims until it fits.
std::vector<hsize_t> chunk_dims(const std::vector<hsize_t>& dims) {
  std::vector<hsize_t> chunk = dims;
  const auto elements = [&] {
    hsize_t n = 1;
    for (const hsize_t d : chunk) n *= d;
    return n;
  };
  for (size_t axis = 0; axis < chunk.size() && elements() > (hsize_t{1} << 20); ++axis)
    while (chunk[axis] > 1 && elements() > (hsize_t{1} << 20)) chunk[axis] = (chunk[axis] + 1) / 2;
  return chunk;
}

std::vector<hsize_t> dims_of(const Tensor& tensor) {
  std::vector<hsize_t> dims;
  for (int axis = 0; axis < tensor.rank(); ++axis) dims.push_back(static_cast<hsize_t>(tensor.size(axis)));
  return dims;
}

std::string shape_text(const std::vector<hsize_t>& dims) {
  std::string text = "[";
  for (size_t i = 0; i < dims.size(); ++i) text += (i ? ", " : "") + std::to_string(dims[i]);
  return text + "]";
}

void write_tensors(hid_t file, const std::string& group_name, const ParameterList& tensors, const std::string& where) {
  const GroupHandle group(H5Gcreate2(file, group_name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                          where + ": cannot create group " + group_name);
  for (const auto& [name, tensor] : tensors) {
    const std::vector<hsize_t> dims = dims_of(tensor);
    const std::vector<hsize_t> chunk = chunk_dims(dims);
    const DataspaceHandle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                                where + ": cannot create a dataspace for " + name);
    const PropertyListHandle layout(H5Pcreate(H5P_DATASET_CREATE), where + ": cannot create a property list");
    check_hdf5(H5Pset_chunk(layout.get(), static_cast<int>(chunk.size()), chunk.data()),
               where + ": cannot chunk " + name);
    check_hdf5(H5Pset_fletcher32(layout.get()), where + ": cannot add a checksum to " + name);
    const DatasetHandle dataset(H5Dcreate2(group.get(), name.c_str(), H5T_IEEE_F32LE, space.get(), H5P_DEFAULT,
                                           layout.get(), H5P_DEFAULT),
                                where + ": cannot create dataset " + group_name + "/" + name);
    check_hdf5(H5Dwrite(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, tensor.data()),
               where + ": cannot write " + group_name + "/" + name);
  }
}

template <class Value>
Value required(std::optional<Value> value, const std::string& where, const std::string& field) {
  require(value.has_value(), where + ": missing attribute '" + field + "'");
  return *value;
}

void write_checkpoint(const std::filesystem::path& temporary, const CheckpointInfo& info,
                      const ParameterList& parameters, const ParameterList& optimizer_state) {
  const std::string where = temporary.string();
  const PropertyListHandle access(H5Pcreate(H5P_FILE_ACCESS), where + ": cannot create a property list");
  // The 1.10 format checksums the metadata (object headers, attributes) as well.
  check_hdf5(H5Pset_libver_bounds(access.get(), H5F_LIBVER_V110, H5F_LIBVER_V110),
             where + ": cannot select the HDF5 1.10 format");
  FileHandle file(H5Fcreate(where.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), where + ": cannot create");
  const hid_t root = file.get();
  write_string_attribute(root, "format", std::string(kCheckpointFormatName));
  write_int_attribute(root, "format_version", kCheckpointFormatVersion);
  write_int_attribute(root, "step", info.step);
  write_int_attribute(root, "tokens", info.tokens);
  write_int_attribute(root, "seed", static_cast<int64_t>(info.seed));
  write_int_attribute(root, "optimizer_steps", info.optimizer_steps);
  write_int_attribute(root, "loader_seed", static_cast<int64_t>(info.loader_seed));
  write_int_attribute(root, "loader_step", info.loader_step);
  write_int_attribute(root, "training_ms", info.training_ms);
  write_int_attribute(root, "processes", info.processes);
  write_int_attribute(root, "vocab_size", info.vocab_size);
  write_string_attribute(root, "data", info.data);
  write_string_attribute(root, "config", info.config);
  write_tensors(root, "parameters", parameters, where);
  write_tensors(root, "optimizer", optimizer_state, where);
  check_hdf5(H5Fflush(root, H5F_SCOPE_GLOBAL), where + ": cannot flush");
  require(file.close(), where + ": cannot close");
}

}  // namespace

void save_checkpoint(const std::filesystem::path& path, const CheckpointInfo& info, const ParameterList& parameters,
                     const ParameterList& optimizer_state) {
  silence_hdf5_errors();
  std::filesystem::path temporary = path;
  temporary += ".tmp";
  try {
    write_checkpoint(temporary, info, parameters, optimizer_state);
  } catch (const Error& error) {
    // Most often a full disk: free what the partial file holds, and say
    // that the run's newest checkpoint is still the one before.
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw Error(std::string(error.what()) + " (disk full?); the checkpoint was not written");
  }
  commit_file(temporary, path);
}

CheckpointReader::CheckpointReader(const std::filesystem::path& path)
    : path_(path), file_(open_hdf5_file(path, H5F_ACC_RDONLY)) {
  const std::string where = path.string();
  const hid_t root = file_.get();
  try {
    const std::optional<std::string> format = read_string_attribute(root, "format");
    require(format == kCheckpointFormatName,
            "not a knnformer checkpoint (attribute 'format' is " + (format ? "'" + *format + "'" : "missing") + ")");
    const int64_t version = required(read_int_attribute(root, "format_version"), where, "format_version");
    require(version == kCheckpointFormatVersion, "checkpoint format_version " + std::to_string(version) +
                                                     " is not supported (expected " +
                                                     std::to_string(kCheckpointFormatVersion) + ")");
    info_.step = required(read_int_attribute(root, "step"), where, "step");
    info_.tokens = required(read_int_attribute(root, "tokens"), where, "tokens");
    info_.seed = static_cast<uint64_t>(required(read_int_attribute(root, "seed"), where, "seed"));
    info_.optimizer_steps = required(read_int_attribute(root, "optimizer_steps"), where, "optimizer_steps");
    info_.loader_seed = static_cast<uint64_t>(required(read_int_attribute(root, "loader_seed"), where, "loader_seed"));
    info_.loader_step = required(read_int_attribute(root, "loader_step"), where, "loader_step");
    info_.training_ms = read_int_attribute(root, "training_ms").value_or(0);
    info_.processes = read_int_attribute(root, "processes").value_or(1);
    info_.vocab_size = required(read_int_attribute(root, "vocab_size"), where, "vocab_size");
    info_.data = required(read_string_attribute(root, "data"), where, "data");
    info_.config = required(read_string_attribute(root, "config"), where, "config");
  } catch (const Error& error) {
    const std::string message = error.what();
    throw Error(message.starts_with(where) ? message : where + ": " + message);
  }
}

void CheckpointReader::load(const std::string& group_name, const ParameterList& into) const {
  const std::string where = path_.string();
  const GroupHandle group(H5Gopen2(file_.get(), group_name.c_str(), H5P_DEFAULT),
                          where + ": missing group /" + group_name);
  H5G_info_t group_info{};
  check_hdf5(H5Gget_info(group.get(), &group_info), where + ": cannot read group /" + group_name);
  require(group_info.nlinks == into.size(), where + ": /" + group_name + " holds " +
                                            std::to_string(group_info.nlinks) + " tensors, the model has " +
                                            std::to_string(into.size()));
  for (const auto& [name, tensor] : into) {
    const std::string dataset_path = "/" + group_name + "/" + name;
    require(H5Lexists(group.get(), name.c_str(), H5P_DEFAULT) > 0, where + ": missing " + dataset_path);
    const DatasetHandle dataset(H5Dopen2(group.get(), name.c_str(), H5P_DEFAULT),
                                where + ": cannot open " + dataset_path);
    const DataspaceHandle space(H5Dget_space(dataset.get()), where + ": cannot read the shape of " + dataset_path);
    std::vector<hsize_t> stored(static_cast<size_t>(std::max(0, H5Sget_simple_extent_ndims(space.get()))));
    H5Sget_simple_extent_dims(space.get(), stored.data(), nullptr);
    const std::vector<hsize_t> expected = dims_of(tensor);
    require(stored == expected, where + ": " + dataset_path + " has shape " + shape_text(stored) +
                                    ", the model of the config has " + shape_text(expected));
    check_hdf5(H5Dread(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, tensor.data()),
               where + ": " + dataset_path + " cannot be read or fails its checksum (the file is corrupt)");
    const std::span<const float> values(tensor.data(), static_cast<size_t>(tensor.numel()));
    require(std::all_of(values.begin(), values.end(), [](float value) { return std::isfinite(value); }),
            where + ": " + dataset_path + " holds non-finite values (nan or inf): a diverged state, not resumable");
  }
}

}  // namespace knnformer
