#include "src/train/train_options.h"

#include <cctype>
#include <type_traits>

#include "src/train/train_option_list.h"

namespace actlab {

namespace {

template <typename T>
inline constexpr bool kIsVector = false;
template <typename T>
inline constexpr bool kIsVector<std::vector<T>> = true;

// One declared option as a CLI11 option: flags for bools, a --x/--no-x flag for an optional
// bool, comma lists for numbers, a repeatable option for strings, a value option for the rest.
struct AddToCommand {
  CLI::App& command;

  template <typename T>
  void operator()(const TrainOption& declared, T& value) const {
    const std::string names = declared.cli_names();
    CLI::Option* option = nullptr;
    if constexpr (std::is_same_v<T, bool>) {
      option = command.add_flag(names, value, declared.help);
    } else if constexpr (std::is_same_v<T, std::optional<bool>>) {
      option = command.add_flag_function(
          names + ",!--no-" + names.substr(2), [&value](int64_t count) { value = count > 0; },
          declared.help);
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      option = command.add_option(names, value, declared.help)
                   ->capture_default_str()
                   ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
                   ->expected(1)
                   ->allow_extra_args(false);
    } else if constexpr (kIsVector<T>) {
      option = command.add_option(names, value, declared.help)->delimiter(',');
    } else {
      option = command.add_option(names, value, declared.help);
      if (declared.show_default) option->capture_default_str();
    }
    if (!declared.env.empty()) option->envname(declared.env);
    if (declared.check) {
      std::string name = declared.field;  // shown in --help as the value's kind: DEPTH
      for (char& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      option->check(CLI::Validator(declared.check, name));
    }
    option->group(declared.group);
  }
};

}  // namespace

void add_train_options(CLI::App& command, TrainConfig& config) {
  for_each_train_option(config, AddToCommand{command});
}

}  // namespace actlab
