// sink "kube": makes a Kubernetes cluster equal to a pipeline's objects with
// server-side apply, records what it applied in the cluster, prunes what left,
// waits for health and watches for drift. See docs/sink-kube.md.
#include <driftless/export.hpp>
#include <driftless/toolkit/settings.hpp>

#include <atomic>
#include <mutex>
#include <set>

#include "cluster.hpp"
#include "control_plane.hpp"
#include "events.hpp"
#include "lease.hpp"
#include "ownership.hpp"
#include "ready_status.hpp"
#include "reconcile.hpp"
#include "settings.hpp"
#include "status_object.hpp"
#include "target.hpp"
#include "watch.hpp"

namespace {

using namespace driftless;
using namespace driftless::kube;

class KubeSink : public Sink,
                 public ClusterFacts,
                 public DriftWatch,
                 public Leases,
                 public Membership,
                 public FailureReports,
                 public TargetAccess {
 public:
  explicit KubeSink(Settings settings) : settings_(std::move(settings)), failure_status_(settings_.status_object) {}

  void* capability(std::string_view id) override {
    return offer<ClusterFacts, DriftWatch, Leases, Membership, FailureReports, TargetAccess>(this, id);
  }

  SinkReport sync(Context& context, const SinkRequest& request) override {
    SinkReport report = sync_objects(context, request);
    // The core reports the failures before and after the sync (report_failure); the sync's own are told here.
    if (request.mode == SinkMode::apply) write_failure_status(context, report.diagnostics);
    return report;
  }

  // Applies, prunes, waits for health: everything of sync() but its status.
  SinkReport sync_objects(Context& context, const SinkRequest& request) {
    std::lock_guard lock(mutex_);
    const RetryDeadline retry_deadline(context.deadline(), [&context] { return context.cancelled(); });
    SinkReport report;
    if (!settings_.keep_flux_objects) report.diagnostics = refuse_control_plane_objects(request.objects);
    if (!report.diagnostics.empty()) return report;
    auto discovery = connect(request.objects);
    if (!discovery.ok()) {
      report.diagnostics.push_back({Severity::error, discovery.error().message, {}, 0, {}});
      return report;
    }
    InventoryStore inventory(inventory_namespace_, context.pipeline());
    std::vector<ObjectFailure> failures;
    // Until this apply's writes are done, a heal could restore what it is replacing.
    writing_ = request.mode == SinkMode::apply;
    auto publish = [this](std::shared_ptr<const AppliedState> state) {
      std::lock_guard follow_lock(follow_mutex_);
      {
        std::lock_guard state_lock(state_mutex_);
        applied_ = state;
        writing_ = false;
        // The published state covers what was written; the deleted objects are no longer followed.
        own_writes_ = nullptr;
        own_deletes_.clear();
      }
      if (subscriber_) watcher_->follow(subscriber_, std::move(state));
    };
    auto announce_writes = [this](std::shared_ptr<const AppliedState> state) {
      std::lock_guard state_lock(state_mutex_);
      own_writes_ = std::move(state);
      own_deletes_.clear();
    };
    auto announce_deletes = [this](const std::vector<std::string>& keys) {
      std::lock_guard state_lock(state_mutex_);
      own_deletes_.insert(keys.begin(), keys.end());
    };
    report = reconcile(context,
                       {settings_, *cluster_, cluster_->client(), *discovery, inventory, context.pipeline(),
                        default_namespace_, applied_state(), watcher_.get(), publish, announce_writes, announce_deletes,
                        failures},
                       request);
    writing_ = false;
    if (request.mode == SinkMode::apply) record_events(context, failures, inventory);
    // The cluster may have changed under us: look again next time.
    if (has_errors(report.diagnostics)) cluster_->forget(*discovery);
    return report;
  }

  std::optional<ClusterInfo> cluster_info(Context& context) override {
    auto discovery = connect({});
    if (!discovery.ok()) {
      context.logger().warn("cluster facts unavailable", {{"error", discovery.error().message}});
      return std::nullopt;
    }
    return (*discovery)->cluster_info();
  }

  // Leases and failure reports do not wait for a sync in flight (mutex_): a
  // renewal must land within the lease, however long an apply takes.
  Result<bool> hold_lease(Context& context, const LeaseRequest& request) override {
    auto cluster = ensure_cluster();
    if (!cluster.ok()) return cluster.error();
    return PipelineLease(lease_namespace_, context.pipeline()).hold((*cluster)->client(), request);
  }

  Result<void> release_lease(Context& context, const LeaseRequest& request) override {
    auto cluster = ensure_cluster();
    if (!cluster.ok()) return cluster.error();
    return PipelineLease(lease_namespace_, context.pipeline()).release((*cluster)->client(), request);
  }

  Result<std::vector<std::string>> members(Context&, const LeaseRequest& request) override {
    auto cluster = ensure_cluster();
    if (!cluster.ok()) return cluster.error();
    return MemberLease(lease_namespace_, request.holder).members((*cluster)->client(), request);
  }

  Result<void> leave(Context&, const LeaseRequest& request) override {
    auto cluster = ensure_cluster();
    if (!cluster.ok()) return cluster.error();
    return MemberLease(lease_namespace_, request.holder).leave((*cluster)->client(), request);
  }

  void report_failure(Context& context, const std::vector<Diagnostic>& errors) override {
    auto cluster = ensure_cluster();
    if (!cluster.ok() || errors.empty()) return;
    events_.record_on_inventory(context, (*cluster)->client(), InventoryStore(inventory_namespace_, context.pipeline()),
                                kReconcileFailed, failure_summary(errors));
    failure_status_.write(context, **cluster, errors);
  }

  // After-apply work (Helm releases) acts as this sink does: same cluster, same identity.
  Target target(Context&) override { return target_of(cluster_settings()); }

  // Joins the cluster's shared drift watches; no thread of its own.
  Result<void> watch(Context& context, DriftEvents events) override {
    if (settings_.drift == DriftMode::off) return {};
    if (auto cluster = ensure_cluster(); !cluster.ok()) return cluster.error();
    auto answers_again = std::move(events.answers_again);
    auto drifted = [this, &context, on_drift = std::move(events.drifted)](const std::shared_ptr<const AppliedState>& snapshot,
                                                                    const AppliedObject& object, const Value* live,
                                                                    const std::string& reason) {
      if (made_by_sync(object.entry.key(), live)) return;
      if (settings_.drift == DriftMode::report) {
        context.logger().warn("drift detected (drift: report, not healed)", {{"reason", reason}});
        return;
      }
      on_drift(reason, heal_now(context, snapshot, object));
    };
    std::lock_guard follow_lock(follow_mutex_);
    subscriber_ = watcher_->subscribe(context.logger(), std::move(drifted), std::move(answers_again));
    watcher_->follow(subscriber_, applied_state());
    return {};
  }

  void unwatch() override {
    std::lock_guard follow_lock(follow_mutex_);
    if (!subscriber_) return;
    watcher_->unsubscribe(subscriber_);
    subscriber_.reset();
  }

 private:
  // Ready=False on the statusObject, when `diagnostics` hold errors.
  void write_failure_status(Context& context, const std::vector<Diagnostic>& diagnostics) {
    std::vector<Diagnostic> errors;
    for (const auto& d : diagnostics)
      if (d.severity == Severity::error) errors.push_back(d);
    if (errors.empty()) return;
    if (auto cluster = ensure_cluster(); cluster.ok()) failure_status_.write(context, **cluster, errors);
  }

  std::shared_ptr<const AppliedState> applied_state() {
    std::lock_guard lock(state_mutex_);
    return applied_;
  }

  // Whether `live` (nullptr: gone) of the object `key` is what a sync of this
  // sink wrote, or its deletion: the watch sees it before (or without) the
  // state that sync publishes. Compared by content, as drift is, so an edit
  // made by someone else in the meantime is still drift.
  bool made_by_sync(const std::string& key, const Value* live) {
    std::lock_guard lock(state_mutex_);
    if (!live) return own_deletes_.count(key) > 0;
    if (!own_writes_) return false;
    auto it = own_writes_->objects.find(key);
    return it != own_writes_->objects.end() && still_in_sync(*live, it->second.desired->body, it->second.hash);
  }

  // Re-applies one drifted object straight away, so a deleted object is back
  // in milliseconds and the core needs no reconcile for it. Heals also run
  // while a sync waits for health (a Deployment deleted then must not hold
  // the wait until its timeout), but not while a sync writes or after it
  // published a newer state than `snapshot`: that sync knows better. False
  // when not healed: the core reconciles the pipeline then.
  bool heal_now(Context& context, const std::shared_ptr<const AppliedState>& snapshot, const AppliedObject& object) {
    if (writing_ || applied_state() != snapshot) return false;
    KubeClient& client = cluster_->client();
    auto response = client.send(server_side_apply(
        client, object.path, applied_object(object.desired->body, context.pipeline(), object.entry.namespace_name, object.namespaced, object.hash),
        settings_.force, false, false));
    if (response.ok() && (response->status == 200 || response->status == 201)) {
      context.logger().info("drift healed", {{"object", object.entry.id()}});
      return true;
    }
    context.logger().warn("drift not healed; reconciling the pipeline",
                          {{"object", object.entry.id()}, {"error", failure_message(response)}});
    return false;
  }

  // Records Events for the objects a sync failed on; a few per sync, so a
  // broken render of thousands of objects does not flood the cluster.
  void record_events(Context& context, const std::vector<ObjectFailure>& failures, const InventoryStore& inventory) {
    constexpr std::size_t kMaxEventsPerSync = 20;
    for (std::size_t i = 0; i < failures.size() && i < kMaxEventsPerSync; ++i)
      events_.record(context, cluster_->client(), failures[i], inventory);
  }

  ClusterSettings cluster_settings() const {
    return settings_.cluster;
  }

  // Finds the cluster once (shared with every sink that reaches it the same
  // way); the cluster and the namespaces never change after.
  Result<Cluster*> ensure_cluster() {
    std::lock_guard lock(cluster_mutex_);
    if (cluster_) return cluster_.get();
    auto cluster = Cluster::shared(cluster_settings());
    if (!cluster.ok()) return cluster.error();
    const std::string& context_namespace = (*cluster)->access().namespace_name;
    default_namespace_ = !settings_.namespace_name.empty() ? settings_.namespace_name
                         : !context_namespace.empty()      ? context_namespace
                                                           : "default";
    inventory_namespace_ = settings_.inventory_namespace.empty() ? default_namespace_ : settings_.inventory_namespace;
    lease_namespace_ = settings_.lease_namespace.empty() ? inventory_namespace_ : settings_.lease_namespace;
    watcher_ = DriftWatcher::of(*cluster);
    cluster_ = std::move(*cluster);
    return cluster_.get();
  }

  // The cluster's types, knowing every kind of `objects` (read again when
  // one is new: a CRD someone applied since).
  Result<std::shared_ptr<const Discovery>> connect(const std::vector<KubeObject>& objects) {
    auto cluster = ensure_cluster();
    if (!cluster.ok()) return cluster.error();
    return (*cluster)->discovery(objects);
  }

  const Settings settings_;
  std::mutex mutex_;  // one sync at a time
  std::mutex cluster_mutex_;  // guards finding cluster_ and the namespaces (set once)
  std::shared_ptr<Cluster> cluster_;
  std::shared_ptr<DriftWatcher> watcher_;
  std::string default_namespace_;
  std::string inventory_namespace_;
  std::string lease_namespace_;
  EventRecorder events_;
  FailureStatus failure_status_;
  std::mutex state_mutex_;
  std::shared_ptr<const AppliedState> applied_;
  std::shared_ptr<const AppliedState> own_writes_;  // what the last apply writes, until it publishes
  std::set<std::string> own_deletes_;                // what it deletes, until it publishes
  std::atomic<bool> writing_{false};  // a sync is writing and has not published its state yet
  std::mutex follow_mutex_;  // orders what the watcher follows; never held by a heal
  std::shared_ptr<DriftWatcher::Subscriber> subscriber_;
};

// Where and as whom the sink talks to its cluster: the ClusterSettings the
// kube client connects with and the Target after-apply work gets.
const SettingsSchema<ClusterSettings>& cluster_schema() {
  using C = ClusterSettings;
  static const auto keys =
      SettingsSchema<C>()
          .key(ConfigKey("kubeconfig", ConfigType::path,
                         "Kubeconfig file; when unset: $KUBECONFIG, then ~/.kube/config, then the in-cluster service account."),
               &C::kubeconfig)
          .key(ConfigKey("context", ConfigType::string, "Kubeconfig context to use; when unset: its current-context."), &C::context)
          .block(ConfigKey("impersonate", ConfigType::object,
                           "Act as this user (and groups), held to their RBAC; Helm releases of the pipeline too."),
                 &C::impersonate,
                 SettingsSchema<Impersonation>()
                     .key(ConfigKey("user", ConfigType::string, "User name to impersonate.").required(), &Impersonation::user)
                     .key(ConfigKey("groups", ConfigType::string_list, "Groups to impersonate."), &Impersonation::groups))
          .key(ConfigKey("requestTimeout", ConfigType::duration, "Limit for one API request.").default_to("30s"),
               &C::request_timeout);
  return keys;
}

const SettingsSchema<StatusObject>& status_object_schema() {
  using O = StatusObject;
  static const auto keys =
      SettingsSchema<O>()
          .key(ConfigKey("apiVersion", ConfigType::string, "The object's apiVersion.").required(), &O::api_version)
          .key(ConfigKey("kind", ConfigType::string, "The object's kind; it must have a status subresource.").required(), &O::kind)
          .key(ConfigKey("namespace", ConfigType::string, "The object's namespace.").required(), &O::namespace_name, object_name)
          .key(ConfigKey("name", ConfigType::string, "The object's name.").required(), &O::name, object_name);
  return keys;
}

const SettingsSchema<Settings>& schema() {
  using S = Settings;
  static const auto keys =
      SettingsSchema<S>()
          .part(&S::cluster, cluster_schema())
          .key(ConfigKey("namespace", ConfigType::string,
                         "Namespace for namespaced objects that name none; when unset: the context's namespace, else default."),
               &S::namespace_name)
          .key(ConfigKey("inventoryNamespace", ConfigType::string,
                         "Namespace of the inventory ConfigMap driftless-inventory-<pipeline>; when unset: `namespace`."),
               &S::inventory_namespace)
          .key(ConfigKey("leaseNamespace", ConfigType::string,
                         "Namespace of the Lease driftless-lease-<pipeline> that replicas of `driftless run` with "
                         "highAvailability share (and, as highAvailability.membership, of the member Leases "
                         "driftless-member-<replica>); when unset: the inventory's namespace."),
               &S::lease_namespace)
          .key(ConfigKey("force", ConfigType::boolean, "Take over fields other field managers own (server-side apply force).")
                   .default_to(true),
               &S::force)
          .key(ConfigKey("prune", ConfigType::boolean, "Delete objects that left the desired set.").default_to(true), &S::prune)
          .key(ConfigKey("allowEmpty", ConfigType::boolean, "Let an empty render prune every object of the pipeline.")
                   .default_to(false),
               &S::allow_empty)
          .key(ConfigKey("createNamespaces", ConfigType::boolean,
                         "Create a namespace the pipeline's objects are in that neither the render holds nor the cluster has, "
                         "labelled app.kubernetes.io/managed-by: driftless and driftless.dev/created-for with the pipeline's name; it is "
                         "never pruned. When false, such a namespace is an error naming it and its objects.")
                   .default_to(false),
               &S::create_namespaces)
          .key(ConfigKey("keepFluxObjects", ConfigType::boolean,
                         "Apply Flux objects (the *.fluxcd.io groups) and Argo CD Applications, ApplicationSets and "
                         "AppProjects like any other object. When false, each is an error naming it: they are read by "
                         "renderers (flux, helmrelease), and a Flux or Argo CD controller in the cluster would act on them.")
                   .default_to(false),
               &S::keep_flux_objects)
          .key(ConfigKey("declaredContexts", ConfigType::string_list,
                         "Other contexts of the kubeconfig that pipelines the repository declares may apply to (a Flux "
                         "Kustomization's spec.kubeConfig.secretRef.name, an Argo CD Application's destination.name); "
                         "unset: a declared pipeline applies to this sink's cluster only."),
               &S::declared_contexts)
          .key(ConfigKey("wait", ConfigType::boolean, "After applying, wait until the objects are healthy.").default_to(true),
               &S::wait)
          .key(ConfigKey("healthTimeout", ConfigType::duration, "How long to wait for health (and for CRDs to be established).")
                   .default_to("5m"),
               &S::health_timeout)
          .key(ConfigKey("concurrency", ConfigType::integer, "API requests in flight at once.").default_to(32), &S::concurrency)
          .block(ConfigKey("statusObject", ConfigType::object,
                           "An object of the cluster whose status.conditions Ready=False tells why a run of the pipeline "
                           "failed (reason ReconciliationFailed, or DependencyNotReady while it waits for its dependsOn), "
                           "as Flux writes on a Kustomization; the flux renderer sets it for each pipeline a "
                           "Kustomization declares. Only written when the object exists."),
                 &S::status_object, status_object_schema())
          .choice(ConfigKey("drift", ConfigType::string, "What `driftless run` does when a managed object is changed or deleted.")
                      .default_to("heal"),
                  &S::drift, {{"heal", DriftMode::heal}, {"report", DriftMode::report}, {"off", DriftMode::off}});
  return keys;
}

// A declared pipeline's cluster: the parent's context, or one the parent's
// declaredContexts lists (the kubeconfig is the operator's; the repository
// only picks among the clusters the operator offers it).
Result<void> check_declared_context(const Value& parent, const std::string& context, const std::string& pipeline) {
  if (context == parent.string_or("context")) return {};
  if (const Value* allowed = parent.find("declaredContexts"); allowed && allowed->is_array())
    for (const auto& name : allowed->as_array())
      if (name.is_string() && name.as_string() == context) return {};
  return fail(ErrorCode::invalid_input, "pipeline '" + pipeline + "' asks for the cluster of kubeconfig context '" + context +
                                            "', which its parent's sink does not offer: add it to the sink's "
                                            "declaredContexts to let the repository apply to that cluster");
}

class KubeSinkFactory : public SinkFactory {
 public:
  std::string target_kind() const override { return kTargetKind; }

