// The labels that mark an object as driftless's and say which pipeline owns
// it: the kube sink puts both on every object it applies and finds its
// objects by them; Helm releases the helmrelease plugin installs carry the
// pipeline label. The core stamps nothing: `driftless render` and the dir
// sink show objects as the renderers made them.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>

#include "driftless/toolkit/hash.hpp"

namespace driftless::kube {

inline constexpr const char* kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr const char* kManagedByValue = "driftless";
inline constexpr const char* kPipelineLabel = "driftless.dev/pipeline";

/// The value of kPipelineLabel for `pipeline`: the name itself when it is a
/// valid label value (at most 63 letters, digits, '-', '_' or '.', starting
/// and ending with a letter or digit); otherwise, as for a declared pipeline
/// "staging/apps", the name with every other character made '.', cut to 54,
/// and "-" plus 8 hex digits of its SHA-256 ("staging.apps-1f0c9a2b"), so
/// two pipelines never share a value.
inline std::string pipeline_label_value(const std::string& pipeline) {
  auto allowed = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; };
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (!pipeline.empty() && pipeline.size() <= 63 && alnum(pipeline.front()) && alnum(pipeline.back()) &&
      std::all_of(pipeline.begin(), pipeline.end(), allowed))
    return pipeline;
  std::string value;
  for (char c : pipeline.substr(0, 54)) value += allowed(c) ? c : '.';
  if (value.empty() || !alnum(value.front())) value.insert(value.begin(), 'p');
  return value + "-" + sha256_hex(pipeline).substr(0, 8);
}

}  // namespace driftless::kube
