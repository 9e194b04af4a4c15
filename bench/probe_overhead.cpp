// Probe cost, measured side by side in one run: training throughput with probes off, cheap and
// full on krizhevsky4 and ResNet-20, and the overhead extrapolated to the default schedule (one
// probe of 1,000 images per epoch of 50,000 images, batch 128).
//
// Usage: actlab_bench_probes [--data DIR] [--steps N] [--repeats R] [--model krizhevsky4|resnet]
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>

#include "src/probes/probe_hook.h"
#include "src/train/trainer.h"

namespace {

using namespace actlab;

struct Measurement {
  double step_seconds = 0;        // training step time, per-step probe statistics included
  double probe_seconds = 0;       // one probe pass (epoch-end)
  double step_probe_seconds = 0;  // per-step statistics, per step
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

Measurement measure(TrainConfig config, const std::string& level) {
  config.probe = level;
  config = resolve(config);
  struct Throughput : TrainingHook {
    double images_per_second = 0;
    void on_evaluation(const TrainingContext&, const EpochMetrics& m) override {
      if (m.epoch > 0) images_per_second = m.images_per_second;
    }
  } throughput;
  const auto dir = std::filesystem::temp_directory_path() / "actlab-bench-probes";
  std::filesystem::create_directories(dir);
  std::FILE* quiet = std::fopen("/dev/null", "w");
  ProbeHook probes(dir, quiet);
  std::vector<TrainingHook*> hooks = {&throughput};
  if (level != "off") hooks.push_back(&probes);
  const RunSummary summary = train(config, hooks);
  std::fclose(quiet);
  Measurement m;
  m.step_seconds = config.batch_size / throughput.images_per_second;
  if (level != "off") {
    m.probe_seconds = probes.probe_seconds() / probes.probes_run();
    m.step_probe_seconds = probes.step_seconds() / summary.steps;
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data = "data/cifar-10-batches-bin";
  int steps = 20, repeats = 3;
  std::string only_model;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--data")) data = argv[i + 1];
    if (!std::strcmp(argv[i], "--steps")) steps = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--repeats")) repeats = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--model")) only_model = argv[i + 1];
  }
  constexpr int kDefaultStepsPerEpoch = 50000 / 128;
  fmt::print(
      "probe overhead: {} steps of batch 128 per run, {} repeats interleaved, medians; "
      "{} threads\n\n",
      steps, repeats, resolve(TrainConfig{}).threads);
  fmt::print("{:<12} {:<6} {:>10} {:>9} {:>12} {:>12} {:>16}\n", "model", "probe", "img/s",
             "vs off", "probe pass", "per step", "default-epoch");
  for (const std::string model : {"krizhevsky4", "resnet"}) {
    if (!only_model.empty() && model != only_model) continue;
    TrainConfig config;
    config.data_dir = data;
    config.model = model;
    config.model_options.batch_norm = model == "resnet";
    config.train_subset = steps * 128;
    config.test_subset = 100;
    config.train_eval_images = 100;
    config.epochs = 1;
    config.augment = false;
    std::map<std::string, std::vector<Measurement>> runs;
    for (int r = 0; r < repeats; ++r) {
      for (const char* level : {"off", "cheap", "full"})
        runs[level].push_back(measure(config, level));
    }
    auto pick = [&](const std::string& level, double Measurement::*field) {
      std::vector<double> values;
      for (const auto& m : runs[level]) values.push_back(m.*field);
      return median(values);
    };
    const double off_step = pick("off", &Measurement::step_seconds);
    for (const char* level : {"off", "cheap", "full"}) {
      const double step = pick(level, &Measurement::step_seconds);
      const double probe = pick(level, &Measurement::probe_seconds);
      // Overhead of one default epoch: its probe pass plus the per-step statistics (timed inside
      // the hook; throughput differences of a few percent drown in this machine's noise), over
      // the epoch's training time with probes off.
      const double overhead =
          pick(level, &Measurement::step_probe_seconds) * kDefaultStepsPerEpoch + probe;
      fmt::print("{:<12} {:<6} {:>10.0f} {:>8.3f}x {:>11.2f}s {:>10.2f}ms {:>15.1f}%\n",
                 model == "resnet" ? "resnet-20" : model, level, 128 / step, off_step / step, probe,
                 pick(level, &Measurement::step_probe_seconds) * 1e3,
                 100 * overhead / (off_step * kDefaultStepsPerEpoch));
    }
  }
  fmt::print(
      "\ndefault-epoch: (probe pass + per-step cost x {} steps) / training time of a "
      "50,000-image epoch with probes off. Target for cheap: <= 5%.\n",
      kDefaultStepsPerEpoch);
  return 0;
}
