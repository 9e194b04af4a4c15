#pragma once

#include <filesystem>
#include <string>

#include "data/cifar10.h"

namespace actlab {

// True when built with OpenCV (ACTLAB_WITH_OPENCV); without it image folders cannot be read.
bool image_folders_supported();

// "OpenCV 4.6.0" (the decoder the manifest names), or "none" without OpenCV.
std::string image_decoder_name();

// Reads <root>/<split>/<class>/*.{jpg,jpeg,png}; classes are the sub-folders in sorted order
// (CIFAR-10's names sort into its official label order), files in sorted order. Throws Error
// naming the file for one that does not decode or is not 32x32, for a JPEG that would decode
// only partly (no end-of-image marker: truncated), and for a missing folder.
ImageSet read_image_folder(const std::filesystem::path& root, const std::string& split);

}  // namespace actlab
