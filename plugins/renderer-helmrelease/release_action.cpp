#include "release_action.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <thread>

#include "driftless/toolkit/hash.hpp"
#include "driftless/toolkit/yaml.hpp"
#include "helm_runner.hpp"
#include "release_status.hpp"
#include "target.hpp"
#include "values.hpp"

namespace driftless::helmrelease {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kDigestLabelLength = 32;  // label values are at most 63 characters
constexpr auto kHelmGrace = std::chrono::seconds(60);  // on top of helm's own --timeout

// A release as `helm list -o json` shows it.
struct Deployed {
  std::string name;
  std::string namespace_name;
  std::string revision;
  std::string status;
  std::string chart;  ///< "name-version"
};

// What this plugin remembers of a release it installed.
struct Installed {
  std::string digest;
  std::string revision;
  std::map<std::string, std::string> objects;  ///< ObjectRef::key() -> fingerprint, right after the install
};

std::string json_text(const Value& object, std::string_view key) {
  const Value* v = object.find(key);
  if (!v) return {};
  if (v->is_string()) return v->as_string();
  if (v->is_int()) return std::to_string(v->as_int());
  return {};
}

// The pipeline's releases in `ns` ("" = all namespaces), by "namespace/name";
// ErrorCode::unauthorized when the identity may not list them there.
Result<std::map<std::string, Deployed>> list_releases(const HelmRunner& helm, const std::string& pipeline, const std::string& ns) {
  std::vector<std::string> args{"list", "--all", "--max", "1000000", "--output", "json", "--selector",
                                std::string(kube::kPipelineLabel) + "=" + kube::pipeline_label_value(pipeline)};
  if (ns.empty()) args.insert(args.begin() + 1, "--all-namespaces");
  else args.insert(args.begin() + 1, {"--namespace", ns});
  auto listed = helm.run(std::move(args), std::chrono::minutes(2));
  if (!listed.ok()) return fail(listed.error().code, "helm list: " + listed.error().message);
  if (listed->exit_code != 0)
    return fail(listed->err.find("forbidden") != std::string::npos ? ErrorCode::unauthorized : ErrorCode::unavailable,
                "helm list failed: " + masked(listed->err, {}));
  auto parsed = parse_json(listed->out);
  if (!parsed.ok() || !parsed->is_array()) return fail(ErrorCode::internal, "helm list printed no JSON list");
  std::map<std::string, Deployed> out;
  for (const auto& item : parsed->as_array()) {
    Deployed d{json_text(item, "name"), json_text(item, "namespace"), json_text(item, "revision"), json_text(item, "status"),
               json_text(item, "chart")};
    out.emplace(d.namespace_name + "/" + d.name, std::move(d));
  }
  return out;
}

// The pipeline's releases in the cluster, by "namespace/name": one `helm list`
// over all namespaces. An identity that may not list Secrets cluster-wide (a
// tenant whose RoleBindings are per namespace) is asked in `namespaces` only:
// those of the HelmReleases and of the releases this plugin installed before.
// `refused_everywhere` is true when this identity was refused before, so a
// tenant pipeline asks per namespace straight away at every later reconcile;
// the first refusal sets it and is logged at info.
Result<std::map<std::string, Deployed>> list_deployed(const HelmRunner& helm, const std::string& pipeline,
                                                      const std::set<std::string>& namespaces, bool& refused_everywhere,
                                                      Logger& logger) {
  if (!refused_everywhere) {
    auto everywhere = list_releases(helm, pipeline, "");
    if (everywhere.ok() || everywhere.error().code != ErrorCode::unauthorized) return everywhere;
    refused_everywhere = true;
    std::string listed;
    for (const auto& ns : namespaces) listed += (listed.empty() ? "" : ", ") + ns;
    logger.info("helm may not list releases in all namespaces; from now on looking for this pipeline's releases only in the "
                "namespaces of its HelmReleases and of the releases it installed before",
                {{"namespaces", listed}, {"error", everywhere.error().message}});
  }
  std::map<std::string, Deployed> out;
  for (const auto& ns : namespaces) {
    auto found = list_releases(helm, pipeline, ns);
    if (!found.ok()) return found.error();
    out.merge(*found);
  }
  return out;
}

// True when the deployed release carries the digest label of `release`: how a
// release installed before this plugin's state was lost is recognised.
bool labelled_with(const HelmRunner& helm, const Release& release) {
  auto listed = helm.run({"list", "--namespace", release.namespace_name, "--short", "--filter", "^" + release.name + "$",
                          "--selector", std::string(kDigestLabel) + "=" + release.digest.substr(0, kDigestLabelLength)},
                         std::chrono::minutes(1));
  return listed.ok() && listed->exit_code == 0 && listed->out == release.name + "\n";
}

std::string sanitized(const std::string& name) {
  std::string out = name;
  for (auto& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  return out;
}

// The JSON object in one of the plugin's state files; empty when missing or unreadable.
Object read_state(const fs::path& file) {
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto parsed = parse_json(text);
  return parsed.ok() && parsed->is_object() ? parsed->as_object() : Object{};
}

// Replaces a state file through a temporary file, so a crash leaves the old one.
void write_state(const fs::path& file, Value root, Logger& logger) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  const fs::path temporary = file.string() + ".tmp";
  std::ofstream(temporary, std::ios::trunc) << to_json(root);
  fs::rename(temporary, file, ec);
  if (ec) logger.warn("cannot write the plugin's state; the next reconcile repeats some work", {{"file", file.string()}, {"error", ec.message()}});
}

// A JSON object of strings kept in the plugin's state (what was written to each HelmRelease's status).
std::map<std::string, std::string> load_strings(const fs::path& file) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : read_state(file))
    if (value.is_string()) out[key] = value.as_string();
  return out;
}

