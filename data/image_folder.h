#pragma once

#include <filesystem>
#include <string>

#include "data/cifar10.h"

namespace actlab {

// True when built with OpenCV (ACTLAB_WITH_OPENCV); without it image folders cannot be read.
bool image_folders_supported();

// Reads <root>/<split>/<class>/*.{jpg,jpeg,png}; classes are the sub-folders in sorted order
// (CIFAR-10's names sort into its official label order), files in sorted order. Throws Error
// naming the file for one that does not decode or is not 32x32, and for a missing folder.
ImageSet read_image_folder(const std::filesystem::path& root, const std::string& split);

}  // namespace actlab
