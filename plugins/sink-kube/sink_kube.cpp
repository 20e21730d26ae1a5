// sink "kube": makes a Kubernetes cluster equal to a pipeline's objects with
// server-side apply, records what it applied in the cluster, prunes what left,
// waits for health and watches for drift. See docs/sink-kube.md.
#include <driftless/export.hpp>

#include <atomic>
#include <mutex>
#include <thread>

#include "connection.hpp"
#include "discovery.hpp"
#include "reconcile.hpp"
#include "settings.hpp"
#include "watch.hpp"

namespace {

using namespace driftless;
using namespace driftless::kube;

class KubeSink : public Sink {
 public:
  explicit KubeSink(Settings settings) : settings_(std::move(settings)) {}

  SinkReport sync(Context& context, const SinkRequest& request) override {
    std::lock_guard lock(mutex_);
    SinkReport report;
    if (auto r = connect(request.objects); !r.ok()) {
      report.diagnostics.push_back({Severity::error, r.error().message, {}, 0, {}});
      return report;
    }
    InventoryStore inventory(inventory_namespace_, context.pipeline());
    // Until this apply's writes are done, a heal could restore what it is replacing.
    writing_ = request.mode == SinkMode::apply;
    auto publish = [this](std::shared_ptr<const AppliedState> state) {
      std::lock_guard state_lock(state_mutex_);
      applied_ = std::move(state);
      writing_ = false;
    };
    report = reconcile(context,
                       {settings_, *client_, *discovery_, inventory, context.pipeline(), default_namespace_,
                        applied_state(), publish},
                       request);
    writing_ = false;
    if (has_errors(report.diagnostics)) discovery_.reset();  // the cluster may have changed under us: look again next time
    return report;
  }

  std::optional<ClusterInfo> cluster_info(Context& context) override {
    std::lock_guard lock(mutex_);
    if (auto r = connect({}); !r.ok()) {
      context.logger().warn("cluster facts unavailable", {{"error", r.error().message}});
      return std::nullopt;
    }
    return discovery_->cluster_info();
  }

