#include <catch2/catch.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "src/train/config.h"
#include "src/train/train_option_list.h"
#include "src/train/train_options.h"

using namespace actlab;

namespace {

// Gives every option a value unlike its default and unlike every other option's, so that a field
// dropped, misnamed or swapped on the way through the command line or config.json shows.
struct Perturb {
  int counter = 0;
  template <typename T>
  void operator()(const TrainOption& option, T& value) {
    ++counter;
    if constexpr (std::is_same_v<T, bool>) {
      value = !value;
    } else if constexpr (std::is_same_v<T, std::optional<bool>>) {
      value = !value.value_or(false);
    } else if constexpr (std::is_same_v<T, std::string>) {
      value = option.field + "_value";
    } else if constexpr (std::is_same_v<T, std::vector<double>>) {
      value = {0.5 + counter, 2.0};
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      value = {option.field + "_a", option.field + "_b"};
    } else if constexpr (std::is_floating_point_v<T>) {
      value = value + 0.25 + counter;
    } else {
      value = static_cast<T>(value + 1 + counter);
    }
  }
};

std::string first_name(const TrainOption& option) {
  const std::string names = option.cli_names();
  return names.substr(0, names.find(','));
}

// The command line that gives `config`'s values, built from the declaration alone.
std::string command_line(TrainConfig config) {
  std::string line;
  for_each_train_option(config, [&](const TrainOption& option, const auto& value) {
    using T = std::decay_t<decltype(value)>;
    const std::string name = first_name(option);
    if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::optional<bool>>) {
      const bool on = [&] {
        if constexpr (std::is_same_v<T, bool>)
          return value;
        else
          return value.value_or(false);
      }();
      if (on)
        line += " " + name;
      else if (option.negatable)
        line += " --no-" + name.substr(2);
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      for (const auto& item : value) line += " " + name + "=" + item;
    } else if constexpr (std::is_same_v<T, std::vector<double>>) {
      std::string list;
      for (double item : value) list += (list.empty() ? "" : ",") + nlohmann::json(item).dump();
      line += " " + name + "=" + list;
    } else if constexpr (std::is_same_v<T, std::string>) {
      line += " " + name + "=" + value;
    } else {
      line += " " + name + "=" + nlohmann::json(value).dump();
    }
  });
  return line;
}

}  // namespace

TEST_CASE("a training option is declared once: command line and config.json come from it",
          "[unit][train]") {
  TrainConfig config;
  Perturb perturb;
  for_each_train_option(config, perturb);
  REQUIRE(perturb.counter > 40);

  SECTION("config.json holds every recorded option and reads back to the same values") {
    const nlohmann::json record = to_json(config);
    size_t recorded = 0;
    for_each_train_option(config, [&](const TrainOption& option, const auto&) {
      INFO(option.field);
      CHECK(record.contains(option.field) == option.recorded);
      recorded += option.recorded;
    });
    CHECK(record.size() == recorded);  // nothing written that is not declared
    CHECK(to_json(config_from_json(record)) == record);
  }

  SECTION("every option is on the command line, and parsing it gives the same configuration") {
    CLI::App app;
    TrainConfig parsed;
    add_train_options(app, parsed);
    size_t declared = 0;
    for_each_train_option(config, [&](const TrainOption& option, const auto&) {
      INFO(option.field);
      CHECK(app.get_option_no_throw(first_name(option)) != nullptr);
      ++declared;
    });
    CHECK(app.get_options().size() == declared + 1);  // and --help
    const std::string line = command_line(config);
    INFO(line);
    REQUIRE_NOTHROW(app.parse(line, /*program_name_included=*/false));
    CHECK(to_json(parsed) == to_json(config));
  }

  SECTION("an option added later reads as its default from records that lack it") {
    nlohmann::json old_record = to_json(config);
    const TrainConfig defaults;
    nlohmann::json expected = old_record;
    const nlohmann::json default_record = to_json(defaults);
    for_each_train_option(config, [&](const TrainOption& option, const auto&) {
      if (!option.recorded || !option.added_later) return;
      old_record.erase(option.field);
      expected[option.field] = default_record[option.field];
    });
    CHECK(to_json(config_from_json(old_record)) == expected);
    nlohmann::json broken = to_json(config);
    broken.erase("lr");  // there from the start: a record without it is damaged
    CHECK_THROWS(config_from_json(broken));
  }
}

TEST_CASE("a resumed run may move its folders and threads, never what it computes",
          "[unit][train]") {
  for (const char* field : {"out_dir", "data_dir", "threads", "checkpoints"}) {
    INFO(field);
    CHECK(may_differ_on_resume(field));
  }
  for (const char* field : {"lr", "seed", "activation", "input_preprocessing", "epochs"}) {
    INFO(field);
    CHECK_FALSE(may_differ_on_resume(field));
  }
}
