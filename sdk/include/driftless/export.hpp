// The one line a plugin library writes to export itself:
//
//   DRIFTLESS_PLUGIN(MyRendererFactory, "my-renderer", "renderer", "1.0.0",
//                    "Adds team labels to every object")
//
// FactoryType must derive from SourceFactory, RendererFactory or SinkFactory
// matching KIND and be default-constructible. It lives as long as the library.
#pragma once

#include <boost/dll/alias.hpp>

#include "driftless/abi.hpp"
#include "driftless/plugin.hpp"

namespace driftless::detail {
template <class Factory>
void* plugin_factory_instance() {
  static Factory factory;
  return static_cast<PluginFactory*>(&factory);
}
}  // namespace driftless::detail

#define DRIFTLESS_PLUGIN(FactoryType, NAME, KIND, VERSION, DESCRIPTION)                      \
  namespace {                                                                              \
  const driftless_plugin_info* driftless_plugin_handshake_impl() {                          \
    static const driftless_plugin_info info{                                                \
        DRIFTLESS_ABI_VERSION, NAME, KIND, VERSION, DESCRIPTION, DRIFTLESS_SDK_VERSION,      \
        DRIFTLESS_BUILD_FINGERPRINT, DRIFTLESS_COMPILER,                                    \
        &::driftless::detail::plugin_factory_instance<FactoryType>};                        \
    return &info;                                                                           \
  }                                                                                         \
  }                                                                                         \
  BOOST_DLL_ALIAS(driftless_plugin_handshake_impl, driftless_plugin_handshake)
