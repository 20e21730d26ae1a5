// A plugin built against a future ABI version.
#include <boost/dll/alias.hpp>

#include "driftless/abi.hpp"

namespace {
const driftless_plugin_info* handshake() {
  static const driftless_plugin_info info{999, "future", "renderer", "9.9.9", "from the future", "9.0.0",
                                          DRIFTLESS_BUILD_FINGERPRINT, DRIFTLESS_COMPILER, nullptr};
  return &info;
}
}  // namespace
BOOST_DLL_ALIAS(handshake, driftless_plugin_handshake)
