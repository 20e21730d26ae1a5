// A plugin built with another standard library: C++ types can't cross.
#include <boost/dll/alias.hpp>

#include "driftless/abi.hpp"

namespace {
const driftless_plugin_info* handshake() {
  static const driftless_plugin_info info{DRIFTLESS_ABI_VERSION, "foreign", "renderer", "1.0.0", "other toolchain",
                                          DRIFTLESS_SDK_VERSION, "libc++-17000;boost-108300;cplusplus-202002",
                                          "clang 17", nullptr};
  return &info;
}
}  // namespace
BOOST_DLL_ALIAS(handshake, driftless_plugin_handshake)
