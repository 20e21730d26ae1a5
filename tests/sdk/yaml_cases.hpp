// A deterministic corpus of generated YAML manifests for the differential
// test against Kubernetes' own reader (yaml_kubernetes_test.cpp): scalars of
// every style and tag, numbers at every boundary, Unicode, anchors and merge
// keys, Lists, multi-document files, BOMs, directives and JSON streams. Only
// inputs: what they mean is whatever Kubernetes makes of them.
#pragma once

#include <string>
#include <vector>

namespace driftless::test {

struct YamlCase {
  std::string name;  ///< what the case exercises, for failure messages
  std::string text;  ///< the manifest file
};

/// Every generated case, always the same ones in the same order.
std::vector<YamlCase> generated_yaml_cases();

}  // namespace driftless::test
