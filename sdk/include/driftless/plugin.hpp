// The three plugin interfaces (Source, Renderer, Sink) and their factories.
// A plugin library exports one factory through the handshake in abi.hpp; the
// core creates instances from validated config blocks when the config loads.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "driftless/artifact.hpp"
#include "driftless/config.hpp"
#include "driftless/context.hpp"
#include "driftless/diagnostic.hpp"
#include "driftless/object.hpp"
#include "driftless/result.hpp"
#include "driftless/value.hpp"

namespace driftless {

// ---------------------------------------------------------------- sources

/// Turns a source spec into Artifacts.
class Source {
 public:
  virtual ~Source();
  /// Fetches the newest revision. `previous` is the last artifact this instance
  /// returned (or nullptr); when nothing changed, return a copy of it cheaply.
  virtual Result<Artifact> fetch(Context& context, const Artifact* previous) = 0;
};

// ---------------------------------------------------------------- renderers

/// Input of one renderer stage.
struct RenderRequest {
  /// The source's snapshot: read files under artifact.root (with driftless/files.hpp).
  const Artifact& artifact;
  /// Folder to render, relative to artifact.root ('/'-separated, "" = root).
  std::string path;
  /// Objects produced by the stages before this one.
  std::vector<KubeObject> objects;
};

class DeferredAction;

/// Output of one renderer stage: the objects for the next stage, plus findings.
/// Any error diagnostic fails the pipeline's render (nothing is applied).
struct RenderResult {
  /// The objects for the next stage (or the sink): what this stage passes on.
  std::vector<KubeObject> objects;
  /// Findings; the core puts "renderer 'NAME' (stage I of N): " in front of each message.
  std::vector<Diagnostic> diagnostics;
  /// Folders besides the rendered path whose content this stage used
  /// (relative to the artifact root: a kustomize base, a chart, the folder of
  /// a values file). The core re-renders a pipeline when its path or any of
  /// these changes and reuses the last result otherwise, so a stage that
  /// reads outside its path must list what it read.
  std::vector<std::string> read_folders;
  /// False when the result also depends on something outside the artifact
  /// (a remote kustomize base, a chart fetched over the network): the core
  /// then renders the pipeline on every run instead of reusing the result.
  bool cacheable = true;
  /// Work that must wait until the pipeline's objects are in the target (e.g.
  /// installing a release into the cluster). The core runs them in this order
  /// after a sink sync without errors, in apply and in diff mode; a cached
  /// render reuses the same actions, so run() may be called many times.
  std::vector<std::shared_ptr<DeferredAction>> actions;
  /// For a stage that also reads something outside the artifact (the newest
  /// chart in a version range, a chart in another repository): how long the
  /// result stays true while the folders it read are unchanged. The core
  /// renders again once this much time has passed; zero = no limit.
  std::chrono::milliseconds valid_for{0};
};

/// Turns files and/or the objects of the previous stage into objects.
class Renderer {
 public:
  virtual ~Renderer();
  /// Renders one folder. Must not throw; report problems as diagnostics.
  virtual RenderResult render(Context& context, RenderRequest request) = 0;
};

// ---------------------------------------------------------------- sinks

/// What a sink call should do.
enum class SinkMode {
  apply,  ///< make the target equal to the objects
  diff,   ///< only say what apply would change
};

/// What happened (or would happen) to one object.
enum class ChangeAction { created, configured, unchanged, pruned, skipped };

/// Name of an action ("created", "configured", ...).
const char* to_string(ChangeAction action);

struct ObjectChange {
  std::string id;        ///< "Kind/namespace/name"
  ChangeAction action = ChangeAction::unchanged;
  std::string detail;    ///< a unified diff in diff mode, a reason for skipped
};

/// The state of one thing a plugin keeps in the target besides plain objects
/// (a Helm release): `driftless status` lists these under their pipeline and
/// /api/v1/pipelines carries them as "items".
struct StatusItem {
  std::string id;      ///< "HelmRelease/ns/name"
  std::string state;   ///< one word: "deployed", "failed", "suspended"
  std::string detail;  ///< one line for people: "revision 3, chart web 1.2.0"
  std::string error;   ///< what went wrong in the last attempt; "" when it succeeded
  std::map<std::string, std::string> fields;  ///< the same facts for scripts ("revision" -> "3")
};

/// Outcome of one sink call. Any error diagnostic means the target was not
/// (fully) brought to the desired state; nothing was pruned in that case.
struct SinkReport {
  std::vector<ObjectChange> changes;
  std::vector<Diagnostic> diagnostics;
  /// The complete list of status items of the reporter (a DeferredAction
  /// reports all of its releases at every run, changed or not).
  std::vector<StatusItem> items;
};

struct SinkRequest {
  /// The complete desired set of the pipeline.
  const std::vector<KubeObject>& objects;
  SinkMode mode = SinkMode::apply;
  /// The same objects, shared, or nullptr: a sink that keeps the desired
  /// objects after sync returns (to heal drift) holds this instead of a copy.
  /// The core's render cache holds them anyway, so keeping them costs nothing.
  std::shared_ptr<const std::vector<KubeObject>> shared_objects = nullptr;
  /// True when the core sends an empty set on purpose: the pipeline's folder
  /// was removed from its source and the config asks to prune its objects then
  /// (pruneOnFolderRemoval). The sink's guard against an unexpectedly empty set
  /// (allowEmpty) does not apply; its other rules (prune off, objects marked
  /// not to prune or owned by another pipeline) still do. The sink may also
  /// drop its own records of the pipeline (an inventory) once all is pruned.
  bool allow_empty = false;
};

/// Work a renderer hands to the core to run after the sink (see
/// RenderResult::actions). Created by the plugin; its library stays loaded for
/// as long as the action lives. Must not throw.
class DeferredAction {
 public:
  virtual ~DeferredAction();
  /// One line for logs ("helm releases of 3 HelmRelease objects").
  virtual std::string describe() const = 0;
  /// In SinkMode::apply does the work; in SinkMode::diff only reports what it
  /// would change. Changes name what they touched ("HelmRelease/ns/name");
  /// error diagnostics mean the work was not (fully) done.
  virtual SinkReport run(Context& context, SinkMode mode) = 0;
};

/// Called by Sink::watch with a short reason ("Deployment/web/api was deleted"),
/// or with kTargetAnswersAgain.
using DriftCallback = std::function<void(const std::string& reason)>;

/// The DriftCallback reason that is no drift: the target answers again after it
/// could not (a watch re-established, a probe succeeded). The core then retries
/// at once a pipeline whose last reconcile failed and waits in backoff, instead
/// of at the end of the backoff; it counts no drift and does nothing else.
inline constexpr const char* kTargetAnswersAgain = "the target answers again";

/// A replica's claim to act on a pipeline, when several `driftless run`
/// replicas share the same targets (high availability).
struct LeaseRequest {
  /// This replica's identity, unique among the replicas ("host-1234").
  std::string holder;
  /// Another replica may take the lease over once it was not renewed for this long.
  std::chrono::milliseconds duration{15'000};
};

/// Makes a target (a cluster, a directory) equal to a set of objects. The core
/// keeps one instance per pipeline for the life of the process.
class Sink {
 public:
  virtual ~Sink();
  /// Applies (or diffs) the complete desired set. Must not throw.
  virtual SinkReport sync(Context& context, const SinkRequest& request) = 0;

