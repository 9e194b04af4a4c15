#pragma once

#include <fmt/format.h>

#include <string>
#include <vector>

#include "src/core/error.h"
#include "src/core/spec.h"

namespace actlab {

// A name-keyed list of definitions (activations, models, ...) that keeps registration order for
// listing and fails loudly: looking up an unknown name throws an Error listing the valid names.
// Definition must have a `std::string name` member.
template <typename Definition>
class Registry {
 public:
  explicit Registry(std::string kind) : kind_(std::move(kind)) {}

  void add(Definition definition) {
    if (find(definition.name) != nullptr) {
      throw std::logic_error(fmt::format("{} '{}' registered twice", kind_, definition.name));
    }
    definitions_.push_back(std::move(definition));
  }

  const Definition* find(const std::string& name) const {
    for (const auto& definition : definitions_) {
      if (definition.name == name) return &definition;
    }
    return nullptr;
  }

  const Definition& get(const std::string& name) const {
    if (const Definition* definition = find(name)) return *definition;
    throw Error(fmt::format("unknown {} '{}': valid names are {} (see `actlab list {}s`)", kind_,
                            name, join(names()), kind_));
  }

  std::vector<std::string> names() const {
    std::vector<std::string> result;
    for (const auto& definition : definitions_) result.push_back(definition.name);
    return result;
  }

  const std::vector<Definition>& all() const { return definitions_; }
  const std::string& kind() const { return kind_; }

 private:
  std::string kind_;
  std::vector<Definition> definitions_;
};

}  // namespace actlab
