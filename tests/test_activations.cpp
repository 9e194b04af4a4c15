#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "src/activations/activation.h"
#include "src/core/error.h"

using namespace actlab;

namespace {

// Sample points away from kinks (where one-sided derivatives differ) plus large magnitudes.
torch::Tensor sample_points() {
  return torch::tensor({-8.0, -3.5, -2.0, -1.3, -0.7, -0.2, 0.3, 0.9, 1.7, 2.5, 4.5, 7.0},
                       torch::kFloat64);
}

double value_at(const std::string& spec, double x) {
  ActivationImpl activation(spec);
  return activation.forward(torch::tensor({x}, torch::kFloat64)).item<double>();
}

double derivative_at(const std::string& spec, double x) {
  ActivationImpl activation(spec);
  return activation.derivative(torch::tensor({x}, torch::kFloat64)).item<double>();
}

double sigmoid(double x) {
  return 1 / (1 + std::exp(-x));
}

}  // namespace

TEST_CASE("the registry holds the 20 activations the suite compares", "[unit][activations]") {
  const std::vector<std::string> expected = {"relu",
                                             "leaky_relu",
                                             "prelu",
                                             "elu",
                                             "selu",
                                             "gelu",
                                             "silu",
                                             "mish",
                                             "softplus",
                                             "sigmoid",
                                             "scaled_sigmoid",
                                             "centered_sigmoid",
                                             "bipolar_sigmoid",
                                             "tanh",
                                             "hardtanh",
                                             "relu6",
                                             "hardsigmoid",
                                             "hardswish",
                                             "identity",
                                             "relu_subgradient"};
  CHECK(activation_registry().names() == expected);
}

TEST_CASE("each activation's closed-form derivative matches LibTorch autograd",
          "[unit][activations]") {
  const std::string name = GENERATE(from_range(activation_registry().names()));
  CAPTURE(name);
  ActivationImpl activation(name);
  const auto x = sample_points().requires_grad_(true);
  const auto y = activation.forward(x);
  const auto autograd = torch::autograd::grad({y.sum()}, {x})[0];
  const auto closed_form = activation.derivative(x.detach());
  // 1e-6, not 1e-12: LibTorch's hardsigmoid backward multiplies by 1/6 rounded to float.
  CHECK(torch::allclose(closed_form, autograd, /*rtol=*/1e-6, /*atol=*/1e-12));
}

TEST_CASE("activation values match their closed forms", "[unit][activations]") {
  for (double x : {-3.0, -0.5, 0.0, 0.4, 2.0}) {
    CAPTURE(x);
    CHECK(value_at("relu", x) == Approx(std::max(0.0, x)));
    CHECK(value_at("leaky_relu:slope=0.2", x) == Approx(x > 0 ? x : 0.2 * x));
    CHECK(value_at("prelu", x) == Approx(x > 0 ? x : 0.25 * x));
    CHECK(value_at("elu:alpha=2", x) == Approx(x > 0 ? x : 2 * (std::exp(x) - 1)));
    CHECK(value_at("selu", x) ==
          Approx(1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * (std::exp(x) - 1))));
    CHECK(value_at("gelu", x) ==
          Approx(x * 0.5 * (1 + std::erf(x / std::sqrt(2.0)))).margin(1e-12));
    CHECK(value_at("silu", x) == Approx(x * sigmoid(x)).margin(1e-12));
    CHECK(value_at("mish", x) == Approx(x * std::tanh(std::log1p(std::exp(x)))).margin(1e-12));
    CHECK(value_at("softplus:beta=2", x) == Approx(std::log1p(std::exp(2 * x)) / 2));
    CHECK(value_at("sigmoid", x) == Approx(sigmoid(x)));
    CHECK(value_at("scaled_sigmoid:k=2", x) == Approx(sigmoid(2 * x)));
    CHECK(value_at("centered_sigmoid", x) == Approx(sigmoid(x) - 0.5).margin(1e-12));
    CHECK(value_at("bipolar_sigmoid", x) == Approx(std::tanh(x / 2)).margin(1e-12));
    CHECK(value_at("tanh", x) == Approx(std::tanh(x)).margin(1e-12));
    CHECK(value_at("hardtanh", x) == Approx(std::clamp(x, -1.0, 1.0)));
    CHECK(value_at("relu6", 3 * x) == Approx(std::clamp(3 * x, 0.0, 6.0)));
    CHECK(value_at("hardsigmoid", x) == Approx(std::clamp(x + 3, 0.0, 6.0) / 6));
    CHECK(value_at("hardswish", x) == Approx(x * std::clamp(x + 3, 0.0, 6.0) / 6).margin(1e-12));
    CHECK(value_at("identity", x) == x);
  }
}

TEST_CASE("derivatives at hand-checked points", "[unit][activations]") {
  CHECK(derivative_at("sigmoid", 2.0) == Approx(sigmoid(2) * (1 - sigmoid(2))));
  CHECK(derivative_at("tanh", 1.0) == Approx(1 - std::tanh(1.0) * std::tanh(1.0)));
  CHECK(derivative_at("leaky_relu:slope=0.2", -1.0) == Approx(0.2));
  CHECK(derivative_at("elu", -1.0) == Approx(std::exp(-1.0)));
  CHECK(derivative_at("softplus:beta=3", 0.5) == Approx(sigmoid(1.5)));
  CHECK(derivative_at("hardsigmoid", 1.0) == Approx(1.0 / 6));
  CHECK(derivative_at("hardswish", 1.5) == Approx(1.5 / 3 + 0.5));
  CHECK(derivative_at("gelu", 0.0) == Approx(0.5));
}

