// The YAML conformance corpus (corpus/NAME.yaml with corpus/NAME.json, what
// kubectl makes of it; see corpus/regenerate) and how our reading compares.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "driftless/value.hpp"

namespace driftless::test {

/// Every corpus/*.yaml, sorted.
std::vector<std::filesystem::path> corpus_documents();

/// What kubectl made of a document: its objects, or an error.
struct KubectlReading {
  bool refused = false;
  std::string error;
  std::vector<Value> objects;
};

/// The stored expectation (NAME.json) of a corpus document.
KubectlReading stored_reading(const std::filesystem::path& yaml);

/// Objects printed one after another by `kubectl ... -o json`, without the
/// empty annotations map `kubectl annotate --local` leaves behind.
std::vector<Value> json_stream(const std::string& text);

/// "" when parse_manifests reads `yaml` as `expected` says; else what differs.
std::string compare_with_ours(const std::filesystem::path& yaml, const KubectlReading& expected);

}  // namespace driftless::test
