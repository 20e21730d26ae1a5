// The manifest reader (driftless::parse_yaml) on arbitrary bytes. Every
// document it accepts must survive a round trip through to_yaml (what the dir
// sink writes) unchanged.
#include <driftless/toolkit/yaml.hpp>

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = driftless::parse_yaml(text, "fuzz.yaml");
  for (const auto& document : parsed.documents) {
    const auto again = driftless::parse_yaml(driftless::to_yaml(document.value), "again.yaml");
    if (again.documents.size() != 1 || !(again.documents.front().value == document.value)) std::abort();
  }
  return 0;
}
