#include <fmt/format.h>

#include <chrono>

#include "data/prepare.h"
#include "src/cli/commands.h"

namespace actlab::cli {

Action add_data_command(CLI::App& app) {
  auto* data = app.add_subcommand("data", "Prepare datasets");
  data->require_subcommand(1);
  auto* prepare = data->add_subcommand(
      "prepare",
      "Write the CIFAR-10 binary layout (data_batch_1..5.bin, test_batch.bin) from the official "
      "cifar-10-binary.tar.gz, an image-folder archive (train/<class>/*.jpg, test/...), or either "
      "unpacked. Later runs then load all 60,000 images in about a second.");
  struct Options {
    std::string from;
    std::string to = "data/cifar-10-batches-bin";
  };
  auto options = std::make_shared<Options>();
  prepare->add_option("--from", options->from, "archive (.tar.gz) or folder")->required();
  prepare->add_option("--to", options->to, "output folder")->capture_default_str();
  return [options] {
    const auto start = std::chrono::steady_clock::now();
    fmt::print("preparing CIFAR-10 from {} ...\n", options->from);
    std::fflush(stdout);
    const PrepareReport report = prepare_cifar10(options->from, options->to);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print("wrote {} training and {} test images ({}) to {} in {:.1f} s\n", report.train_images,
               report.test_images, report.source, options->to, seconds);
    return 0;
  };
}

}  // namespace actlab::cli
