// The kube sink's statusObject: an object of the cluster whose Ready
// condition tells the pipeline's failures, the way Flux's kustomize-controller
// tells them on a Kustomization (`flux get kustomizations`). The flux renderer
// sets it for each pipeline a Kustomization declares; the flux-status
// renderer writes Ready=True there after a good apply, this writes
// Ready=False after a failed one. See docs/sink-kube.md, "Status object".
#pragma once

#include <driftless/context.hpp>
#include <driftless/diagnostic.hpp>
#include <driftless/value.hpp>

#include <atomic>
#include <string>
#include <vector>

#include "cluster.hpp"

namespace driftless::kube {

/// The object whose status tells the pipeline's failures; unset when `name` is empty.
struct StatusObject {
  std::string api_version;
  std::string kind;
  std::string namespace_name;
  std::string name;

  /// "Kind/namespace/name", for messages.
  std::string id() const;
};

/// The first error (at most kMaxFailureText bytes of it; of an error about
/// a Secret, only where and which), with " (and N more)" when there are
/// more: what an Event or a status says of a failed run.
std::string failure_summary(const std::vector<Diagnostic>& errors);
inline constexpr std::size_t kMaxFailureText = 1000;

/// The status merge patch of a failed run over `live`: Ready=False, reason
/// DependencyNotReady when the run waited for its dependsOn, else
/// ReconciliationFailed; the message is failure_summary(errors). The rest
/// of the status (lastAppliedRevision, the inventory) is left as it is.
Value failure_status_patch(const Value& live, const std::vector<Diagnostic>& errors, const std::string& now);

/// Writes the failures of one pipeline's runs to its StatusObject.
class FailureStatus {
 public:
  explicit FailureStatus(StatusObject object) : object_(std::move(object)) {}

  /// Ready=False for `errors` (when there are errors and an object is set).
  /// Problems are logged as warnings, never returned: the pipeline's own
  /// error is what the run reports.
  void write(Context& context, Cluster& cluster, const std::vector<Diagnostic>& errors);

 private:
  const StatusObject object_;
  std::atomic<bool> said_absent_{false};  ///< the object's absence was logged once
};

}  // namespace driftless::kube
