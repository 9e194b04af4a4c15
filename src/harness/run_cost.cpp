#include "src/harness/run_cost.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <ctime>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "src/core/compat.h"
#include "src/harness/experiment_reading.h"
#include "src/probes/probe.h"
#include "src/train/config.h"
#include "src/train/optimizer.h"
#include "src/train/process_setup.h"
#include "src/train/trainer.h"

namespace actlab {

namespace {

constexpr int64_t kCifarTrainImages = 50000, kCifarTestImages = 10000;
constexpr int64_t kEvalTiming = 250;  // images the evaluation is timed on, per image
// Reading, decoding and normalising the data and writing the first records, per run (measured:
// 1.5 to 3 s for all 60,000 images on this project's 2-core machines).
constexpr double kStartSeconds = 3;

// The median of `body`'s seconds over at least `repeats` calls after one warm-up call, going on
// (up to 25 calls) until 0.2 s have been timed. Seconds of this process's CPU time divided by
// its threads, not wall time: other load on the machine (a sweep beside the dry run) moves it
// less, though not to nothing (shared caches, a virtual machine's steal time), and on an idle
// machine the two agree (LibTorch's threads spin while they wait).
double median_seconds(const std::function<void()>& body, int repeats = 3) {
  auto cpu_seconds = [] {
    timespec now{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
  };
  const double threads = at::get_num_threads();
  body();
  std::vector<double> seconds;
  double total = 0;
  while (seconds.size() < static_cast<size_t>(repeats) || (total < 0.2 && seconds.size() < 25)) {
    const double start = cpu_seconds();
    body();
    seconds.push_back((cpu_seconds() - start) / threads);
    total += seconds.back();
  }
  std::nth_element(seconds.begin(), seconds.begin() + seconds.size() / 2, seconds.end());
  return seconds[seconds.size() / 2];
}

struct Timing {
  double step_seconds = 0;        // one training step at the run's batch size
  double eval_image_seconds = 0;  // the evaluation's forward pass, per image
  double probe_seconds = 0;       // one probe of the run's probe images (0: probes off)
};

// The fields of config.json a step's, an evaluation's or a probe's cost depends on.
std::string cost_key(const TrainConfig& config) {
  const auto json = to_json(config);
  nlohmann::json key;
  // train_subset: a subset smaller than a batch makes the timed batch smaller.
  for (const char* field : {"model", "activation", "batch_norm", "depth", "width", "skip", "preact",
                            "batch_size", "train_subset", "optimizer", "bf16", "channels_last",
                            "device", "probe", "probe_images", "probe_same_sign_images"}) {
    if (json.contains(field)) key[field] = json[field];
  }
  return key.dump();
}

// LibTorch's intra-op threads for a scope, restored when it ends (also when a timing throws).
class ThreadsScope {
 public:
  explicit ThreadsScope(int threads) : before_(at::get_num_threads()) {
    at::set_num_threads(threads);
  }
  ~ThreadsScope() { at::set_num_threads(before_); }
  ThreadsScope(const ThreadsScope&) = delete;
  ThreadsScope& operator=(const ThreadsScope&) = delete;

 private:
  int before_;
};

// Times `config`'s step, evaluation and probe here, with `threads` threads. Every timed body
// ends by copying a value to the host, so on a GPU it waits for its kernels (launches return at
// once; the copy runs after everything queued before it).
Timing measure(const TrainConfig& config, int threads, int64_t train_images, int64_t test_images,
               int64_t probe_images) {
  const torch::Device device = resolve_device(config.device);
  ThreadsScope threads_scope(threads);
  const auto options = torch::TensorOptions().device(device);
  auto model = build_model(config.model, config.model_options);
  model->to(device);
  apply_memory_format(*model, config);  // as the run does
  auto optimizer = make_optimizer(config, model->parameters());
  const int64_t batch = std::min(config.batch_size, train_images);
  const auto images = torch::randn({batch, 3, 32, 32}, options);
  const auto labels = torch::randint(0, 10, {batch}, options.dtype(torch::kLong));
  auto forward = [&](const torch::Tensor& x) {
    compat::AutocastScope autocast(device.type(), config.bf16);
    return model->forward(x).to(torch::kFloat32);
  };
  Timing timing;
  model->train();
  timing.step_seconds = median_seconds([&] {
    optimizer->zero_grad();
    const auto loss = torch::cross_entropy_loss(forward(images), labels);
    loss.backward();
    optimizer->step();
    model->parameters().front().sum().item<float>();  // waits for the update on a GPU
  });
  const auto eval_images = torch::randn({std::min(kEvalTiming, test_images), 3, 32, 32}, options);
  model->eval();
  timing.eval_image_seconds = median_seconds([&] {
                                torch::NoGradGuard no_grad;
                                forward(eval_images).argmax(1).sum().item<int64_t>();
                              }) /
                              static_cast<double>(eval_images.size(0));
  model->train();
  if (config.probe != "off") {
    ProbeSettings settings;
    settings.level = parse_probe_level(config.probe);
    settings.same_sign_images = config.probe_same_sign_images;
    const auto probe_set = torch::randn({probe_images, 3, 32, 32}, options);
    const auto probe_labels = torch::randint(0, 10, {probe_images}, options.dtype(torch::kLong));
    timing.probe_seconds = median_seconds(
        [&] { probe_layers(*model, probe_set, probe_labels, settings); }, /*repeats=*/1);
  }
  return timing;
}

}  // namespace

RunCost estimate_run_cost(const RunSpec& run, int threads) {
  static std::map<std::string, Timing> timings;  // by cost_key and threads
  TrainConfig config = resolve(experiment_reading::parse_train_arguments(train_arguments(run)));
  config.threads = threads;
  const int64_t train_images = config.train_subset > 0 ? config.train_subset : kCifarTrainImages;
  const int64_t test_images = config.test_subset > 0 ? config.test_subset : kCifarTestImages;
  const int64_t probe_images = std::min(config.probe_images, train_images);
  const std::string key = cost_key(config) + std::to_string(threads);
  if (!timings.count(key))
    timings[key] = measure(config, threads, train_images, test_images, probe_images);
  const Timing& timing = timings.at(key);
  const int64_t batch = std::min(config.batch_size, train_images);
  const double steps = static_cast<double>(config.epochs) * (train_images / batch);
  const double evaluations = 1.0 + config.epochs * config.evals_per_epoch;
  // train_eval_images 0 evaluates on every training image (evaluation.cpp).
  const int64_t train_eval_images = config.train_eval_images == 0
                                        ? train_images
                                        : std::min(config.train_eval_images, train_images);
  const double eval_images = static_cast<double>(train_eval_images + test_images);
  double probes = config.probe == "off" ? 0 : config.epochs + 1.0;
  if (config.probe != "off" && config.probe_every_steps > 0)
    probes += std::floor(steps / static_cast<double>(config.probe_every_steps));
  RunCost cost;
  cost.seconds = kStartSeconds + steps * timing.step_seconds +
                 evaluations * eval_images * timing.eval_image_seconds +
                 probes * timing.probe_seconds;
  cost.at_most = !config.stop_when.empty();
  return cost;
}

double print_stage_estimate(const std::vector<const RunSpec*>& runs, int threads, int jobs) {
  if (runs.empty()) return 0;
  double seconds = 0, longest = 0;
  bool at_most = false;
  try {
    for (const auto* run : runs) {
      const RunCost cost = estimate_run_cost(*run, threads);
      seconds += cost.seconds;
      longest = std::max(longest, cost.seconds);
      at_most = at_most || cost.at_most;
    }
  } catch (const std::exception& error) {  // e.g. a CUDA run listed on a machine without CUDA
    fmt::print("no estimate: {}\n", error.what());
    return 0;
  }
  // `jobs` at a time, and never less than its longest run.
  const double wall = std::max(longest, seconds / std::max(1, jobs));
  fmt::print("estimated{}: {} of run time ({} run{}, {} thread{} each), {} wall with --jobs {}\n",
             at_most ? " (at most: --stop-when may end runs sooner)" : "", format_estimate(seconds),
             runs.size(), runs.size() == 1 ? "" : "s", threads, threads == 1 ? "" : "s",
             format_estimate(wall), jobs);
  return wall;
}

std::string format_estimate(double seconds) {
  if (seconds >= 3600) return fmt::format("{:.1f} h", seconds / 3600);
  if (seconds >= 60) return fmt::format("{:.0f} min", seconds / 60);
  return fmt::format("{:.0f} s", seconds);
}

}  // namespace actlab
