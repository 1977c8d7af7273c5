#include <doctest/doctest.h>

#include <array>

#include "core/enum_names.h"

namespace knnformer {
namespace {

enum class Colour { red, green, light_blue };
constexpr std::array<EnumName<Colour>, 3> kColourNames{
    {{Colour::red, "red"}, {Colour::green, "green"}, {Colour::light_blue, "light-blue"}}};
constexpr const auto& enum_names(Colour) { return kColourNames; }

TEST_CASE("enum names: a name reads as its value and a value writes as its name") {
  CHECK(parse_enum<Colour>("light-blue", "--colour") == Colour::light_blue);
  CHECK(name_of(Colour::light_blue) == "light-blue");
  CHECK(name_of(Colour::red) == "red");
  CHECK(find_enum<Colour>("green") == Colour::green);
  CHECK(enum_name_list<Colour>() == "red, green, light-blue");
}

TEST_CASE("enum names: an unknown name is an Error naming where it came from and every accepted name") {
  CHECK_FALSE(find_enum<Colour>("light_blue").has_value());  // the enumerator's spelling is not its name
  CHECK_FALSE(find_enum<Colour>("").has_value());
  CHECK_THROWS_WITH_AS(parse_enum<Colour>("blue", "x.ini: colour"),
                       "x.ini: colour: 'blue' is not one of: red, green, light-blue", Error);
}

}  // namespace
}  // namespace knnformer
