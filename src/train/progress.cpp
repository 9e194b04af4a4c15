#include "src/train/progress.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "src/train/device_data.h"

namespace actlab {

std::string format_duration(double seconds) {
  const auto total = static_cast<int64_t>(std::llround(std::max(0.0, seconds)));
  if (total >= 3600)
    return fmt::format("{}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60);
  return fmt::format("{}:{:02}", total / 60, total % 60);
}

bool is_interactive(std::FILE* stream) {
  const char* term = std::getenv("TERM");
  return ::isatty(::fileno(stream)) == 1 && std::getenv("CI") == nullptr &&
         !(term != nullptr && std::strcmp(term, "dumb") == 0);
}

ProgressPrinter::ProgressPrinter(std::FILE* stream)
    : stream_(stream), live_(is_interactive(stream)) {}

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

void ProgressPrinter::after_step(const TrainingContext& context) {
  if (!live_) return;
  const auto now = Clock::now();
  if (context.epoch != epoch_) {  // the first step of an epoch draws at once
    epoch_ = context.epoch;
    epoch_start_ = now;
    last_draw_ = now - std::chrono::hours(1);
  }
  if (now - last_draw_ < std::chrono::milliseconds(500)) return;
  last_draw_ = now;
  // The same step count the loop uses: full batches only.
  const int64_t size = context.train_images.size();
  const int64_t batch = std::min(context.config.batch_size, size);
  const int64_t steps_per_epoch = std::max<int64_t>(1, size / batch);
  const int64_t step_in_epoch = context.step - (context.epoch - 1) * steps_per_epoch;
  const double seconds = std::chrono::duration<double>(now - epoch_start_).count();
  // The first step's time is not measured (the clock starts at it), hence step_in_epoch - 1.
  const double steps_per_second = step_in_epoch > 1 ? (step_in_epoch - 1) / seconds : 0;
  const std::string eta =
      steps_per_second > 0 ? format_duration((steps_per_epoch - step_in_epoch) / steps_per_second)
                           : "?";
  fmt::print(stream_, "\r\033[Kepoch {}/{}  step {}/{}  {:.0f} img/s  epoch ETA {}", context.epoch,
             context.config.epochs, step_in_epoch, steps_per_epoch, steps_per_second * batch, eta);
  std::fflush(stream_);
  live_line_shown_ = true;
}

void ProgressPrinter::clear_live_line() {
  if (!live_line_shown_) return;
  fmt::print(stream_, "\r\033[K");
  live_line_shown_ = false;
}

void ProgressPrinter::on_evaluation(const TrainingContext& context, const EpochMetrics& m) {
  clear_live_line();
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
  clear_live_line();
  fmt::print(stream_, "{}: best test error {:.4f} (epoch {}), final {:.4f}, {} steps in {}\n",
             to_string(summary.status), summary.best_test_error, summary.best_epoch,
             summary.final_test_error, summary.steps, format_duration(summary.total_seconds));
  std::fflush(stream_);
}

}  // namespace actlab
