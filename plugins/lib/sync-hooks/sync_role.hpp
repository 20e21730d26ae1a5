// An object's place in a sync, as Argo CD reads it: a hook of one or more
// phases (argocd.argoproj.io/hook, or helm.sh/hook mapped the way Argo CD maps
// it), its wave (argocd.argoproj.io/sync-wave, or helm.sh/hook-weight for a
// Helm hook) and its delete policy. Read here once for the renderers (which
// mark hooks and leave out what no sync runs) and the kube sink (which runs
// them); see docs/sink-kube.md#hooks-and-waves.
#pragma once

#include <string>
#include <vector>

#include "driftless/object.hpp"

namespace driftless::hooks {

/// The annotation a renderer sets on every hook it keeps, naming its phases
/// ("PreSync", "PreSync,PostSync"). The core lets an object so marked have
/// metadata.generateName instead of a name: the sink creates it.
inline constexpr const char* kHookMark = "driftless.dev/hook";

enum class Phase { pre_sync, sync, post_sync, sync_fail };

/// "PreSync", "Sync", "PostSync", "SyncFail".
const char* to_string(Phase phase);

struct DeletePolicy {
  bool before_creation = false;  ///< delete the previous hook of the same name before creating it (the default)
  bool succeeded = false;        ///< delete the hook once it succeeded
  bool failed = false;           ///< delete the hook once it failed
};

struct SyncRole {
  std::vector<Phase> phases;  ///< the hook's phases; empty for an ordinary object
  int wave = 0;               ///< lower waves go first, within a phase
  DeletePolicy delete_policy;
  std::string hook;     ///< the annotation that makes it a hook, for messages ("helm.sh/hook: pre-install")
  std::string skipped;  ///< why no sync applies the object at all ("" when it is applied or run)
  std::vector<std::string> ignored;  ///< hook types of the annotation no sync runs ("pre-delete"), for a warning
  std::string error;    ///< what is wrong with its annotations ("" when nothing)

  bool is_hook() const { return !phases.empty(); }
  bool has(Phase phase) const;
};

/// Reads the object's annotations. An Argo CD hook annotation wins over Helm's
/// on the same object, as in Argo CD.
SyncRole sync_role(const KubeObject& object);

/// "PreSync,PostSync": the phases as the mark spells them.
std::string phase_list(const std::vector<Phase>& phases);

/// "Job/apps/migrate-" plus "*" for a hook that has only generateName: names it in messages.
std::string hook_id(const KubeObject& object);

}  // namespace driftless::hooks
