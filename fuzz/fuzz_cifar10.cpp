// A CIFAR-10 binary batch file (data_batch_N.bin: records of 1 label byte + 3072 pixel bytes).

#include "data/cifar10.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto file = actlab::fuzz::scratch() / "data_batch_1.bin";
  actlab::write_file_atomic(file, actlab::fuzz::as_text(data, size));
  actlab::fuzz::expect_only_errors([&] { actlab::read_cifar10_batch(file); });
  return 0;
}
