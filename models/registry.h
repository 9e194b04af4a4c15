#pragma once

// The models actlab ships, each in its own file in this folder, registered in network.cpp.

#include "models/network.h"

namespace actlab::models {

ModelDefinition krizhevsky4();
ModelDefinition krizhevsky18pct();
ModelDefinition krizhevsky80sec();
ModelDefinition plain();
ModelDefinition vgg();
ModelDefinition resnet();

}  // namespace actlab::models
