#include "src/train/progress.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>

#include "src/train/device_data.h"

namespace actlab {

std::string format_duration(double seconds) {
  const auto total = static_cast<int64_t>(std::llround(std::max(0.0, seconds)));
  if (total >= 3600)
    return fmt::format("{}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60);
  return fmt::format("{}:{:02}", total / 60, total % 60);
}

void ProgressPrinter::on_start(const TrainingContext& context) {
  const auto& c = context.config;
  fmt::print(stream_,
             "actlab train: {} / {}{} | {} params | {} train, {} test images | {} | {} threads | "
             "{} lr {} | batch {} | {} epochs\n",
             c.model, c.model_options.activation, c.model_options.batch_norm ? " + batch norm" : "",
             context.model->parameter_count(), context.train_images.size(),
             context.test_images.size(), context.device.str(), at::get_num_threads(), c.optimizer,
             c.lr, c.batch_size, c.epochs);
  std::fflush(stream_);
}

void ProgressPrinter::on_evaluation(const TrainingContext& context, const EpochMetrics& m) {
  const int epochs = context.config.epochs;
  std::string speed, eta;
  if (m.epoch_end && m.epoch > 0) speed = fmt::format("  {:>6.0f} img/s", m.images_per_second);
  if (m.position > 0) {
    eta = fmt::format("  ETA {}", format_duration(m.seconds / m.position * (epochs - m.position)));
  }
  // Evaluations inside an epoch (--evals-per-epoch) show the fractional position.
  const std::string label =
      m.epoch_end ? fmt::format("{}", m.epoch) : fmt::format("{:.2f}", m.position);
  fmt::print(
      stream_,
      "epoch {:>{}}/{}  train_loss {:.4f}  train_err {:.4f}  test_loss {:.4f}  test_err {:.4f}"
      "  lr {:.4g}{}  elapsed {}{}\n",
      label, fmt::formatted_size("{}", epochs), epochs, m.train_loss, m.train_error, m.test_loss,
      m.test_error, m.lr, speed, format_duration(m.seconds), eta);
  std::fflush(stream_);
}

void ProgressPrinter::on_finish(const TrainingContext&, const RunSummary& summary) {
  fmt::print(stream_, "{}: best test error {:.4f} (epoch {}), final {:.4f}, {} steps in {}\n",
             summary.status, summary.best_test_error, summary.best_epoch, summary.final_test_error,
             summary.steps, format_duration(summary.total_seconds));
  std::fflush(stream_);
}

}  // namespace actlab
