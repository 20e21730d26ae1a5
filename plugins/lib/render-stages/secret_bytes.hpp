// Bytes of key material (age identities, file keys, SOPS data keys) that are
// wiped when freed, so a key does not linger in freed heap memory.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include <openssl/crypto.h>

namespace driftless::renderers {

/// An allocator that wipes (OPENSSL_cleanse) every block before freeing it.
template <class T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() = default;
  template <class U>
  WipingAllocator(const WipingAllocator<U>&) {}  // NOLINT: rebinding, as std::allocator does
  T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, std::size_t n) {
    OPENSSL_cleanse(p, n * sizeof(T));
    std::allocator<T>().deallocate(p, n);
  }
  template <class U>
  bool operator==(const WipingAllocator<U>&) const { return true; }
};

using SecretBytes = std::vector<unsigned char, WipingAllocator<unsigned char>>;

inline std::string_view as_text(const SecretBytes& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace driftless::renderers
