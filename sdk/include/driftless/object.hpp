// A Kubernetes object on its way from a source to a sink, with the place it
// came from so that an error anywhere downstream can name the file.
#pragma once

#include <string>
#include <vector>

#include "driftless/value.hpp"

namespace driftless {

/// Where an object was read: the file (relative to the artifact root), the
/// 0-based document index inside it, and the 1-based line the document starts on.
struct Provenance {
  std::string file;   ///< relative to the artifact root ("clusters/dev/app.yaml")
  int document = 0;   ///< 0-based index of the YAML document in the file
  int line = 0;       ///< 1-based line where the document starts; 0 when unknown
};

/// One Kubernetes object: its JSON body plus provenance.
struct KubeObject {
  Value body;         ///< the object as JSON: apiVersion, kind, metadata, spec, ...
  Provenance origin;  ///< where it was read; keep it when passing the object on, so errors name the file

  /// apiVersion, kind and metadata.name of the body; "" when missing.
  ///@{
  std::string api_version() const;
  std::string kind() const;
  std::string name() const;
  ///@}
  /// metadata.namespace, empty for cluster-scoped objects or when unset.
  std::string namespace_name() const;
  /// "Kind/namespace/name", or "Kind/name" without a namespace.
  std::string id() const;
  /// API group of apiVersion ("" for the core group, "apps" for "apps/v1").
  std::string group() const;
};

/// Mutable access to metadata.labels (created when missing); body must be an object.
Object& labels_of(Value& body);
/// Mutable access to metadata.annotations (created when missing); body must be an object.
Object& annotations_of(Value& body);

}  // namespace driftless