  /// Facts about the target (version, API list) that renderers see through
  /// Context::cluster_info(), e.g. for Helm's --kube-version. Called before a
  /// pipeline renders for diff or apply; nullopt (the default) when unknown.
  virtual std::optional<ClusterInfo> cluster_info(Context& context);

  /// Starts watching the target for drift from what the last successful apply
  /// made, and returns: until unwatch() returns, the sink calls `on_drift`
  /// (from any thread) each time it finds some (a managed object deleted or
  /// edited); the core then runs the pipeline's reconcile at once instead of
  /// waiting for the interval. `context` stays valid until unwatch() returns.
  /// An Error means nothing is watched (the core logs it and tries again
  /// before the pipeline's next reconcile). The default watches nothing.
  /// Runs concurrently with sync() on the same instance; a thousand pipelines
  /// must not cost a thousand threads, so share watches inside the plugin.
  virtual Result<void> watch(Context& context, DriftCallback on_drift);
  /// Stops what watch() started: once it returns, `on_drift` is not running
  /// and is not called again. The default does nothing.
  virtual void unwatch();

  /// Acquires or renews the lease of the pipeline context.pipeline() for
  /// `request.holder`: true when it holds the lease now, false when another
  /// holder's lease is still valid. Two holders never both get true for one
  /// lease. The daemon calls it every renew interval, concurrently with sync(),
  /// and acts on a pipeline only while it holds its lease. The default (a
  /// target without coordination) always answers true.
  virtual Result<bool> hold_lease(Context& context, const LeaseRequest& request);

  /// Gives up the lease if `request.holder` holds it, so another replica takes
  /// over at once (a clean stop). The default does nothing.
  virtual Result<void> release_lease(Context& context, const LeaseRequest& request);

  /// Tells the sink that an apply of its pipeline failed before or after its
  /// own sync (the source could not be fetched, a renderer failed, objects were
  /// invalid, deferred work failed): `errors` are those diagnostics. A sink may
  /// record them where the target's users look (the kube sink: Events). Must
  /// not throw; the default does nothing.
  virtual void report_failure(Context& context, const std::vector<Diagnostic>& errors);
};

// ---------------------------------------------------------------- factories

/// Every plugin library exports exactly one factory of its kind.
class PluginFactory {
 public:
  virtual ~PluginFactory();
  /// The keys of this plugin's config block.
  virtual std::vector<ConfigKey> config_keys() const = 0;
  /// Version of an external tool the plugin runs ("helm v3.17.0"), "" when none;
  /// an Error when the tool is missing, saying how to install it.
  virtual Result<std::string> tool_version() const;
};

class SourceFactory : public PluginFactory {
 public:
  /// Builds an instance from a config block that already passed config_keys()
  /// validation (defaults filled in). Semantic checks go here; no I/O.
  virtual Result<std::unique_ptr<Source>> create(const Value& config) const = 0;
};

class RendererFactory : public PluginFactory {
 public:
  /// As SourceFactory::create.
  virtual Result<std::unique_ptr<Renderer>> create(const Value& config) const = 0;
};

class SinkFactory : public PluginFactory {
 public:
  /// As SourceFactory::create.
  virtual Result<std::unique_ptr<Sink>> create(const Value& config) const = 0;
};

}  // namespace driftless