  std::vector<ConfigKey> config_keys() const override { return schema().keys(); }

  // The kubeconfig context: the block's `context` (also one a declared
  // pipeline narrowed to), else the kubeconfig's current-context, else "in-cluster".
  std::string target(const Value& config) const override {
    return cluster_name(config.string_or("kubeconfig"), config.string_or("context"));
  }

  // A declared pipeline (a Flux Kustomization) talks to the parent's cluster
  // through the parent's kubeconfig and context, as the parent's identity or
  // one it impersonates: it may choose how it applies, not where or as whom
  // beyond that; another cluster only among the contexts the parent lists.
  Result<Value> narrow(const Value& parent, const Value& overlay, const std::string& pipeline) const override {
    static const std::set<std::string, std::less<>> kMayChange = {"namespace", "force", "prune", "allowEmpty",
                                                                  "wait", "healthTimeout", "drift", "createNamespaces",
                                                                  "statusObject"};
    Value out = parent;
    for (const auto& [key, value] : overlay.as_object()) {
      if (key == "impersonate") {
        const Value* held = parent.find("impersonate");
        if (held && !held->is_null() && !(*held == value))
          return fail(ErrorCode::invalid_input,
                      "pipeline '" + pipeline + "' asks to act as another identity than its parent's sink, which "
                      "impersonates '" + held->string_or("user") + "'; a declared pipeline never gets more than its parent");
      } else if (key == "context") {
        if (auto refused = check_declared_context(parent, value.is_string() ? value.as_string() : "", pipeline); !refused.ok()) return refused.error();
      } else if (!kMayChange.count(key)) {
        return fail(ErrorCode::invalid_input, "pipeline '" + pipeline + "' may not set '" + key +
                                                      "': a declared pipeline uses its parent's cluster and identity");
      }
      out.as_object().set(key, value);
    }
    return out;
  }

  Result<std::unique_ptr<Sink>> create(const Value& config) const override {
    auto s = schema().read(config);
    if (!s.ok()) return s.error();
    if (s->concurrency < 1 || s->concurrency > 1000)
      return fail(ErrorCode::invalid_input, "concurrency must be between 1 and 1000, not " + std::to_string(s->concurrency));
    return std::unique_ptr<Sink>(std::make_unique<KubeSink>(std::move(*s)));
  }
};

}  // namespace

DRIFTLESS_PLUGIN(KubeSinkFactory, "kube", "sink", "0.1.0",
                 "Applies objects to a Kubernetes cluster (server-side apply, prune, health, drift healing)")
