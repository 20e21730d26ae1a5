// The config loader (core/config: structure, durations, paths, names) on
// arbitrary bytes; plugin blocks are checked later against loaded plugins.
#include <cstdint>
#include <string>

#include "config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  driftless::core::parse_config(text, "/fuzz/driftless.yaml");
  return 0;
}
