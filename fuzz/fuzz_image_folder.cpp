// An image-folder dataset (ROOT/train/CLASS/IMAGE): the input is one image file, decoded by
// OpenCV through actlab's reader, which must refuse what is not a 32x32 colour image in one line.

#include "data/image_folder.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto root = actlab::fuzz::scratch() / "images";
  const auto folder = root / "train" / "airplane";
  std::filesystem::create_directories(folder);
  actlab::write_file_atomic(folder / "0.png", actlab::fuzz::as_text(data, size));
  actlab::fuzz::expect_only_errors([&] { actlab::read_image_folder(root, "train"); });
  return 0;
}
