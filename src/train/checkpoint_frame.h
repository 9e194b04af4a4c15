#pragma once

#include <string>
#include <string_view>

namespace actlab {

// checkpoint.pt frames LibTorch's archive: "ACTLABCK", the payload's length (8 bytes,
// little-endian), its SHA-256 (64 hex digits), the payload. LibTorch's archive reader compiles
// TorchScript and crashes on some damaged input (found by fuzz/fuzz_checkpoint); a checkpoint is
// handed to it only when every byte is the one actlab wrote. Schema: docs/records.md.
std::string frame_checkpoint(std::string_view payload);

// The payload of a framed checkpoint; empty when the frame or the digest does not hold.
std::string_view checkpoint_payload(std::string_view file);

}  // namespace actlab
