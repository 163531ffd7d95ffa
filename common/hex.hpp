#pragma once
// Bytes as lower-case hexadecimal, for digests and identifiers.
#include <cstddef>
#include <string>

namespace common {

/// Two lower-case hex digits per byte.
std::string hex(const unsigned char* bytes, std::size_t size);

}  // namespace common
