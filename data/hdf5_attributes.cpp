#include "data/hdf5_attributes.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "data/hdf5_handle.h"

namespace knnformer {
namespace {

AttributeHandle create_scalar_attribute(hid_t object, const std::string& name, hid_t type) {
  const DataspaceHandle scalar(H5Screate(H5S_SCALAR), "cannot create a dataspace for attribute " + name);
  return AttributeHandle(H5Acreate2(object, name.c_str(), type, scalar.get(), H5P_DEFAULT, H5P_DEFAULT),
                         "cannot create attribute " + name);
}

std::optional<AttributeHandle> open_attribute(hid_t object, const std::string& name) {
  silence_hdf5_errors();
  if (H5Aexists(object, name.c_str()) <= 0) return std::nullopt;
  return AttributeHandle(H5Aopen(object, name.c_str(), H5P_DEFAULT), "cannot open attribute " + name);
}

H5T_class_t type_class(const AttributeHandle& attribute) {
  const DatatypeHandle type(H5Aget_type(attribute.get()), "cannot read the type of an attribute");
  return H5Tget_class(type.get());
}

// knnformer writes variable-length strings; files from other tools may hold
// fixed-length ones. Both read as std::string.
std::string read_fixed_string(const AttributeHandle& attribute, const DatatypeHandle& stored, const std::string& name) {
  std::vector<char> text(H5Tget_size(stored.get()));
  check_hdf5(H5Aread(attribute.get(), stored.get(), text.data()), "cannot read attribute " + name);
  return std::string(text.data(), std::find(text.begin(), text.end(), '\0') - text.begin());
}

std::string read_variable_string(const AttributeHandle& attribute, const DatatypeHandle& stored,
                                 const std::string& name) {
  char* text = nullptr;
  check_hdf5(H5Aread(attribute.get(), stored.get(), &text), "cannot read attribute " + name);
  const std::unique_ptr<char, herr_t (*)(void*)> owned(text, H5free_memory);
  return text ? std::string(text) : std::string();
}

}  // namespace

void write_string_attribute(hid_t object, const std::string& name, const std::string& value) {
  // A variable-length UTF-8 string: h5py reads it as str, h5dump prints it as text.
  const DatatypeHandle type(H5Tcopy(H5T_C_S1), "cannot create a string type");
  check_hdf5(H5Tset_size(type.get(), H5T_VARIABLE), "cannot size a string type");
  check_hdf5(H5Tset_cset(type.get(), H5T_CSET_UTF8), "cannot set a string type to UTF-8");
  const AttributeHandle attribute = create_scalar_attribute(object, name, type.get());
  const char* text = value.c_str();
  check_hdf5(H5Awrite(attribute.get(), type.get(), &text), "cannot write attribute " + name);
}

void write_int_attribute(hid_t object, const std::string& name, int64_t value) {
  const AttributeHandle attribute = create_scalar_attribute(object, name, H5T_STD_I64LE);
  check_hdf5(H5Awrite(attribute.get(), H5T_NATIVE_INT64, &value), "cannot write attribute " + name);
}

std::optional<std::string> read_string_attribute(hid_t object, const std::string& name) {
  const std::optional<AttributeHandle> attribute = open_attribute(object, name);
  if (!attribute) return std::nullopt;
  require(type_class(*attribute) == H5T_STRING, "attribute '" + name + "' is not text");
  const DatatypeHandle stored(H5Aget_type(attribute->get()), "cannot read the type of attribute " + name);
  return H5Tis_variable_str(stored.get()) > 0 ? read_variable_string(*attribute, stored, name)
                                              : read_fixed_string(*attribute, stored, name);
}

std::optional<int64_t> read_int_attribute(hid_t object, const std::string& name) {
  const std::optional<AttributeHandle> attribute = open_attribute(object, name);
  if (!attribute) return std::nullopt;
  require(type_class(*attribute) == H5T_INTEGER, "attribute '" + name + "' is not an integer");
  int64_t value = 0;
  check_hdf5(H5Aread(attribute->get(), H5T_NATIVE_INT64, &value), "cannot read attribute " + name);
  return value;
}

}  // namespace knnformer
