// One sync of a pipeline's desired objects with the cluster: plan, validate
// by server-side dry run, apply in stages, prune, record the inventory, wait
// for health. Also the diff of the same plan.
#pragma once

#include <driftless/plugin.hpp>

#include <functional>
#include <map>
#include <memory>
#include <set>

#include "cluster.hpp"
#include "events.hpp"
#include "health.hpp"
#include "inventory.hpp"
#include "settings.hpp"

namespace driftless::kube {

/// What the drift watch compares live objects with: the last applied set.
struct AppliedObject {
  InventoryEntry entry;
  std::string path;          ///< on the API server
  bool namespaced = false;
  const KubeObject* desired = nullptr;  ///< in AppliedState::desired
  std::string hash;
};

struct AppliedState {
  std::shared_ptr<const std::vector<KubeObject>> desired;  ///< the desired set (shared with the core, not copied)
  std::map<std::string, AppliedObject> objects;  ///< by InventoryEntry::key()
  std::map<std::string, ResourceType> types;     ///< of the objects, by "group|Kind"
};

/// Receives the new applied state as soon as every write of an apply is done
/// (before the health wait), so drift healing follows it at once.
using PublishApplied = std::function<void(std::shared_ptr<const AppliedState>)>;

/// What an apply is about to write, told to the sink before the first write so
/// that the drift watch does not take the sync's own changes for drift: the
/// state the writes make, and the objects it deletes (by InventoryEntry::key()).
using AnnounceWrites = std::function<void(std::shared_ptr<const AppliedState>)>;
using AnnounceDeletes = std::function<void(const std::vector<std::string>&)>;

/// Everything one sync needs from the sink.
struct SyncServices {
  const Settings& settings;
  Cluster& cluster;
  KubeClient& client;
  std::shared_ptr<const Discovery> discovery;  ///< replaced when CRDs were applied
  InventoryStore& inventory;
  std::string pipeline;
  std::string default_namespace;
  std::shared_ptr<const AppliedState> applied;  ///< the state of the last apply (nullptr: none yet)
  LiveStates* live_states;                      ///< what the cluster's watches see, for the health wait
  PublishApplied publish;                       ///< called once the writes of an apply succeeded
  AnnounceWrites announce_writes;               ///< called before an apply's first write
  AnnounceDeletes announce_deletes;             ///< called before each batch of prune deletes
  std::vector<ObjectFailure>& failures;  ///< receives what went wrong with which object (for Events)
};

/// Runs one sync.
SinkReport reconcile(Context& context, SyncServices services, const SinkRequest& request);

/// `desired` as applied (a copy; the desired objects are shared and never change): the
/// managed-by and pipeline labels (labels.hpp) added, its namespace set (or removed, when
/// cluster-scoped) and, unless `hash` is empty, the hash annotation added.
Value applied_object(const Value& desired, const std::string& pipeline, const std::string& namespace_name, bool namespaced,
                     const std::string& hash);

/// The server-side apply (or dry run) of `body` at `path`, field manager driftless.
/// Without `want_object` the server answers with metadata only.
HttpRequest server_side_apply(const KubeClient& client, const std::string& path, const Value& body, bool force, bool dry_run,
                              bool want_object);

/// Items per page of a list of metadata.
inline constexpr std::size_t kListPageSize = 1000;

/// The list collection path with driftless's label selector, `limit` items a page.
std::string managed_list_path(const std::string& collection, const std::string& continue_token,
                              std::size_t limit = kListPageSize);

/// Accept header that makes lists and watches return metadata only.
inline constexpr const char* kMetadataAccept =
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
inline constexpr const char* kMetadataWatchAccept =
    "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";

}  // namespace driftless::kube
