#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "models/network.h"

namespace actlab {

// Everything one `actlab train` run needs; config.json records it fully resolved.
struct TrainConfig {
  // --- model
  std::string model = "krizhevsky4";  // registered model name (`actlab list models`)
  ModelOptions model_options;         // activation, batch norm, init, bias, depth, width, skip

  // --- data
  std::string data_dir = "data/cifar-10-batches-bin";  // prepared CIFAR-10 binary layout
  int64_t train_subset = 0;  // class-balanced training subset size; 0 = all 50,000
  int64_t test_subset = 0;   // class-balanced test subset size; 0 = all 10,000
  uint64_t subset_seed = 0;  // picks the subsets; fixed so that seeds compare on the same images
  bool augment = true;       // random crop (4-pixel zero padding) + horizontal flip
  int64_t train_eval_images = 10000;  // training images the per-epoch train error is measured on
  int evals_per_epoch = 1;  // evaluations per epoch (train error, test error); N - 1 inside it
  // --partial-data: accept a data folder whose splits are not 50,000 / 10,000 images.
  bool partial_data = false;
  // What the network sees: "standardise" = (pixel - channel mean) / channel std of the training
  // images; "cuda_convnet" = float pixels on the 0-255 scale minus the training images' mean image
  // (per pixel and channel, no division), as cuda-convnet's CIFAR data provider feeds them.
  std::string input_preprocessing = "standardise";

  // --- optimisation
  int epochs = 10;
  int64_t batch_size = 128;
  std::string optimizer = "sgd";      // sgd | adam | adamw
  double lr = 0.01;                   // peak learning rate
  double momentum = 0.9;              // SGD momentum
  bool nesterov = false;              // SGD Nesterov momentum
  double weight_decay = 0.0;          // L2 (sgd, adam) or decoupled (adamw)
  std::string schedule = "constant";  // constant | step | cosine
  int step_epochs = 30;  // step schedule: multiply the rate by step_gamma every N epochs
  double step_gamma = 0.1;
  double warmup_epochs = 0.0;  // linear warm-up from 0 over this many epochs (fractions allowed)
  double clip_norm = 0.0;      // clip gradients to this global L2 norm; 0 = off

  // --- execution
  uint64_t seed = 0;            // weights, shuffling and augmentation
  std::string device = "auto";  // auto | cpu | cuda | cuda:N
  int threads = 0;              // CPU intra-op threads; 0 = all cores
  bool bf16 = false;            // bf16 autocast (CUDA, or a CPU with native bf16)
  // Flush subnormal floats to zero on the CPU (at::globalContext().setFlushDenormal): tanh and
  // sigmoid nets with tiny weights otherwise run much of their arithmetic on slow subnormals.
  bool flush_denormal = false;
  // Convolution weights in channels-last (NHWC) memory, so that oneDNN's convolutions (and the
  // activations between them) run channels-last; the same numbers up to float rounding.
  bool channels_last = false;
  // cuDNN (CUDA only): time the convolution algorithms per shape and keep the fastest;
  // use deterministic algorithms only. Set for the run by apply_cuda_settings().
  bool cudnn_benchmark = false;
  bool cudnn_deterministic = false;
  std::string out_dir = "runs/train";
  bool tensorboard = false;  // also write a TensorBoard event file into out_dir (sweeps: on)
  // Before training: the activation's forward + backward cost against relu's, side by side, and
  // its share of a step (DIR/activation_cost.json).
  bool measure_activation_cost = false;
  bool checkpoints = true;             // DIR/checkpoint.pt after every epoch (CLI runs)
  int64_t checkpoint_every_steps = 0;  // also every K steps; 0 = at epoch ends only

  // --- probes (src/probes)
  std::string probe = "cheap";  // off | cheap | full (cheap: all but histograms and update ratios)
  int64_t probe_images = 1000;  // fixed training images the per-layer probes run on
  int64_t probe_every_steps = 0;          // also probe after every K steps; 0 = at evaluations only
  int64_t probe_same_sign_images = 32;    // images for the single-image same-sign gradients
  int64_t probe_update_ratio_every = 50;  // full: ||dW|| / ||W|| every N steps
  bool probe_per_step = false;

  // --- convergence: when each metric first reaches its value (summary.json "targets")
  std::vector<std::string> targets = {"train_error=0.25", "test_error=0.5"};
  // Stop early: "METRIC<=VALUE" (e.g. "train_error<=0.25"; metrics as for targets); the run ends,
  // completed, `stop_patience` evaluations after the first one at or below VALUE. "" (or "off",
  // which resolve() turns into "") = run every epoch.
  std::string stop_when;
  int stop_patience = 0;
  bool overwrite = false;  // replace an earlier run in out_dir
};

// Throws Error naming the field and the valid values for any bad value; fills model defaults.
TrainConfig resolve(TrainConfig config);

nlohmann::json to_json(const TrainConfig& config);
// The inverse of to_json (config.json, a checkpoint's configuration); throws Error naming a
// missing or mistyped field.
TrainConfig config_from_json(const nlohmann::json& record);

// Whether a resumed run may change config.json's `field` (where things are and how many threads
// run them), as its declaration says (src/train/train_option_list.h).
bool may_differ_on_resume(const std::string& field);

}  // namespace actlab
