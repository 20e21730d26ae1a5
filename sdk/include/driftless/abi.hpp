// The handshake every plugin library exports. It is plain C so the loader can
// read it before trusting any C++ type from the library: only when the ABI
// version and the build fingerprint match does the core call `factory`.
#pragma once

#include <cstdint>

#include <boost/config.hpp>
#include <boost/version.hpp>

/// Bump whenever a contract header (sdk/include/driftless/*.hpp, not the
/// toolkit/ folder) changes in a way that affects the binary
/// interface (tests/sdk/abi_lock_test fails until sdk/abi.lock is updated).
#define DRIFTLESS_ABI_VERSION 16u

/// Version of the SDK release, semantic: the major number is the ABI version
/// (a plugin loads only into a core of the same major), the minor counts
/// additions that keep the ABI (a new capability id)
/// (tests/sdk/abi_lock_test checks that they agree).
#define DRIFTLESS_SDK_VERSION "16.0.0"

#define DRIFTLESS_STR_(x) #x
#define DRIFTLESS_STR(x) DRIFTLESS_STR_(x)

#if defined(_GLIBCXX_RELEASE)
#define DRIFTLESS_STDLIB_ "libstdc++-" DRIFTLESS_STR(_GLIBCXX_RELEASE) "-cxx11abi" DRIFTLESS_STR(_GLIBCXX_USE_CXX11_ABI)
#elif defined(_LIBCPP_VERSION)
#define DRIFTLESS_STDLIB_ "libc++-" DRIFTLESS_STR(_LIBCPP_VERSION)
#else
#define DRIFTLESS_STDLIB_ "unknown-stdlib"
#endif

/// What must be equal between the core and a plugin for C++ types to cross
/// between them: standard library, Boost release and language level.
#define DRIFTLESS_BUILD_FINGERPRINT \
  DRIFTLESS_STDLIB_ ";boost-" DRIFTLESS_STR(BOOST_VERSION) ";cplusplus-" DRIFTLESS_STR(__cplusplus)

/// The compiler that built a library; shown to users, not compared.
#define DRIFTLESS_COMPILER BOOST_COMPILER

extern "C" {

/// Plain-C description of a plugin library. Fields are never reordered; new
/// fields are only appended together with an ABI version bump.
struct driftless_plugin_info {
  std::uint32_t abi_version;      ///< DRIFTLESS_ABI_VERSION the plugin was built with
  const char* name;               ///< unique per kind: "git", "yaml", "kube" ...
  const char* kind;               ///< "source", "renderer" or "sink"
  const char* version;            ///< the plugin's own version
  const char* description;        ///< one line for `driftless plugins`
  const char* sdk_version;        ///< DRIFTLESS_SDK_VERSION
  const char* build_fingerprint;  ///< DRIFTLESS_BUILD_FINGERPRINT
  const char* compiler;           ///< DRIFTLESS_COMPILER
  void* (*factory)();             ///< returns the driftless::PluginFactory of `kind`
};

/// Signature of the exported handshake function.
typedef const driftless_plugin_info* (*driftless_handshake_fn)();
}

/// Name under which the handshake is exported (a Boost.DLL alias).
#define DRIFTLESS_HANDSHAKE_SYMBOL "driftless_plugin_handshake"