void save_strings(const fs::path& file, const std::map<std::string, std::string>& strings, Logger& logger) {
  Object root;
  for (const auto& [key, value] : strings) root.set(key, value);
  write_state(file, Value(std::move(root)), logger);
}

std::map<std::string, Installed> load_installed(const fs::path& file) {
  std::map<std::string, Installed> out;
  for (const auto& [key, value] : read_state(file)) {
    Installed& entry = out[key] = Installed{json_text(value, "digest"), json_text(value, "revision"), {}};
    if (const Value* objects = value.find("objects"); objects && objects->is_object())
      for (const auto& [object, print] : objects->as_object()) entry.objects[object] = json_text(*objects, object);
  }
  return out;
}

void save_installed(const fs::path& file, const std::map<std::string, Installed>& installed, Logger& logger) {
  Object root;
  for (const auto& [key, entry] : installed) {
    Object item;
    item.set("digest", entry.digest);
    item.set("revision", entry.revision);
    Object objects;
    for (const auto& [object, print] : entry.objects) objects.set(object, print);
    item.set("objects", Value(std::move(objects)));
    root.set(key, Value(std::move(item)));
  }
  write_state(file, Value(std::move(root)), logger);
}

// Writes the values where only this process can read them.
Result<fs::path> write_values(const fs::path& folder, std::size_t index, const Value& values) {
  const fs::path file = folder / ("values-" + std::to_string(index) + ".yaml");
  auto written = write_private_file(file, to_yaml(values));
  if (!written.ok()) return fail(ErrorCode::internal, "cannot write a values file in " + folder.string());
  return file;
}

