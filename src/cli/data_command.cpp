#include <fmt/format.h>

#include <chrono>

#include "data/cifar10.h"
#include "data/manifest.h"
#include "data/prepare.h"
#include "src/cli/commands.h"

namespace actlab::cli {

namespace {

using Subcommands = std::vector<std::pair<CLI::App*, Action>>;

void add_prepare(CLI::App& data, Subcommands& actions) {
  auto* prepare = data.add_subcommand(
      "prepare",
      "Write the CIFAR-10 binary layout (data_batch_1..5.bin, test_batch.bin) from the official "
      "cifar-10-binary.tar.gz, an image-folder archive (train/<class>/*.jpg, test/...), or either "
      "unpacked, and manifest.json (source, counts, sha256 per file, fingerprint). Later runs "
      "then load all 60,000 images in about a second.");
  struct Options {
    std::string from;
    std::string to = "data/cifar-10-batches-bin";
    bool partial = false;
  };
  auto options = std::make_shared<Options>();
  prepare->add_option("--from", options->from, "archive (.tar.gz) or folder")->required();
  prepare->add_option("--to", options->to, "output folder")->capture_default_str();
  prepare->add_flag("--partial-data", options->partial,
                    "accept splits that are not CIFAR-10's 50,000 / 10,000 images (5,000 / 1,000 "
                    "per class)");
  actions.emplace_back(prepare, [options] {
    const auto start = std::chrono::steady_clock::now();
    fmt::print("preparing CIFAR-10 from {} ...\n", options->from);
    std::fflush(stdout);
    const PrepareReport report =
        prepare_cifar10(options->from, options->to, PrepareOptions{options->partial});
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print("wrote {} training and {} test images ({}) to {} in {:.1f} s\n", report.train_images,
               report.test_images, report.source, options->to, seconds);
    fmt::print("fingerprint {} (content {}), in {}/{}\n", report.fingerprint,
               report.content_fingerprint, options->to, kDataManifestFile);
    return 0;
  });
}

void add_fingerprint(CLI::App& data, Subcommands& actions) {
  auto* fingerprint = data.add_subcommand(
      "fingerprint",
      "Hash a prepared folder's batch files as config.json records it (also for folders made "
      "by other tools, e.g. shared/tools/cifar10_jpeg_to_bin.py): the files fingerprint and the "
      "order-free content fingerprint");
  auto dir = std::make_shared<std::string>("data/cifar-10-batches-bin");
  fingerprint->add_option("dir", *dir, "prepared folder")->capture_default_str();
  actions.emplace_back(fingerprint, [dir] {
    const auto folder = find_cifar10_dir(*dir);
    fmt::print("fingerprint {}\ncontent_fingerprint {}\n", data_files_fingerprint(folder),
               data_content_fingerprint(folder));
    return 0;
  });
}

}  // namespace

Action add_data_command(CLI::App& app) {
  auto* data = app.add_subcommand("data", "Prepare datasets");
  data->require_subcommand(1);
  auto actions = std::make_shared<Subcommands>();
  add_prepare(*data, *actions);
  add_fingerprint(*data, *actions);
  return [actions] {
    for (auto& [command, action] : *actions) {
      if (command->parsed()) return action();
    }
    return 0;
  };
}

}  // namespace actlab::cli
