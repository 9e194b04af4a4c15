#pragma once

#include <cstdint>
#include <string_view>

namespace actlab::tensorboard {

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of TFRecord framing.
uint32_t crc32c(std::string_view data);

// TFRecord's masked form of a CRC: rotated right by 15 bits plus a constant, so that a CRC stored
// inside checksummed data does not checksum to a fixed value.
uint32_t masked_crc32c(std::string_view data);

}  // namespace actlab::tensorboard
