// The Ready condition of an object's status, written the way Flux's
// controllers write it: one place for the flux-status renderer (Ready=True
// after an apply) and the kube sink's statusObject (Ready=False after a
// failure), so both keep the same transition time rules and both write only
// what changes the live object.
#pragma once

#include <driftless/result.hpp>
#include <driftless/value.hpp>

#include <cstdint>
#include <functional>
#include <string>

#include "client.hpp"

namespace driftless::kube {

/// `name` when it is a Kubernetes object name (a DNS subdomain), safe in a
/// request path; else an error naming `key` (the config key that gave it).
Result<std::string> object_name(const std::string& key, const std::string& name);

/// What a Ready condition says.
struct Readiness {
  bool ready = false;
  std::string reason;   ///< "ReconciliationSucceeded", "ReconciliationFailed", ...
  std::string message;
};

/// metadata.generation of `live`; 0 when it has none.
std::int64_t generation_of(const Value& live);

/// The Ready condition to write over `live`'s: observedGeneration is the
/// live object's generation; lastTransitionTime is kept from the live Ready
/// condition when its status stays the same, else `now` (RFC 3339).
Value ready_condition(const Value& live, const Readiness& readiness, const std::string& now);

/// True when the merge patch `patch` would leave `live` as it is: every
/// field it sets has that value already (objects key by key, arrays whole,
/// as a merge patch replaces them).
bool changes_nothing(const Value& patch, const Value& live);

enum class StatusWrite {
  written,
  unchanged,  ///< the live object says it already
  absent,     ///< no such object (404)
};

/// Reads the object at `path` (an object path on the API server), asks
/// `patch_of` for the status merge patch over what it read and sends it to
/// `path`/status unless it changes nothing. One GET, and a PATCH only when
/// the status differs. An error names what failed.
Result<StatusWrite> write_status(KubeClient& client, const std::string& path,
                                 const std::function<Value(const Value& live)>& patch_of);

}  // namespace driftless::kube
