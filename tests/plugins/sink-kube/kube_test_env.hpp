// What the kube sink's integration tests share: the tests/env values, unique
// names for namespaces and pipelines, and kubectl against the test cluster.
#pragma once

#include <map>
#include <random>
#include <string>
#include <vector>

#include "support.hpp"

namespace driftless::test {

inline std::map<std::string, std::string>& env() {
  static auto values = test_env();
  return values;
}

inline std::string unique(const std::string& prefix) {
  static std::mt19937 rng{std::random_device{}()};
  return prefix + "-" + std::to_string(rng() % 1000000);
}

inline CommandResult kubectl(std::vector<std::string> args, const std::string& kubeconfig = env()["KUBECONFIG"]) {
  args.insert(args.begin(), {env()["KUBECTL"], "--kubeconfig", kubeconfig});
  return run(args);
}

}  // namespace driftless::test