std::vector<std::string> upgrade_args(const Release& release, const PhaseOptions& phase, const fs::path& values,
                                      const std::string& pipeline) {
  std::vector<std::string> args{"upgrade", "--install", release.name, release.chart.path.string(),
                                "--namespace", release.namespace_name, "--values", values.string(), "--reset-values",
                                "--output", "json", "--history-max", std::to_string(release.max_history),
                                "--labels", std::string(kube::kPipelineLabel) + "=" + kube::pipeline_label_value(pipeline) + "," + kDigestLabel + "=" +
                                                release.digest.substr(0, kDigestLabelLength)};
  if (release.create_namespace) args.push_back("--create-namespace");
  if (phase.wait || phase.remediate) args.insert(args.end(), {"--wait", "--timeout", std::to_string(phase.timeout.count()) + "s"});
  if (phase.wait && phase.wait_for_jobs) args.push_back("--wait-for-jobs");
  if (phase.remediate) args.push_back("--atomic");
  if (phase.skip_crds) args.push_back("--skip-crds");
  if (phase.force) args.push_back("--force");
  if (phase.cleanup_on_fail) args.push_back("--cleanup-on-fail");
  if (phase.disable_hooks) args.push_back("--no-hooks");
  return args;
}

Diagnostic about(const Release& release, Severity severity, std::string message) {
  return Diagnostic{severity, std::move(message), release.origin.file, release.origin.line, release.object};
}

// A release's line in `driftless status`; `chart` is helm's "name-version".
StatusItem item_of(const Release& release, std::string state, const std::string& revision, const std::string& chart,
                   std::string error) {
  StatusItem item;
  item.id = release.object;
  item.state = std::move(state);
  item.detail = "release " + release.key() + (revision.empty() ? "" : " revision " + revision) + (chart.empty() ? "" : ", chart " + chart);
  item.error = std::move(error);
  item.fields = {{"release", release.key()}, {"revision", revision}, {"chart", chart}, {"wantedVersion", release.chart.version}};
  return item;
}

// Releases (by key) whose objects were deleted or changed since driftless
// installed them, with the first difference found.
std::map<std::string, std::string> find_drift(ClusterView& cluster, const std::vector<const Release*>& releases,
                                              const std::map<std::string, Installed>& installed, Logger& logger) {
  std::vector<ObjectRef> refs;
  for (const Release* release : releases)
    for (const auto& [key, print] : installed.at(release->key()).objects)
      if (auto ref = ObjectRef::from_key(key)) refs.push_back(*ref);
  std::map<std::string, std::string> out;
  if (refs.empty()) return out;
  auto live = cluster.fingerprints(refs);
  if (!live.ok()) {
    logger.warn("cannot list the objects of the releases; their drift is not checked this time", {{"error", live.error().message}});
    return out;
  }
  for (const Release* release : releases)
    for (const auto& [key, print] : installed.at(release->key()).objects) {
      auto ref = ObjectRef::from_key(key);
      if (!ref || out.count(release->key())) continue;
      auto now = live->find(key);
      if (now == live->end()) out[release->key()] = ref->id() + " was deleted";
      else if (now->second != print) out[release->key()] = ref->id() + " was changed";
    }
  return out;
}

// Fingerprints of the objects in each release's manifest, right after helm installed them.
void remember_objects(ClusterView& cluster, const std::map<std::string, std::string>& manifests,
                      std::map<std::string, Installed>& installed, Logger& logger) {
  std::map<std::string, std::vector<ObjectRef>> objects_of;
  std::vector<ObjectRef> all;
  for (const auto& [key, manifest] : manifests) {
    auto refs = cluster.manifest_objects(manifest, key.substr(0, key.find('/')));
    if (!refs.ok()) {
      logger.warn("cannot read the API's resources; drift of the releases just installed is checked from their next install on",
                  {{"error", refs.error().message}});
      return;
    }
    all.insert(all.end(), refs->begin(), refs->end());
    objects_of[key] = std::move(*refs);
  }
  if (all.empty()) return;
  auto live = cluster.fingerprints(all);
  if (!live.ok()) {
    logger.warn("cannot read the objects of the releases just installed; their drift is checked from the next install on",
                {{"error", live.error().message}});
    return;
  }
  for (const auto& [key, refs] : objects_of) {
    auto& objects = installed[key].objects;
    objects.clear();
    for (const auto& ref : refs)
      if (auto print = live->find(ref.key()); print != live->end()) objects[ref.key()] = print->second;
  }
}

