#include "src/train/activation_cost.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>

#include "src/core/compat.h"
#include "src/core/files.h"
#include "src/records/run_folder.h"
#include "src/train/device_data.h"

namespace actlab {

namespace {

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

template <class Work>
double seconds_of(Work&& work) {
  compat::synchronize_cuda();
  const auto start = std::chrono::steady_clock::now();
  work();
  compat::synchronize_cuda();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Deterministic inputs spread over [-4, 4] (no draw from the global generator).
torch::Tensor spread(const std::vector<int64_t>& shape, torch::Device device) {
  int64_t count = 1;
  for (auto size : shape) count *= size;
  return torch::linspace(-4, 4, count, torch::TensorOptions().device(device)).reshape(shape);
}

// The input shapes of the model's activation layers for one training batch, in forward order.
std::vector<std::vector<int64_t>> activation_shapes(NetworkImpl& model, int64_t batch_size,
                                                    torch::Device device) {
  std::vector<std::vector<int64_t>> shapes;
  torch::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();  // batch-norm running statistics stay untouched
  auto layers = model.activation_layers();
  for (auto& layer : layers) {
    layer.module->set_observer([&shapes](const torch::Tensor& x, const torch::Tensor&) {
      shapes.push_back(x.sizes().vec());
    });
  }
  model.forward(spread({batch_size, 3, 32, 32}, device));
  for (auto& layer : layers) layer.module->set_observer(nullptr);
  model.train(was_training);
  return shapes;
}

// Forward + backward of the model in training mode on one batch; parameters' gradients and
// buffers restored afterwards.
std::vector<double> model_step_seconds(NetworkImpl& model, int64_t batch_size, torch::Device device,
                                       int repeats) {
  std::vector<torch::Tensor> buffers, grads;
  for (const auto& b : model.buffers()) buffers.push_back(b.clone());
  for (const auto& p : model.parameters())
    grads.push_back(p.grad().defined() ? p.grad().clone() : torch::Tensor());
  const bool was_training = model.is_training();
  model.train();
  const auto images = spread({batch_size, 3, 32, 32}, device);
  const auto labels = torch::arange(batch_size, torch::TensorOptions().device(device)) % 10;
  std::vector<double> seconds;
  for (int r = 0; r <= repeats; ++r) {
    const double s =
        seconds_of([&] { torch::cross_entropy_loss(model.forward(images), labels).backward(); });
    if (r > 0) seconds.push_back(s);  // the first round warms up
  }
  model.train(was_training);
  torch::NoGradGuard no_grad;
  size_t k = 0;
  for (auto& b : model.buffers()) b.copy_(buffers[k++]);
  k = 0;
  for (auto& p : model.parameters()) p.mutable_grad() = grads[k++];
  return seconds;
}

}  // namespace

nlohmann::json measure_activation_cost(NetworkImpl& model, const std::string& activation,
                                       int64_t batch_size, torch::Device device, int repeats) {
  const auto shapes = activation_shapes(model, batch_size, device);
  std::vector<torch::Tensor> inputs;
  int64_t elements = 0;
  for (const auto& shape : shapes) {
    inputs.push_back(spread(shape, device));
    elements += inputs.back().numel();
  }
  Activation subject(activation), relu("relu");
  subject->to(device);
  auto pass = [&inputs](ActivationImpl& f) {
    for (const auto& input : inputs) {
      const auto x = input.detach().requires_grad_(true);
      const auto y = f.forward(x);
      y.backward(torch::ones_like(y));
    }
  };
  // Interleaved rounds: drifts of a shared machine hit both alike; the first round warms up.
  std::vector<double> subject_seconds, relu_seconds;
  for (int r = 0; r <= repeats; ++r) {
    const double s = seconds_of([&] { pass(*subject); });
    const double t = seconds_of([&] { pass(*relu); });
    if (r > 0) {
      subject_seconds.push_back(s);
      relu_seconds.push_back(t);
    }
  }
  const double subject_pass = median(subject_seconds);
  const double relu_pass = median(relu_seconds);
  const double step = median(model_step_seconds(model, batch_size, device, repeats));
  return {
      {"activation", subject->spec()},
      {"cost_batch_size", batch_size},
      {"cost_activation_layers", static_cast<int64_t>(shapes.size())},
      {"cost_elements_per_step", elements},
      {"cost_repeats", repeats},
      {"activation_cost_ns_per_element", subject_pass / static_cast<double>(elements) * 1e9},
      {"relu_cost_ns_per_element", relu_pass / static_cast<double>(elements) * 1e9},
      {"activation_cost_vs_relu", subject_pass / relu_pass},
      {"activation_seconds_per_step", subject_pass},
      {"step_forward_backward_seconds", step},
      {"activation_share_of_step", subject_pass / step},
  };
}

void ActivationCostHook::on_start(const TrainingContext& context) {
  // A resumed run keeps its measurement (and draws no random numbers the loop would then miss).
  if (context.resumed && std::filesystem::exists(dir_ / record_file::kActivationCost)) return;
  const int64_t batch_size = std::min(context.config.batch_size, context.train_images.size());
  auto record = measure_activation_cost(*context.model, context.config.model_options.activation,
                                        batch_size, context.device);
  write_file_atomic(dir_ / record_file::kActivationCost, record.dump(2) + "\n");
}

}  // namespace actlab
