// The after-apply half of the flux-status renderer: once a pipeline declared
// by a Flux Kustomization was applied without errors, write what Flux's
// kustomize-controller would have written into the status subresource of
// that Kustomization object (Ready, lastAppliedRevision, inventory), so
// `flux get kustomizations` and `kubectl get kustomizations` show what
// driftless applied. Only when the object exists in the cluster (driftless
// never creates one), and only when the live status differs: a no-op
// reconcile reads the object and writes nothing. The kube sink writes
// Ready=False on the same object when a run fails (its statusObject key).
#pragma once

#include <driftless/after_apply.hpp>
#include <driftless/object.hpp>

#include <atomic>
#include <string>
#include <vector>

namespace driftless::fluxstatus {

/// The Kustomization object a status is written to.
struct KustomizationRef {
  std::string api_version;  ///< "kustomize.toolkit.fluxcd.io/v1"
  std::string namespace_name;
  std::string name;

  /// "Kustomization/namespace/name", for messages.
  std::string id() const;
  /// The object's path on the API server.
  std::string path() const;
};

/// One entry of Flux's inventory (ResourceRef).
struct InventoryEntry {
  std::string id;       ///< "<namespace>_<name>_<group>_<kind>", as cli-utils' ObjMetadata writes it
  std::string version;  ///< the API version of the kind: "v1"
};

/// Flux's inventory of `objects`, sorted by id.
std::vector<InventoryEntry> inventory_of(const std::vector<KubeObject>& objects);

/// The status merge patch of a successful apply of `revision`: Ready=True
/// (reason ReconciliationSucceeded; kube::ready_condition),
/// lastAppliedRevision, lastAttemptedRevision, observedGeneration and the
/// inventory, over `live`, the object as read from the cluster.
Value status_patch(const Value& live, const std::string& revision, const std::vector<InventoryEntry>& inventory,
                   const std::string& now);

class StatusWrite : public AfterApply {
 public:
  StatusWrite(KustomizationRef kustomization, std::string revision, std::vector<InventoryEntry> inventory);
  std::string describe() const override;
  /// In apply mode, writes the status when the live object's differs; diff
  /// mode does nothing (a status is not part of the desired state). Problems
  /// are warnings: a status is a courtesy, never a reason for the pipeline to fail.
  SinkReport run(Context& context, const Target& target, SinkMode mode) override;

 private:
  const KustomizationRef kustomization_;
  const std::string revision_;
  const std::vector<InventoryEntry> inventory_;
  std::atomic<bool> said_absent_{false};  ///< the object's absence was logged once
};

}  // namespace driftless::fluxstatus
