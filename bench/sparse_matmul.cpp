// The sparse-kernel argument ("ReLU's zeros let sparse-matrix operators speed the net up"),
// measured: the layer after a ReLU computed dense against LibTorch's sparse formats, side by side
// and interleaved in one process, at zero shares from what ReLU codes have (about 0.5 to 0.7) to
// 0.99, and the share at which sparse starts to win on this CPU.
//
// The layers: krizhevsky4's conv2 (5x5, 32 -> 32, pad 2, on a batch of 128 16x16 maps) and its
// classifier ([128, 1024] x [1024, 10]). Dense is what training runs: the convolution itself
// (oneDNN) and the dense product. A sparse kernel needs the convolution as a matrix product, the
// im2col matrix [batch x positions, in x 5 x 5] times the weights; "csr" and "coo" time that
// product alone (the matrix already sparse, an unreachable best case), "+convert" adds what a real
// layer pays on every step: unfolding the dense ReLU output and turning it into CSR. The zeros
// are placed at random, a share s of the entries.
//
// Usage: actlab_bench_sparse [--repeats R] [--threads T]
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace {

double seconds(const std::function<void()>& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// A layer that takes a ReLU code `code`: its dense computation, and the matrix a sparse kernel
// would multiply (im2col for a convolution, the code itself for a fully connected layer).
struct Layer {
  std::string name;
  std::function<torch::Tensor(const torch::Tensor&)> dense;
  std::function<torch::Tensor(const torch::Tensor&)> as_matrix;
  torch::Tensor weight_matrix;  // [inner, outputs]
  std::vector<int64_t> code_shape;
};

// Median seconds of each way, the ways interleaved within each repeat.
std::vector<double> time_ways(const Layer& layer, const torch::Tensor& code, int repeats) {
  const auto matrix = layer.as_matrix(code);
  const auto csr = matrix.to_sparse_csr();
  const auto coo = matrix.to_sparse();
  const auto& w = layer.weight_matrix;
  const std::vector<std::function<void()>> ways = {
      [&] { layer.dense(code); },
      [&] { torch::mm(csr, w); },
      [&] { torch::mm(layer.as_matrix(code).to_sparse_csr(), w); },
      [&] { torch::mm(coo, w); },
  };
  std::vector<std::vector<double>> times(ways.size());
  for (auto& way : ways) way();  // warm-up
  for (int r = 0; r < repeats; ++r) {
    for (size_t w = 0; w < ways.size(); ++w) times[w].push_back(seconds(ways[w]));
  }
  std::vector<double> medians;
  for (auto& t : times) medians.push_back(median(t));
  return medians;
}

}  // namespace

int main(int argc, char** argv) {
  int repeats = 7;
  int threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--repeats") == 0) {
      repeats = std::max(1, std::atoi(argv[i + 1]));
    } else if (std::strcmp(argv[i], "--threads") == 0) {
      threads = std::max(1, std::atoi(argv[i + 1]));
    } else {
      fmt::print(stderr, "unknown option {}: use --repeats R and --threads T\n", argv[i]);
      return 2;
    }
  }
  at::set_num_threads(threads);
  torch::manual_seed(0);
  namespace F = torch::nn::functional;
  const auto conv_weight = torch::randn({32, 32, 5, 5});
  const auto fc_weight = torch::randn({10, 1024});
  const std::vector<Layer> layers = {
      {"conv2 of krizhevsky4 (5x5, 32 -> 32, pad 2, batch 128 of 16x16)",
       [&](const torch::Tensor& code) {
         return F::conv2d(code, conv_weight, F::Conv2dFuncOptions().padding(2));
       },
       [](const torch::Tensor& code) {
         // [N, 32 x 25, 256] -> [N x 256, 800]: one row per output position.
         return F::unfold(code, F::UnfoldFuncOptions(5).padding(2))
             .transpose(1, 2)
             .reshape({-1, 800});
       },
       conv_weight.reshape({32, 800}).t().contiguous(),
       {128, 32, 16, 16}},
      {"classifier of krizhevsky4 ([128, 1024] x [1024, 10])",
       [&](const torch::Tensor& code) { return torch::mm(code, fc_weight.t()); },
       [](const torch::Tensor& code) { return code; },
       fc_weight.t().contiguous(),
       {128, 1024}},
  };
  const std::vector<double> shares = {0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99};
  fmt::print(
      "LibTorch {}.{}, {} thread(s), median of {} interleaved repeats; times in ms, and "
      "sparse / dense (< 1: sparse wins)\n",
      TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR, threads, repeats);
  for (const auto& layer : layers) {
    fmt::print("\n{}\n", layer.name);
    fmt::print("{:>6} {:>9} {:>9} {:>7} {:>13} {:>7} {:>9} {:>7}\n", "zeros", "dense", "csr",
               "ratio", "csr+convert", "ratio", "coo", "ratio");
    double wins_from = -1;
    for (double share : shares) {
      const auto keep = torch::rand(layer.code_shape).ge(share);
      const auto code = torch::randn(layer.code_shape).abs() * keep;
      const auto t = time_ways(layer, code, repeats);
      fmt::print("{:>6.2f} {:>9.3f} {:>9.3f} {:>7.2f} {:>13.3f} {:>7.2f} {:>9.3f} {:>7.2f}\n",
                 share, t[0] * 1e3, t[1] * 1e3, t[1] / t[0], t[2] * 1e3, t[2] / t[0], t[3] * 1e3,
                 t[3] / t[0]);
      if (wins_from < 0 && t[2] < t[0]) wins_from = share;
    }
    if (wins_from < 0) {
      fmt::print("sparse (CSR, conversion included) never wins up to 0.99 zeros\n");
    } else {
      fmt::print("sparse (CSR, conversion included) wins from {:.2f} zeros\n", wins_from);
    }
  }
  return 0;
}