// `releases` with the values that also come from the cluster merged in, read
// as the sink's identity (into `storage`); a release whose merge failed is in
// `unmerged` with why, and its errors are in `out`.
const std::vector<Release>& with_cluster_values(const std::vector<Release>& releases, ClusterView* cluster,
                                                const std::string& unreachable, std::vector<Release>& storage,
                                                std::map<std::string, std::string>& unmerged, std::vector<Diagnostic>& out) {
  if (std::none_of(releases.begin(), releases.end(), [](const Release& r) { return r.values_inputs != nullptr; })) return releases;
  storage = releases;
  ClusterObjectReader from_cluster = [&](const std::string& kind, const std::string& ns,
                                         const std::string& name) -> Result<KubeObject> {
    if (!cluster) return fail(ErrorCode::unavailable, unreachable);
    return cluster->config_object(kind, ns, name);
  };
  for (auto& release : storage) {
    if (!release.values_inputs || release.suspended) continue;
    const std::size_t before = out.size();
    if (!merge_kept_values(*release.values_inputs, from_cluster, release, out))
      unmerged[release.object] = out.size() > before ? out.back().message : "its values could not be merged";
  }
  return storage;
}

// One run of the release actions, step by step: what is deployed, what needs
// helm, then (in apply) installs level by level, uninstalls, and the status.
class ReleaseRun {
 public:
  ReleaseRun(Context& context, const ActionSettings& settings, const std::string& pipeline, const std::vector<Release>& releases,
             std::string& listing_refused_for)
      : context_(context), settings_(settings), pipeline_(pipeline), all_(releases), listing_refused_for_(listing_refused_for) {}

  SinkReport run(const Target& target, SinkMode mode) {
    if (all_.empty() && nothing_installed(target)) return std::move(report_);
    if (!connect(target) || !read_deployed(target)) return std::move(report_);
    plan();
    if (mode == SinkMode::diff) {
      report_would_change();
      return std::move(report_);
    }
    install_all();
    if (cluster_) remember_objects(*cluster_, manifests_, installed_, context_.logger());
    uninstall_removed();
    save_installed(state_file(), installed_, context_.logger());
    publish_status();
    return std::move(report_);
  }

 private:
  void error(std::string message, std::string object = {}) {
    report_.diagnostics.push_back({Severity::error, std::move(message), {}, 0, std::move(object)});
  }
  fs::path state_file() const { return settings_.state_dir / (sanitized(pipeline_) + ".json"); }

  // No HelmRelease in the render, none remembered, and none of this pipeline
  // in helm's storage (one API request): nothing to install or uninstall, so
  // helm is not run at all. Every pipeline a Flux Kustomization declares runs
  // this stage, HelmReleases or not; a thousand of them must not start a
  // thousand `helm list`s. When unsure (no answer, or a tenant refused a
  // cluster-wide list) helm lists as usual.
  bool nothing_installed(const Target& target) {
    if (remembers_releases(settings_, pipeline_)) return false;
    auto reach = kube::settings_of(target);
    if (!reach.ok()) return false;
    auto cluster = ClusterView::connect(*reach);
    if (!cluster.ok()) return false;
    auto held = (*cluster)->holds_release_of(pipeline_);
    return held.ok() && !*held;
  }

  // helm as the sink's identity, and the API for drift and status (releases are installed without it).
  bool connect(const Target& target) {
    auto reach = kube::settings_of(target);
    if (!reach.ok()) {
      error("helm releases: " + reach.error().message);
      return false;
    }
    auto tool = find_tool("helm", settings_.helm_path, "helmPath");
    if (!tool.ok()) {
      error(tool.error().message);
      return false;
    }
    helm_.emplace(context_, *tool, HelmTarget{*reach, settings_.max_memory});
    if (auto connected = ClusterView::connect(*reach); connected.ok()) cluster_ = std::move(*connected);
    else unreachable_ = connected.error().message;
    if (!cluster_)
      context_.logger().warn("cannot read the cluster's API; release objects are not checked for drift", {{"error", unreachable_}});
    return true;
  }

