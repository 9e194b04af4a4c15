#pragma once

#include <string>
#include <vector>

#include "models/network.h"

namespace actlab {

// An activation layer with the weighted layers around it, as the probes need them.
struct ProbedLayer {
  std::string name;  // stable dotted name, e.g. "stage2.block1.act2"
  int index = 0;     // position in forward order
  Activation activation{nullptr};
  std::string feeding_name;       // conv/linear whose output (through batch norm) is x
  torch::Tensor feeding_weight;   // its weight
  std::string consumer_name;      // conv/linear that next takes this layer's output
  torch::Tensor consumer_weight;  // undefined when nothing consumes it
};

// Binds every activation layer to the last conv/linear registered before it (feeding) and the
// first registered after it (consumer). Valid because every model registers its modules in
// forward order: pooling and shortcut additions between them carry no weights.
std::vector<ProbedLayer> bind_layers(const NetworkImpl& model);

}  // namespace actlab
