// Cheap "does the desired state still hold?" checks on a live object's
// metadata alone (see docs/sink-kube.md, "Knowing an object is unchanged").
#pragma once

#include <driftless/value.hpp>

#include <string>

namespace driftless::kube {

/// Field manager of every apply, and the annotation carrying the hash of the
/// desired object it applied.
inline constexpr const char* kFieldManager = "driftless";
inline constexpr const char* kHashAnnotation = "driftless.dev/applied-hash";

/// Hash of a desired object as stored in kHashAnnotation.
std::string desired_hash(const Value& body);

/// True when `live` (an object or its metadata) carries `hash` and our
/// server-side-apply entry in metadata.managedFields still owns every field
/// of `desired` and the labels each apply adds (labels.hpp). A field someone else changed moved to their manager, a field
/// someone removed left our set, so both show up here as "not in sync".
bool still_in_sync(const Value& live, const Value& desired, const std::string& hash);

}  // namespace driftless::kube
