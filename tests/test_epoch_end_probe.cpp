#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <vector>

#include "src/records/epoch_end_probe.h"

using actlab::epoch_end_probes;
using nlohmann::json;

TEST_CASE("the probe at the end of an epoch: the evaluation's, never a K-step one at its step",
          "[unit][records]") {
  const std::vector<json> records = {
      {{"epoch", 0}, {"step", 0}, {"index", 0}, {"trigger", "evaluation"}, {"v", 0}},
      {{"epoch", 0}, {"step", 0}, {"index", 1}, {"trigger", "evaluation"}, {"v", 1}},
      {{"epoch", 1}, {"step", 5}, {"index", 0}, {"trigger", "every_steps"}, {"v", 2}},
      // The epoch's last step: a K-step probe and then the evaluation's, at one step.
      {{"epoch", 1}, {"step", 10}, {"index", 0}, {"trigger", "every_steps"}, {"v", 3}},
      {{"epoch", 1}, {"step", 10}, {"index", 0}, {"trigger", "evaluation"}, {"v", 4}},
      {{"epoch", 1}, {"step", 10}, {"index", 1}, {"trigger", "evaluation"}, {"v", 5}},
      // Epoch 2: a K-step probe after which the run stopped; no evaluation probe.
      {{"epoch", 2}, {"step", 15}, {"index", 0}, {"trigger", "every_steps"}, {"v", 6}},
      {{"epoch", 1.5}, {"step", 7}, {"index", 0}, {"trigger", "evaluation"}, {"v", 7}},
      {{"epoch", 1}, {"step", 10}, {"trigger", "evaluation"}, {"v", 8}},  // no index
  };
  const auto probes = epoch_end_probes(records);
  REQUIRE(probes.size() == 2);
  REQUIRE(probes.count(0) == 1);
  REQUIRE(probes.count(1) == 1);
  CHECK(probes.at(0).at(0)->at("v") == 0);
  CHECK(probes.at(0).at(1)->at("v") == 1);
  CHECK(probes.at(1).size() == 2);
  CHECK(probes.at(1).at(0)->at("v") == 4);
  CHECK(probes.at(1).at(1)->at("v") == 5);
}

TEST_CASE("records without a trigger: the latest step of each epoch is its end",
          "[unit][records]") {
  const std::vector<json> records = {
      {{"epoch", 1}, {"step", 5}, {"index", 0}, {"v", 0}},
      {{"epoch", 1}, {"step", 10}, {"index", 0}, {"v", 1}},
      {{"epoch", 1}, {"step", 10}, {"index", 0}, {"v", 2}},  // one step twice: the last line
      {{"epoch", 2}, {"step", 20}, {"index", 0}, {"v", 3}},
  };
  const auto probes = epoch_end_probes(records);
  REQUIRE(probes.size() == 2);
  CHECK(probes.at(1).at(0)->at("v") == 2);
  CHECK(probes.at(2).at(0)->at("v") == 3);
  CHECK(epoch_end_probes({}).empty());
}
