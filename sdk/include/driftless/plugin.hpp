// The three plugin interfaces (Source, Renderer, Sink) and their factories.
// A plugin library exports one factory through the handshake in abi.hpp; the
// core creates instances from validated config blocks when the config loads.
// A sink's optional abilities (drift watch, leases, ...) are separate
// interfaces in capabilities.hpp; work that runs after the sink applied is an
// AfterApply (after_apply.hpp).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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
  /// The source's snapshot: read files under artifact.root (with driftless/toolkit/files.hpp).
  const Artifact& artifact;
  /// Folder to render, relative to artifact.root ('/'-separated, "" = root).
  std::string path;
  /// Objects produced by the stages before this one.
  std::vector<KubeObject> objects;
};

class AfterApply;

/// A plugin as a pipeline names one: its name and its config block (the keys
/// as written; the core checks them against the plugin's config_keys()).
struct PluginUse {
  std::string type;  ///< "auto", "kustomize" ...
  Value config;      ///< a mapping, or null for the defaults
};

/// A pipeline that an object in the repository declares (a Flux
/// Kustomization, an Argo CD Application). The core runs it like a configured
/// pipeline, named "<parent>/<name>", from the parent's source at the same
/// revision (or from a source of its own, when the configured pipeline allows
/// that), with the parent's sink type; the sink decides how much of its
/// config a declaration may change (SinkFactory::narrow), so a declared
/// pipeline never gets more than its parent.
struct DeclaredPipeline {
  std::string name;  ///< one segment, unique among the declarations of one render
  std::string path;  ///< folder in the source ('/'-separated, "" = root)
  /// Where its files come from when not from the parent's artifact: a source
  /// plugin and its config (another Git repository, a bucket). The core
  /// fetches it each time the pipeline runs, keeps its last good artifact,
  /// and refuses it unless the configured pipeline at the root allows
  /// declared sources. Pipelines it declares in turn read this source too.
  std::optional<PluginUse> source;
  /// Renderer stages, in order; empty = one "auto" stage.
  std::vector<PluginUse> renderers;
  /// Keys laid over the parent's sink config (a mapping, or null for none).
  Value sink;
  /// How often it reconciles; nullopt = as its parent.
  std::optional<std::chrono::milliseconds> interval;
  /// How soon a failed reconcile is tried again (Flux's retryInterval);
  /// nullopt = as its parent.
  std::optional<std::chrono::milliseconds> retry_interval;
  /// Names of pipelines declared beside it (same parent) that must have been
  /// applied without errors at the same revision before it is applied.
  std::vector<std::string> depends_on;
  /// Declared but not to be run (Flux's spec.suspend): kept, never applied.
  bool suspended = false;
  /// The declaring object ("Kustomization/flux-system/apps") and where it was
  /// read, for every message about the pipeline.
  std::string declared_by;
  Provenance origin;
};

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
  /// installing a release into the cluster). The core runs it in this order
  /// after a sink sync without errors, in apply and in diff mode, on the
  /// sink's target with the sink's identity (see after_apply.hpp); a cached
  /// render reuses the same work, so run() may be called many times. Only a
  /// renderer whose factory declares after_apply_target() may return some.
  std::vector<std::shared_ptr<AfterApply>> after_apply;
  /// For a stage that also reads something outside the artifact (the newest
  /// chart in a version range, a chart in another repository): how long the
  /// result stays true while the folders it read are unchanged. The core
  /// renders again once this much time has passed; zero = no limit.
  std::chrono::milliseconds valid_for{0};
  /// Pipelines this stage read from objects of the render (see
  /// DeclaredPipeline); the stage takes those objects out of `objects`, as
  /// they describe work for driftless, not state for the target. The core
  /// runs them after this pipeline; a later render without them stops them
  /// (their objects are left in place). The core gathers the declarations of
  /// every stage of the chain.
  std::vector<DeclaredPipeline> pipelines;
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
  /// In diff mode, the object's health in the target as the sink reads it:
  /// "ready" (there and healthy, or a kind with no notion of health),
  /// "progressing" (not healthy yet), "degraded" (will not get healthy by
  /// waiting), "missing" (not in the target), "unknown" (could not tell);
  /// "" when the sink does not judge health (the dashboard's object tree).
  std::string health{};
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
  /// The complete list of status items of the reporter (an AfterApply
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

/// Makes a target (a cluster, a directory) equal to a set of objects. The core
/// keeps one instance per pipeline for the life of the process.
class Sink {
 public:
  virtual ~Sink();
  /// Applies (or diffs) the complete desired set. Must not throw.
  virtual SinkReport sync(Context& context, const SinkRequest& request) = 0;

  /// The optional interface named `id` (a capability's kId, see
  /// capabilities.hpp) when this sink implements it, else nullptr (the
  /// default). Implement it with offer(): `return offer<DriftWatch, Leases>(this, id);`.
  /// Use capability_of<T>(sink) to ask.
  virtual void* capability(std::string_view id);
};

/// The capability C of `sink`, or nullptr when it does not have it.
template <class C>
C* capability_of(Sink& sink) {
  return static_cast<C*>(sink.capability(C::kId));
}

/// For Sink::capability: `self` as the first of `Capabilities` whose kId is `id`, else nullptr.
template <class... Capabilities, class Self>
void* offer(Self* self, std::string_view id) {
  void* found = nullptr;
  (void)((id == Capabilities::kId ? (found = static_cast<Capabilities*>(self), true) : false) || ...);
  return found;
}

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
  /// The Target::kind its after-apply work runs on ("kubernetes"), "" (the
  /// default) when it returns none. The core refuses a config whose pipeline
  /// chains this renderer before a sink of another target kind.
  virtual std::string after_apply_target() const;
};

class SinkFactory : public PluginFactory {
 public:
  /// As SourceFactory::create.
  virtual Result<std::unique_ptr<Sink>> create(const Value& config) const = 0;
  /// The Target::kind its instances hand to after-apply work through the
  /// TargetAccess capability, "" (the default) when they hand none.
  virtual std::string target_kind() const;
  /// Which target instances made from `config` (a validated block, with
  /// {{folder}} filled in) write to, for people and the dashboard's fleet
  /// filter: a kubeconfig context, a directory. Called once when a pipeline
  /// is made (and again only when its config changes), so it may read a small
  /// local file but never the network. "" (the default) when it cannot tell.
  virtual std::string target(const Value& config) const;
  /// The config block of this sink for a pipeline declared by the repository
  /// (DeclaredPipeline::sink): `parent` is the validated block of the
  /// declaring pipeline, `overlay` the keys the declaration asks for,
  /// `pipeline` the declared pipeline's full name. The result must give the
  /// declared pipeline no more than its parent: the same target, the same
  /// or a narrower identity, a place of its own where pipelines must not
  /// share one. The default refuses any overlay key and returns `parent`.
  virtual Result<Value> narrow(const Value& parent, const Value& overlay, const std::string& pipeline) const;
};

}  // namespace driftless
