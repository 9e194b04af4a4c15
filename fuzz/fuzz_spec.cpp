// Activation specs ("leaky_relu:slope=0.1") and init specs ("normal:std=0.01,gain=2"), as given on
// the command line and in experiment files.

#include <torch/nn/modules/linear.h>

#include "fuzz/fuzz_input.h"
#include "models/init.h"
#include "src/activations/activation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(actlab::fuzz::as_text(data, size));
  actlab::fuzz::expect_only_errors([&] { actlab::ActivationImpl activation(text); });
  actlab::fuzz::expect_only_errors([&] {
    torch::nn::Linear layer(2, 2);
    actlab::initialize_weights(*layer, text, "kaiming", 0.0);
  });
  return 0;
}
