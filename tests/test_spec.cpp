#include <catch2/catch.hpp>

#include "src/core/error.h"
#include "src/core/random.h"
#include "src/core/spec.h"

using namespace actlab;

TEST_CASE("spec strings parse into a name and ordered values", "[unit][spec]") {
  const Spec plain = parse_spec("relu", "activation");
  CHECK(plain.name == "relu");
  CHECK(plain.values.empty());

  const Spec with_values = parse_spec("hardtanh: min=-2, max=0.5", "activation");
  CHECK(with_values.name == "hardtanh");
  REQUIRE(with_values.values.size() == 2);
  CHECK(with_values.values[0] == std::make_pair(std::string("min"), -2.0));
  CHECK(with_values.values[1] == std::make_pair(std::string("max"), 0.5));
}

TEST_CASE("malformed spec strings are errors that show the expected form", "[unit][spec]") {
  CHECK_THROWS_WITH(parse_spec("", "activation"), Catch::Contains("NAME:key=value"));
  CHECK_THROWS_WITH(parse_spec("leaky_relu:slope", "activation"), Catch::Contains("key=number"));
  CHECK_THROWS_WITH(parse_spec("leaky_relu:slope=abc", "activation"), Catch::Contains("slope"));
  CHECK_THROWS_AS(parse_spec("relu:=1", "activation"), Error);
}

TEST_CASE("parameters resolve with defaults and unknown ones list the valid ones", "[unit][spec]") {
  const std::vector<ParameterInfo> accepted = {{"k", 4.0, ""}, {"shift", 0.0, ""}};
  const auto values = resolve_parameters(parse_spec("s:k=2", "x"), accepted, "activation");
  CHECK(values.at("k") == 2.0);
  CHECK(values.at("shift") == 0.0);
  CHECK_THROWS_WITH(resolve_parameters(parse_spec("s:beta=2", "x"), accepted, "activation"),
                    Catch::Contains("no parameter 'beta'") && Catch::Contains("k, shift"));
  CHECK(format_spec("s", values) == "s:k=2,shift=0");
}

TEST_CASE("split keeps the non-empty pieces", "[unit][spec]") {
  CHECK(split("a,,b,", ',') == std::vector<std::string>{"a", "b"});
  CHECK(split("train_error=0.25;test_error=0.5", ';') ==
        std::vector<std::string>{"train_error=0.25", "test_error=0.5"});
  CHECK(split("", ',').empty());
}

TEST_CASE("numbers format in their shortest exact form", "[unit][spec]") {
  CHECK(format_number(0.2) == "0.2");
  CHECK(format_number(4) == "4");
  CHECK(format_number(1e-8) == "1e-08");
  CHECK(std::stod(format_number(0.1 + 0.2)) == 0.1 + 0.2);
}

TEST_CASE("seeded permutations are fixed by the seed alone", "[unit][spec]") {
  const auto a = seeded_permutation(100, 7);
  CHECK(a == seeded_permutation(100, 7));
  CHECK(a != seeded_permutation(100, 8));
  auto sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 100; ++i) CHECK(sorted[i] == i);
}
