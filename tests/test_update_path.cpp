#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <nlohmann/json.hpp>

#include "src/probes/update_path.h"

// A feeding weight's path (src/probes/update_path.h) against sums worked out by hand.

using namespace actlab;

namespace {

torch::Tensor vec(double x, double y) {
  return torch::tensor({x, y}, torch::kFloat32);
}

nlohmann::json record_of(const UpdatePath& path, size_t layer) {
  nlohmann::json record = nlohmann::json::object();
  path.write(layer, record);
  return record;
}

}  // namespace

TEST_CASE("the update path's efficiency, cosine and relative change equal a hand computation",
          "[unit][probes]") {
  // Layer 0 turns: W = (1,0) -> (2,0) -> (2,1) -> (1,2): updates (1,0), (0,1), (-1,1).
  // Layer 1 has no feeding weight. Layer 2 walks a straight line: (1,1) -> (2,2) -> ...
  const std::vector<std::vector<torch::Tensor>> steps = {{vec(1, 0), torch::Tensor(), vec(1, 1)},
                                                         {vec(2, 0), torch::Tensor(), vec(2, 2)},
                                                         {vec(2, 1), torch::Tensor(), vec(3, 3)},
                                                         {vec(1, 2), torch::Tensor(), vec(5, 5)}};
  UpdatePath path("weight");
  path.start(steps[0], torch::kCPU);
  auto at_start = record_of(path, 0);
  CHECK(at_start["weight_relative_change"] == 0.0);
  CHECK(at_start["weight_path_efficiency"].is_null());  // no step yet
  CHECK(at_start["weight_update_cosine"].is_null());
  for (size_t t = 1; t < steps.size(); ++t) path.add_step(steps[t]);

  const auto turning = record_of(path, 0);
  const double length = 1 + 1 + std::sqrt(2.0), displacement = 2;  // |(1,2) - (1,0)|
  CHECK(turning["weight_path_efficiency"].get<double>() == Approx(displacement / length));
  CHECK(turning["weight_relative_change"].get<double>() == Approx(displacement / 1.0));
  // cos((0,1), (1,0)) = 0 and cos((-1,1), (0,1)) = 1/sqrt(2): their mean.
  CHECK(turning["weight_update_cosine"].get<double>() == Approx(0.5 / std::sqrt(2.0)));
  CHECK(record_of(path, 1).empty());  // no weight, no fields
  const auto straight = record_of(path, 2);
  CHECK(straight["weight_path_efficiency"].get<double>() == Approx(1.0));
  CHECK(straight["weight_update_cosine"].get<double>() == Approx(1.0));
  CHECK(straight["weight_relative_change"].get<double>() == Approx(4.0));

  // A new period: the cosine mean starts afresh, the path continues.
  path.end_period();
  CHECK(record_of(path, 0)["weight_update_cosine"].is_null());
  CHECK(record_of(path, 0)["weight_path_efficiency"] == turning["weight_path_efficiency"]);

  // Saved, then the original steps on before a copy is restored from the save: the copy must
  // not see the original's later step (no tensor shared in place), and goes on as it would have.
  HookState state;
  path.save(state);
  CHECK(path.check(state, steps[0]).empty());
  CHECK_FALSE(path.check(state, {vec(0, 0), torch::Tensor(), vec(0, 0), vec(0, 0)}).empty());
  CHECK_FALSE(path.check(state, {torch::zeros({3}), torch::Tensor(), vec(0, 0)}).empty());
  CHECK_FALSE(path.check(HookState{}, steps[0]).empty());
  CHECK_FALSE(UpdatePath("other").check(state, steps[0]).empty());  // another path's keys
  const std::vector<torch::Tensor> next = {vec(0, 2), torch::Tensor(), vec(6, 6)};
  path.add_step(next);
  UpdatePath restored("weight");
  restored.restore(state, 3, torch::kCPU);
  CHECK(record_of(restored, 0)["weight_path_efficiency"] == turning["weight_path_efficiency"]);
  restored.add_step(next);
  for (size_t layer : {0, 2}) CHECK(record_of(restored, layer) == record_of(path, layer));
  // By hand: the update (-1,0) after (-1,1): cos = 1/sqrt(2), the only pair of the new period;
  // the path is 1 + 1 + sqrt(2) + 1 long for a displacement |(0,2) - (1,0)| = sqrt(5).
  const auto after = record_of(path, 0);
  CHECK(after["weight_update_cosine"].get<double>() == Approx(1 / std::sqrt(2.0)));
  CHECK(after["weight_path_efficiency"].get<double>() ==
        Approx(std::sqrt(5.0) / (3 + std::sqrt(2.0))));
}
