// The kubeconfig reader of the kube sink: the input as the one kubeconfig
// file, then as the first of a $KUBECONFIG list whose second file defines
// more (the merge path).
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "connection.hpp"
#include "tests/fuzz/fuzz_dir.hpp"

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

// The second file of the $KUBECONFIG list, written once.
const std::filesystem::path& second_config() {
  static const std::filesystem::path file = [] {
    const auto path = driftless::fuzz::fuzz_dir() / "second";
    std::ofstream(path) << kSecondConfig;
    return path;
  }();
  return file;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto first = driftless::fuzz::fuzz_dir() / "first";
  std::ofstream(first, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data),
                                                                 static_cast<std::streamsize>(size));
  (void)driftless::kube::find_cluster(first.string(), "");
  const std::string list = first.string() + ":" + second_config().string();
  setenv("KUBECONFIG", list.c_str(), 1);
  (void)driftless::kube::find_cluster("", "");
  return 0;
}