  // The releases this pipeline installed, as helm lists them, and what this plugin remembers of them.
  bool read_deployed(const Target& target) {
    installed_ = load_installed(state_file());
    std::set<std::string> namespaces;
    for (const auto& release : all_) namespaces.insert(release.namespace_name);
    for (const auto& [key, entry] : installed_) namespaces.insert(key.substr(0, key.find('/')));
    // Remembered per target: a sink changed by a config reload may be allowed more.
    const std::string identity = to_json(target.access);
    bool refused_everywhere = listing_refused_for_ == identity;
    auto deployed = list_deployed(*helm_, pipeline_, namespaces, refused_everywhere, context_.logger());
    if (refused_everywhere) listing_refused_for_ = identity;
    if (!deployed.ok()) {
      error(deployed.error().message);
      return false;
    }
    deployed_ = std::move(*deployed);
    return true;
  }

  const Deployed* deployed(const Release& release) const {
    auto it = deployed_.find(release.key());
    return it == deployed_.end() ? nullptr : &it->second;
  }

  // Which releases need helm: new, changed, moved by someone else, not
  // healthy, or whose objects drifted; the others are reported unchanged.
  void plan() {
    releases_ = &with_cluster_values(all_, cluster_.get(), unreachable_, merged_, unmerged_, report_.diagnostics);
    std::set<std::string> changed;
    std::vector<const Release*> unchanged;
    for (const auto& release : *releases_) {
      desired_.insert(release.key());
      if (release.suspended || unmerged_.count(release.object)) continue;
      const Deployed* current = deployed(release);
      auto known = installed_.find(release.key());
      if (known == installed_.end() && current && current->status == "deployed" && labelled_with(*helm_, release))
        known = installed_.insert_or_assign(release.key(), Installed{release.digest, current->revision, {}}).first;
      const bool same = current && current->status == "deployed" && known != installed_.end() &&
                        known->second.digest == release.digest && known->second.revision == current->revision;
      if (same) unchanged.push_back(&release);
      else changed.insert(release.key());
    }
    if (cluster_) drift_ = find_drift(*cluster_, unchanged, installed_, context_.logger());
    for (const auto& release : *releases_) {
      const Deployed* current = deployed(release);
      const std::string revision = current ? current->revision : "";
      const std::string chart = current ? current->chart : "";
      if (auto why = unmerged_.find(release.object); why != unmerged_.end()) {
        items_[release.object] = item_of(release, "failed", revision, chart, why->second);
      } else if (release.suspended) {
        items_[release.object] = item_of(release, "suspended", revision, chart, "");
      } else if (changed.count(release.key()) || drift_.count(release.key())) {
        work_.push_back(&release);
      } else {
        report_.changes.push_back({release.object, ChangeAction::unchanged, "release " + release.key() + " revision " + revision});
        items_[release.object] = item_of(release, "deployed", revision, chart, "");
      }
    }
  }

  void report_would_change() {
    for (const Release* release : work_) {
      const Deployed* current = deployed(*release);
      auto drifted = drift_.find(release->key());
      const std::string what =
          drifted != drift_.end() ? "would upgrade release " + release->key() + " to put its objects back (" + drifted->second + ")"
          : current ? "would upgrade release " + release->key() + " (" + current->chart + ", " + current->status + ") to chart " +
                          release->chart.name + " " + release->chart.version
                    : "would install release " + release->key() + " with chart " + release->chart.name + " " + release->chart.version;
      report_.changes.push_back({release->object, current ? ChangeAction::configured : ChangeAction::created, what});
    }
    if (settings_.prune)
      for (const auto& [key, d] : deployed_)
        if (!desired_.count(key)) report_.changes.push_back({"HelmRelease/" + key, ChangeAction::pruned, "would uninstall release " + key});
  }

