#pragma once
// The names of a closed set of choices. Each such enum has one table of its
// names, next to its declaration, and is converted from and to text only at
// the edges: the command line, config files, checkpoints and logs.
//
//   enum class Colour { red, green };
//   constexpr std::array<EnumName<Colour>, 2> kColourNames{{{Colour::red, "red"}, {Colour::green, "green"}}};
//   constexpr const auto& enum_names(Colour) { return kColourNames; }  // found by argument-dependent lookup
//
//   name_of(Colour::green)                      // "green"
//   parse_enum<Colour>("red", "--colour")       // Colour::red
//   parse_enum<Colour>("blue", "--colour")      // Error "--colour: 'blue' is not one of: red, green"
//   enum_name_list<Colour>()                    // "red, green"
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace knnformer {

template <class Enum>
struct EnumName {
  Enum value;
  std::string_view name;
};

// The value named `name`, if the table has it.
template <class Enum>
std::optional<Enum> find_enum(std::string_view name) {
  for (const EnumName<Enum>& entry : enum_names(Enum{}))
    if (entry.name == name) return entry.value;
  return std::nullopt;
}

// "red, green": the names in table order, for help texts and errors.
template <class Enum>
std::string enum_name_list() {
  std::string list;
  for (const EnumName<Enum>& entry : enum_names(Enum{})) {
    if (!list.empty()) list += ", ";
    list += entry.name;
  }
  return list;
}

// The value named `name`; an Error naming `where` (the option or file) and
// the accepted names otherwise.
template <class Enum>
Enum parse_enum(std::string_view name, std::string_view where) {
  const std::optional<Enum> value = find_enum<Enum>(name);
  require(value.has_value(),
          std::string(where) + ": '" + std::string(name) + "' is not one of: " + enum_name_list<Enum>());
  return *value;
}

// The name of `value`. Every enumerator is in its table (the tests of each
// table check it), so the empty result is never seen.
template <class Enum>
std::string_view name_of(Enum value) {
  for (const EnumName<Enum>& entry : enum_names(Enum{}))
    if (entry.value == value) return entry.name;
  return {};
}

}  // namespace knnformer
