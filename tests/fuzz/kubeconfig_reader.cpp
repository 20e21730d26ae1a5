// The kubeconfig reader of the kube sink: the input as the one kubeconfig
// file, then as the first of a $KUBECONFIG list whose second file defines
// more (the merge path).
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "plugins/sink-kube/connection.hpp"

namespace {

constexpr const char* kSecondConfig = R"(apiVersion: v1
kind: Config
current-context: second
clusters:
- name: second
  cluster: {server: "https://127.0.0.1:6443/", insecure-skip-tls-verify: true}
users:
- name: second
  user: {token: abc}
contexts:
- name: second
  context: {cluster: second, user: second, namespace: apps}
)";

std::filesystem::path fuzz_dir() {
  static const std::filesystem::path dir = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "driftless-fuzz-XXXXXX").string();
    if (!mkdtemp(pattern.data())) std::abort();
    std::ofstream(std::filesystem::path(pattern) / "second") << kSecondConfig;
    return std::filesystem::path(pattern);
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto first = fuzz_dir() / "first";
  std::ofstream(first, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data),
                                                                 static_cast<std::streamsize>(size));
  (void)driftless::kube::find_cluster(first.string(), "");
  const std::string list = first.string() + ":" + (fuzz_dir() / "second").string();
  setenv("KUBECONFIG", list.c_str(), 1);
  (void)driftless::kube::find_cluster("", "");
  return 0;
}