  // Installs level by level (dependsOn), a few releases at a time.
  void install_all() {
    for (std::size_t begin = 0; begin < work_.size();) {
      std::size_t end = begin;
      while (end < work_.size() && work_[end]->level == work_[begin]->level) ++end;
      std::atomic<std::size_t> cursor{begin};
      auto worker = [&] {
        for (std::size_t i = cursor++; i < end; i = cursor++) install(i);
      };
      const std::size_t threads = std::min<std::size_t>(std::max(1, settings_.concurrency), end - begin);
      std::vector<std::thread> pool;
      for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
      worker();
      for (auto& thread : pool) thread.join();
      begin = end;
    }
  }

  // `helm upgrade --install` of work_[index] (on a worker thread), unless a dependency failed.
  void install(std::size_t index) {
    const Release& release = *work_[index];
    const Deployed* current = deployed(release);
    const std::string old_revision = current ? current->revision : "";
    const std::string old_chart = current ? current->chart : "";
    if (auto blocked = failed_dependency(release)) {
      std::lock_guard guard(results_mutex_);
      failed_.insert(release.object);
      const std::string why = "not installed: it depends on " + *blocked + ", which failed";
      report_.diagnostics.push_back(about(release, Severity::error, why));
      items_[release.object] = item_of(release, "failed", old_revision, old_chart, why);
      return;
    }
    const PhaseOptions& phase = current ? release.upgrade : release.install;
    auto values = write_values(helm_->home(), index, release.values);
    Result<ProcessResult> ran = values.ok() ? helm_->run(upgrade_args(release, phase, *values, pipeline_), phase.timeout + kHelmGrace)
                                            : Result<ProcessResult>(values.error());
    std::error_code ec;
    if (values.ok()) fs::remove(*values, ec);
    std::lock_guard guard(results_mutex_);
    if (!ran.ok() || ran->exit_code != 0) {
      failed_.insert(release.object);
      installed_.erase(release.key());
      const std::string why = std::string("helm ") + (current ? "upgrade" : "install") + " of release " + release.key() + " failed" +
                              (phase.remediate ? " (remediation: rolled back)" : "") + ": " +
                              (ran.ok() ? masked(ran->err, release.secret_texts) : ran.error().message);
      report_.diagnostics.push_back(about(release, Severity::error, why));
      items_[release.object] = item_of(release, "failed", old_revision, old_chart, why);
      context_.logger().error("helm release failed", {{"release", release.key()}, {"object", release.object}});
      return;
    }
    auto printed = parse_json(ran->out);
    const std::string revision = printed.ok() ? json_text(*printed, "version") : "";
    installed_[release.key()] = Installed{release.digest, revision, {}};
    if (cluster_ && printed.ok()) manifests_[release.key()] = json_text(*printed, "manifest");
    auto drifted = drift_.find(release.key());
    const std::string healed = drifted == drift_.end() ? "" : " (objects put back: " + drifted->second + ")";
    report_.changes.push_back({release.object, current ? ChangeAction::configured : ChangeAction::created,
                               "release " + release.key() + " revision " + revision + ", chart " + release.chart.name + " " +
                                   release.chart.version + healed});
    items_[release.object] = item_of(release, "deployed", revision, release.chart.name + "-" + release.chart.version, "");
    context_.logger().info(drifted != drift_.end() ? "helm release healed" : current ? "helm release upgraded" : "helm release installed",
                           {{"release", release.key()}, {"revision", revision}, {"chart", release.chart.name},
                            {"version", release.chart.version}});
  }

  std::optional<std::string> failed_dependency(const Release& release) {
    std::lock_guard guard(results_mutex_);
    for (const auto& dependency : release.depends_on)
      if (failed_.count(dependency)) return dependency;
    return std::nullopt;
  }

