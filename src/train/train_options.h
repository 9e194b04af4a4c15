#pragma once

#include <CLI/CLI.hpp>

#include "src/train/config.h"

namespace actlab {

// Every TrainConfig field as an `actlab train` option (--activation, --batch-norm/--no-batch-norm,
// ...). The experiment harness validates experiment files against the same definitions: an
// option named `batch_norm` in a file is `--batch-norm` here.
void add_train_options(CLI::App& command, TrainConfig& config);

}  // namespace actlab
