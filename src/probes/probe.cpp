#include "src/probes/probe.h"

#include <torch/torch.h>

#include <map>

#include "src/probes/layer_binding.h"

namespace actlab {

namespace {

// Puts back batch-norm running statistics and the train/eval mode when the probe ends.
class ModelStateGuard {
 public:
  explicit ModelStateGuard(NetworkImpl& model) : model_(model), was_training_(model.is_training()) {
    for (const auto& buffer : model.buffers()) saved_.push_back(buffer.clone());
  }
  ~ModelStateGuard() {
    torch::NoGradGuard no_grad;
    auto buffers = model_.buffers();
    for (size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(saved_[i]);
    model_.train(was_training_);
  }

 private:
  NetworkImpl& model_;
  bool was_training_;
  std::vector<torch::Tensor> saved_;
};

// Clears the activation observers however the probe ends.
struct ObserverGuard {
  std::vector<ProbedLayer>& layers;
  ~ObserverGuard() {
    for (auto& layer : layers) layer.activation->set_observer(nullptr);
  }
};

// The distinct defined tensors among `tensors`, and each input's position in that list.
std::pair<std::vector<torch::Tensor>, std::vector<int>> unique_tensors(
    const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> unique;
  std::vector<int> position;
  std::map<const void*, int> seen;
  for (const auto& t : tensors) {
    if (!t.defined()) {
      position.push_back(-1);
      continue;
    }
    auto [it, inserted] = seen.emplace(t.unsafeGetTensorImpl(), static_cast<int>(unique.size()));
    if (inserted) unique.push_back(t);
    position.push_back(it->second);
  }
  return {unique, position};
}

// true (as a bool scalar on t's device, no host sync) when every element of t is finite, and-ed
// into `all`.
void and_finite(torch::Tensor& all, const torch::Tensor& t) {
  const auto finite = torch::isfinite(t).all();
  all = all.defined() ? all.logical_and(finite) : finite;
}

}  // namespace

std::vector<nlohmann::json> probe_layers(NetworkImpl& model, const torch::Tensor& images,
                                         const torch::Tensor& labels, const ProbeSettings& settings,
                                         ProbeMemory* memory) {
  std::vector<ProbedLayer> layers = bind_layers(model);
  std::vector<const QuantityDefinition*> definitions;
  bool per_image = false;
  for (const auto& definition : quantity_registry().all()) {
    if (definition.level <= settings.level) {
      definitions.push_back(&definition);
      per_image = per_image || definition.needs_per_image_grads;
    }
  }
  std::vector<std::vector<std::unique_ptr<LayerQuantity>>> quantities(layers.size());
  std::vector<double> max_abs_derivative(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    for (const auto* definition : definitions) quantities[i].push_back(definition->make());
    max_abs_derivative[i] = layers[i].activation->max_abs_derivative();
  }
  // Per layer: x, f(x) and dL/da finite on every chunk so far; and the probe loss finite.
  std::vector<torch::Tensor> finite(layers.size());
  torch::Tensor loss_finite;

  ModelStateGuard state_guard(model);
  ObserverGuard observer_guard{layers};
  model.train();

  for (size_t i = 0; i < layers.size(); ++i) {
    layers[i].activation->set_observer([&, i](const torch::Tensor& x, const torch::Tensor& a) {
      const auto derivative = layers[i].activation->derivative(x.detach());
      const ForwardChunk chunk{x.detach(), a.detach(), derivative, derivative.abs(),
                               max_abs_derivative[i]};
      and_finite(finite[i], chunk.x);
      and_finite(finite[i], chunk.a);
      for (auto& quantity : quantities[i]) quantity->add_forward(chunk);
      if (a.requires_grad()) {
        a.register_hook([&, i](const torch::Tensor& grad) {
          and_finite(finite[i], grad);
          for (auto& quantity : quantities[i]) quantity->add_backward(grad);
        });
      }
    });
  }

  // Pass 1: every probe image, in chunks; gradients of the mean loss over the whole probe set.
  std::vector<torch::Tensor> feeding;
  for (const auto& layer : layers) feeding.push_back(layer.feeding_weight);
  const auto [feeding_unique, feeding_position] = unique_tensors(feeding);
  std::vector<torch::Tensor> feeding_grads(feeding_unique.size());
  const int64_t count = images.size(0);
  for (int64_t begin = 0; begin < count; begin += settings.chunk_size) {
    const auto chunk_images = images.slice(0, begin, begin + settings.chunk_size);
    const auto chunk_labels = labels.slice(0, begin, begin + settings.chunk_size);
    const auto logits = model.forward(chunk_images);
    const auto loss = torch::cross_entropy_loss(logits, chunk_labels, {}, at::Reduction::Sum) /
                      static_cast<double>(count);
    and_finite(loss_finite, loss);
    const auto grads = torch::autograd::grad({loss}, feeding_unique, {}, /*retain_graph=*/false,
                                             /*create_graph=*/false, /*allow_unused=*/true);
    for (size_t k = 0; k < grads.size(); ++k) {
      if (!grads[k].defined()) continue;
      feeding_grads[k] = feeding_grads[k].defined() ? feeding_grads[k] + grads[k] : grads[k];
    }
  }
  for (auto& layer : layers) layer.activation->set_observer(nullptr);

  // Pass 2: single-image gradients of the consuming layers, on the first probe images.
  std::vector<std::vector<torch::Tensor>> per_image_grads(layers.size());
  if (per_image && settings.same_sign_images > 0) {
    std::vector<torch::Tensor> consumers;
    for (const auto& layer : layers) consumers.push_back(layer.consumer_weight);
    const auto [consumer_unique, consumer_position] = unique_tensors(consumers);
    const int64_t n = std::min(settings.same_sign_images, count);
    const auto logits = model.forward(images.slice(0, 0, n));
    const auto losses =
        torch::cross_entropy_loss(logits, labels.slice(0, 0, n), {}, at::Reduction::None);
    for (int64_t image = 0; image < n; ++image) {
      const auto grads =
          torch::autograd::grad({losses[image]}, consumer_unique, {},
                                /*retain_graph=*/image + 1 < n, false, /*allow_unused=*/true);
      for (size_t i = 0; i < layers.size(); ++i) {
        const int k = consumer_position[i];
        if (k >= 0 && grads[k].defined()) per_image_grads[i].push_back(grads[k]);
      }
    }
  }

  ProbeMemory no_earlier_probes;
  ProbeMemory& kept = memory ? *memory : no_earlier_probes;
  const bool network_finite = loss_finite.defined() && loss_finite.item<bool>();
  std::vector<nlohmann::json> records;
  for (size_t i = 0; i < layers.size(); ++i) {
    const bool layer_finite = network_finite && finite[i].defined() && finite[i].item<bool>();
    nlohmann::json record = {{"layer", layers[i].name},
                             {"index", layers[i].index},
                             {"activation", layers[i].activation->spec()},
                             {"feeding_layer", layers[i].feeding_name},
                             {"consumer_layer", layers[i].consumer_name},
                             {"finite", layer_finite}};
    if (!layer_finite) {
      // NaN reads as "dead" under f' < 1e-8 for some activations and "alive" for others: a
      // non-finite layer has no quantities at all.
      for (const auto* definition : definitions) {
        for (const auto& name : definition->fields) record[name] = nullptr;
      }
      records.push_back(std::move(record));
      continue;
    }
    LayerGradients gradients;
    if (feeding_position[i] >= 0)
      gradients.feeding_weight_grad = feeding_grads[feeding_position[i]];
    gradients.consumer_grad_per_image = std::move(per_image_grads[i]);
    for (size_t q = 0; q < definitions.size(); ++q) {
      quantities[i][q]->carry(kept[layers[i].name + "/" + definitions[q]->name]);
      quantities[i][q]->write(gradients, record);
    }
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace actlab
