// The labels that mark an object as driftless's and say which pipeline owns
// it: the kube sink puts both on every object it applies and finds its
// objects by them; Helm releases the helmrelease plugin installs carry the
// pipeline label. The core stamps nothing: `driftless render` and the dir
// sink show objects as the renderers made them.
#pragma once

#include <cctype>
#include <string>

#include <driftless/toolkit/hash.hpp>

namespace driftless::kube {

inline constexpr const char* kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr const char* kManagedByValue = "driftless";
inline constexpr const char* kPipelineLabel = "driftless.dev/pipeline";

/// The value of a label naming `pipeline`: the name itself when it is a valid
/// label value, else (a declared pipeline "parent/child", a long name) its
/// characters made valid and cut to fit 63, with a hash of the name after
/// them so that two pipelines never share one ("parent-child-1a2b3c4d").
inline std::string pipeline_label_value(const std::string& pipeline) {
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  auto allowed = [&](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; };
  bool valid = pipeline.size() <= 63 && (pipeline.empty() || (alnum(pipeline.front()) && alnum(pipeline.back())));
  for (char c : pipeline) valid = valid && allowed(c);
  if (valid) return pipeline;
  std::string out;
  for (char c : pipeline)
    if (!out.empty() || alnum(c)) out += allowed(c) ? c : '-';
  return out.substr(0, 54) + (out.empty() ? "" : "-") + sha256_hex(pipeline).substr(0, 8);
}

}  // namespace driftless::kube