TEST_CASE("sigmoid's derivative peaks at 1/4 at x = 0, scaled sigmoid's at k/4",
          "[unit][activations]") {
  const auto x = torch::linspace(-6, 6, 12001, torch::kFloat64);
  ActivationImpl sigmoid_layer("sigmoid");
  const auto d = sigmoid_layer.derivative(x);
  CHECK(d.max().item<double>() == Approx(0.25));
  CHECK(x[d.argmax()].item<double>() == Approx(0.0).margin(1e-9));
  for (double k : {1.0, 2.0, 4.0}) {
    ActivationImpl scaled(fmt::format("scaled_sigmoid:k={}", k));
    CHECK(scaled.derivative(x).max().item<double>() == Approx(k / 4));
  }
  CHECK(sampled_derivative_range("scaled_sigmoid").second == Approx(1.0));
}

TEST_CASE("centered_sigmoid has sigmoid's derivative, bipolar_sigmoid twice it",
          "[unit][activations]") {
  const auto x = torch::linspace(-10, 10, 2001, torch::kFloat64);
  const auto sigmoid_derivative = ActivationImpl("sigmoid").derivative(x);
  CHECK(torch::equal(ActivationImpl("centered_sigmoid").derivative(x), sigmoid_derivative));
  CHECK(torch::allclose(ActivationImpl("bipolar_sigmoid").derivative(x), 2 * sigmoid_derivative));
  // Zero-centred: f(0) = 0 and odd, unlike sigmoid.
  CHECK(value_at("centered_sigmoid", 0.0) == 0.0);
  CHECK(value_at("centered_sigmoid", -1.5) == Approx(-value_at("centered_sigmoid", 1.5)));
  CHECK(sampled_derivative_range("bipolar_sigmoid").second == Approx(0.5));
}

TEST_CASE("relu'(0) is 0 as LibTorch's autograd computes it", "[unit][activations]") {
  ActivationImpl relu("relu");
  const auto x = torch::zeros({1}, torch::kFloat64).requires_grad_(true);
  const auto grad = torch::autograd::grad({relu.forward(x).sum()}, {x})[0];
  CHECK(grad.item<double>() == 0.0);
  CHECK(relu.derivative(x.detach()).item<double>() == 0.0);
}

TEST_CASE("prelu's slope is a learnable parameter of its module", "[unit][activations]") {
  ActivationImpl prelu("prelu:init=0.1");
  REQUIRE(prelu.parameters().size() == 1);
  CHECK(prelu.parameters()[0].item<double>() == Approx(0.1));
  CHECK(ActivationImpl("relu").parameters().empty());
}

TEST_CASE("unknown activations and parameters are errors listing what is valid",
          "[unit][activations]") {
  CHECK_THROWS_WITH(ActivationImpl("swishy"), Catch::Contains("unknown activation 'swishy'") &&
                                                  Catch::Contains("leaky_relu"));
  CHECK_THROWS_WITH(ActivationImpl("leaky_relu:alpha=1"),
                    Catch::Contains("no parameter 'alpha'") && Catch::Contains("slope"));
  CHECK(canonical_activation_spec("leaky_relu") == "leaky_relu:slope=0.01");
  CHECK(canonical_activation_spec("scaled_sigmoid:k=2") == "scaled_sigmoid:k=2");
}

TEST_CASE(
    "relu_subgradient's f'(0) = 0, 0.5, 1 give LibTorch's, the averaged and the one-sided "
    "gradient at exact zeros, and relu's values",
    "[unit][activations]") {
  const float inf = std::numeric_limits<float>::infinity();
  const auto x0 = torch::tensor({-1.0F, 0.0F, 0.0F, 2.0F, -0.0F, inf, -inf});
  const auto relu_grad = [&] {
    auto x = x0.clone().requires_grad_(true);
    torch::relu(x).sum().backward();
    return x.grad();
  }();
  for (const double at_zero : {0.0, 0.5, 1.0}) {
    CAPTURE(at_zero);
    Activation f(fmt::format("relu_subgradient:at_zero={}", at_zero));
    auto x = x0.clone().requires_grad_(true);
    const auto y = f(x);
    // The forward is relu's, bit for bit (the signs of zeros too), infinities included.
    CHECK(torch::equal(y, torch::relu(x0)));
    CHECK(torch::equal(torch::signbit(y), torch::signbit(torch::relu(x0))));
    y.sum().backward();
    const auto expected =
        torch::tensor({0.0F, float(at_zero), float(at_zero), 1.0F, float(at_zero), 1.0F, 0.0F});
    CHECK(torch::equal(x.grad(), expected));
    if (at_zero == 0) CHECK(torch::equal(x.grad(), relu_grad));
    CHECK(torch::equal(f->derivative(x0), expected));
  }
}