  // Uninstalls what left Git, only after everything else went well.
  void uninstall_removed() {
    if (!settings_.prune || has_errors(report_.diagnostics)) return;
    for (const auto& [key, d] : deployed_) {
      if (desired_.count(key)) continue;
      auto ran = helm_->run({"uninstall", d.name, "--namespace", d.namespace_name, "--wait", "--timeout", "300s"},
                            std::chrono::seconds(300) + kHelmGrace);
      if (!ran.ok() || ran->exit_code != 0) {
        error("helm uninstall of release " + key + " failed: " + (ran.ok() ? masked(ran->err, {}) : ran.error().message),
              "HelmRelease/" + key);
        continue;
      }
      installed_.erase(key);
      report_.changes.push_back({"HelmRelease/" + key, ChangeAction::pruned, "release " + key + " uninstalled"});
      context_.logger().info("helm release uninstalled", {{"release", key}});
    }
  }

  // The HelmRelease objects' status, written only when it changed (remembered
  // across runs): a no-op reconcile of many releases makes no requests.
  void publish_status() {
    const fs::path published_file = settings_.state_dir / (sanitized(pipeline_) + ".status.json");
    auto published = load_strings(published_file);
    std::map<std::string, std::string> now_published;
    for (const auto& release : *releases_) {
      auto item = items_.find(release.object);
      if (item == items_.end()) continue;
      report_.items.push_back(item->second);
      const std::string signature = sha256_hex(item->second.state + "\n" + item->second.detail + "\n" + item->second.error);
      if (cluster_ && published[release.object] != signature) write_release_status(*cluster_, release, item->second, context_.logger());
      now_published[release.object] = signature;
    }
    save_strings(published_file, now_published, context_.logger());
  }

  Context& context_;
  const ActionSettings& settings_;
  const std::string& pipeline_;
  const std::vector<Release>& all_;
  std::string& listing_refused_for_;
  SinkReport report_;
  std::optional<HelmRunner> helm_;
  std::unique_ptr<ClusterView> cluster_;
  std::string unreachable_;  ///< why cluster_ is null
  std::map<std::string, Installed> installed_;
  std::map<std::string, Deployed> deployed_;
  std::vector<Release> merged_;                  ///< the releases with values from the cluster, when any has some
  const std::vector<Release>* releases_ = nullptr;  ///< all_ or merged_
  std::map<std::string, std::string> unmerged_;  ///< HelmRelease object -> why its values could not be merged
  std::set<std::string> desired_;
  std::map<std::string, std::string> drift_;     ///< release key -> what drifted
  std::vector<const Release*> work_;             ///< what needs helm, by level
  std::map<std::string, StatusItem> items_;      ///< by HelmRelease object
  std::mutex results_mutex_;                     ///< guards what install() writes from several threads
  std::set<std::string> failed_;
  std::map<std::string, std::string> manifests_;  ///< helm's rendered manifest by release key, of the releases installed now
};

}  // namespace

bool remembers_releases(const ActionSettings& settings, const std::string& pipeline) {
  return !load_installed(settings.state_dir / (sanitized(pipeline) + ".json")).empty();
}

ReleaseActions::ReleaseActions(ActionSettings settings, std::string pipeline, std::vector<Release> releases)
    : settings_(std::move(settings)), pipeline_(std::move(pipeline)), releases_(std::move(releases)) {
  std::stable_sort(releases_.begin(), releases_.end(), [](const Release& a, const Release& b) { return a.level < b.level; });
}

std::string ReleaseActions::describe() const {
  return "helm releases of " + std::to_string(releases_.size()) + " HelmRelease object(s)";
}

SinkReport ReleaseActions::run(Context& context, const Target& target, SinkMode mode) {
  std::lock_guard lock(running_);
  return ReleaseRun(context, settings_, pipeline_, releases_, listing_refused_for_).run(target, mode);
}

}  // namespace driftless::helmrelease