  Result<void> watch(Context& context, const DriftCallback& on_drift) override {
    KubeClient* client = nullptr;
    while (!(client = connected_.load()) && !context.cancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (!client) return {};
    auto heal = [this, &context](const std::shared_ptr<const AppliedState>& snapshot, const AppliedObject& object) {
      heal_now(context, snapshot, object);
    };
    return watch_drift(context, *client, [this] { return applied_state(); }, settings_.drift, heal, on_drift);
  }

 private:
  std::shared_ptr<const AppliedState> applied_state() {
    std::lock_guard lock(state_mutex_);
    return applied_;
  }

  // Re-applies one drifted object straight away, so a deleted object is back
  // in milliseconds; the reconcile the core runs next then finds it in sync.
  // Heals also run while a sync waits for health (a Deployment deleted then
  // must not hold the wait until its timeout), but not while a sync writes or
  // after it published a newer state than `snapshot`: that sync knows better.
  void heal_now(Context& context, const std::shared_ptr<const AppliedState>& snapshot, const AppliedObject& object) {
    if (writing_ || applied_state() != snapshot) return;
    auto desired = parse_json(object.desired_json);
    if (!desired.ok()) return;
    KubeClient& client = *connected_.load();
    auto response = client.send(server_side_apply(
        client, object.path, applied_object(*desired, object.entry.namespace_name, object.namespaced, object.hash),
        settings_.force, false, false));
    if (response.ok() && (response->status == 200 || response->status == 201))
      context.logger().info("drift healed", {{"object", object.entry.id()}});
    else
      context.logger().warn("drift not healed; the next reconcile will try",
                            {{"object", object.entry.id()},
                             {"error", response.ok() ? api_message(*response) : response.error().message}});
  }

  // Finds the cluster once, and (re)loads discovery when it is missing or does
  // not know a kind of `objects` (a CRD someone applied since).
  Result<void> connect(const std::vector<KubeObject>& objects) {
    if (!client_) {
      auto access = find_cluster(settings_.kubeconfig, settings_.context);
      if (!access.ok()) return access.error();
      default_namespace_ = !settings_.namespace_name.empty() ? settings_.namespace_name
                           : !access->namespace_name.empty() ? access->namespace_name
                                                             : "default";
      inventory_namespace_ = settings_.inventory_namespace.empty() ? default_namespace_ : settings_.inventory_namespace;
      client_ = std::make_unique<KubeClient>(std::move(*access), settings_.impersonate, settings_.request_timeout);
      connected_ = client_.get();
    }
    bool stale = !discovery_;
    for (const auto& object : objects)
      if (!stale && !discovery_->find(object.api_version(), object.kind())) stale = true;
    if (!stale) return {};
    auto discovery = Discovery::load(*client_);
    if (!discovery.ok())
      return fail(discovery.error().code, "cannot reach the cluster of " + client_->access().description + " (" +
                                              client_->access().server + "): " + discovery.error().message);
    discovery_ = std::move(*discovery);
    return {};
  }

  const Settings settings_;
  std::mutex mutex_;  // one sync (or connect) at a time
  std::unique_ptr<KubeClient> client_;
  std::atomic<KubeClient*> connected_{nullptr};  // client_ for the watch, which must not wait for a sync's lock
  std::optional<Discovery> discovery_;
  std::string default_namespace_;
  std::string inventory_namespace_;
  std::mutex state_mutex_;
  std::shared_ptr<const AppliedState> applied_;
  std::atomic<bool> writing_{false};  // a sync is writing and has not published its state yet
};

class KubeSinkFactory : public SinkFactory {
 public:
  std::vector<ConfigKey> config_keys() const override {
    return {
        ConfigKey("kubeconfig", ConfigType::path,
                  "Kubeconfig file; when unset: $KUBECONFIG, then ~/.kube/config, then the in-cluster service account."),
        ConfigKey("context", ConfigType::string, "Kubeconfig context to use; when unset: its current-context."),
        ConfigKey("namespace", ConfigType::string,
                  "Namespace for namespaced objects that name none; when unset: the context's namespace, else default."),
        ConfigKey("inventoryNamespace", ConfigType::string,
                  "Namespace of the inventory ConfigMap driftless-inventory-<pipeline>; when unset: `namespace`."),
        ConfigKey("impersonate", ConfigType::object, "Act as this user (and groups), held to their RBAC.")
            .with_children({ConfigKey("user", ConfigType::string, "User name to impersonate.").required(),
                            ConfigKey("groups", ConfigType::string_list, "Groups to impersonate.")}),
        ConfigKey("force", ConfigType::boolean, "Take over fields other field managers own (server-side apply force).")
            .default_to(true),
        ConfigKey("prune", ConfigType::boolean, "Delete objects that left the desired set.").default_to(true),
        ConfigKey("allowEmpty", ConfigType::boolean, "Let an empty render prune every object of the pipeline.")
            .default_to(false),
        ConfigKey("wait", ConfigType::boolean, "After applying, wait until the objects are healthy.").default_to(true),
        ConfigKey("healthTimeout", ConfigType::duration, "How long to wait for health (and for CRDs to be established).")
            .default_to("5m"),
        ConfigKey("requestTimeout", ConfigType::duration, "Limit for one API request.").default_to("30s"),
        ConfigKey("concurrency", ConfigType::integer, "API requests in flight at once.").default_to(32),
        ConfigKey("drift", ConfigType::string, "What `driftless run` does when a managed object is changed or deleted.")
            .one_of({"heal", "report", "off"})
            .default_to("heal"),
    };
  }

  Result<std::unique_ptr<Sink>> create(const Value& config) const override {
    Settings s;
    s.kubeconfig = config.string_or("kubeconfig");
    s.context = config.string_or("context");
    s.namespace_name = config.string_or("namespace");
    s.inventory_namespace = config.string_or("inventoryNamespace");
    if (const Value* who = config.find("impersonate")) {
      s.impersonate.user = who->string_or("user");
      if (const Value* groups = who->find("groups"); groups && groups->is_array())
        for (const auto& g : groups->as_array()) s.impersonate.groups.push_back(g.as_string());
    }
    s.force = config.find("force")->as_bool();
    s.prune = config.find("prune")->as_bool();
    s.allow_empty = config.find("allowEmpty")->as_bool();
    s.wait = config.find("wait")->as_bool();
    s.health_timeout = std::chrono::milliseconds(config.find("healthTimeout")->as_int());
    s.request_timeout = std::chrono::milliseconds(config.find("requestTimeout")->as_int());
    const std::int64_t concurrency = config.find("concurrency")->as_int();
    if (concurrency < 1 || concurrency > 1000)
      return fail(ErrorCode::invalid_input, "concurrency must be between 1 and 1000, not " + std::to_string(concurrency));
    s.concurrency = static_cast<std::size_t>(concurrency);
    const std::string drift = config.string_or("drift", "heal");
    s.drift = drift == "off" ? DriftMode::off : drift == "report" ? DriftMode::report : DriftMode::heal;
    return std::unique_ptr<Sink>(std::make_unique<KubeSink>(std::move(s)));
  }
};

}  // namespace

DRIFTLESS_PLUGIN(KubeSinkFactory, "kube", "sink", "0.1.0",
                 "Applies objects to a Kubernetes cluster (server-side apply, prune, health, drift healing)")
