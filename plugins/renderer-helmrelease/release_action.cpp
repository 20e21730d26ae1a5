#include "release_action.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <fstream>
#include <map>
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

}  // namespace

ReleaseActions::ReleaseActions(ActionSettings settings, std::string pipeline, std::vector<Release> releases)
    : settings_(std::move(settings)), pipeline_(std::move(pipeline)), releases_(std::move(releases)) {
  std::stable_sort(releases_.begin(), releases_.end(), [](const Release& a, const Release& b) { return a.level < b.level; });
}

std::string ReleaseActions::describe() const {
  return "helm releases of " + std::to_string(releases_.size()) + " HelmRelease object(s)";
}

SinkReport ReleaseActions::run(Context& context, const Target& target, SinkMode mode) {
  std::lock_guard lock(running_);
  SinkReport report;
  auto reach = kube::settings_of(target);
  if (!reach.ok()) {
    report.diagnostics.push_back({Severity::error, "helm releases: " + reach.error().message, {}, 0, {}});
    return report;
  }
  auto tool = find_tool("helm", settings_.helm_path, "helmPath");
  if (!tool.ok()) {
    report.diagnostics.push_back({Severity::error, tool.error().message, {}, 0, {}});
    return report;
  }
  HelmRunner helm(context, *tool, HelmTarget{*reach, settings_.max_memory});
  const fs::path state_file = settings_.state_dir / (sanitized(pipeline_) + ".json");
  std::map<std::string, Installed> installed = load_installed(state_file);
  std::set<std::string> namespaces;
  for (const auto& release : releases_) namespaces.insert(release.namespace_name);
  for (const auto& [key, entry] : installed) namespaces.insert(key.substr(0, key.find('/')));
  // Remembered per target: a sink changed by a config reload may be allowed more.
  const std::string identity = to_json(target.access);
  bool refused_everywhere = listing_refused_for_ == identity;
  auto deployed = list_deployed(helm, pipeline_, namespaces, refused_everywhere, context.logger());
  if (refused_everywhere) listing_refused_for_ = identity;
  if (!deployed.ok()) {
    report.diagnostics.push_back({Severity::error, deployed.error().message, {}, 0, {}});
    return report;
  }
  // The cluster as the API shows it: for drift and the HelmRelease status. Releases are installed without it.
  std::unique_ptr<ClusterView> cluster;
  std::string unreachable;
  if (auto connected = ClusterView::connect(*reach); connected.ok()) cluster = std::move(*connected);
  else unreachable = connected.error().message;
  if (cluster == nullptr)
    context.logger().warn("cannot read the cluster's API; release objects are not checked for drift", {{"error", unreachable}});
  std::vector<Release> merged;
  std::map<std::string, std::string> unmerged;  // HelmRelease object -> why its values could not be merged
  const std::vector<Release>& releases = with_cluster_values(releases_, cluster.get(), unreachable, merged, unmerged, report.diagnostics);

  // Which releases need helm: new, changed, moved by someone else, not healthy, or whose objects drifted.
  std::set<std::string> desired, changed;
  std::vector<const Release*> unchanged;
  for (const auto& release : releases) {
    desired.insert(release.key());
    if (release.suspended || unmerged.count(release.object)) continue;
    auto current = deployed->find(release.key());
    auto known = installed.find(release.key());
    if (known == installed.end() && current != deployed->end() && current->second.status == "deployed" &&
        labelled_with(helm, release))
      known = installed.insert_or_assign(release.key(), Installed{release.digest, current->second.revision, {}}).first;
    const bool same = current != deployed->end() && current->second.status == "deployed" && known != installed.end() &&
                      known->second.digest == release.digest && known->second.revision == current->second.revision;
    if (same) unchanged.push_back(&release);
    else changed.insert(release.key());
  }
  const auto drift = cluster ? find_drift(*cluster, unchanged, installed, context.logger()) : std::map<std::string, std::string>{};
  std::vector<const Release*> work;
  std::map<std::string, StatusItem> items;  // by HelmRelease object
  for (const auto& release : releases) {
    auto current = deployed->find(release.key());
    const std::string revision = current == deployed->end() ? "" : current->second.revision;
    const std::string chart = current == deployed->end() ? "" : current->second.chart;
    if (auto why = unmerged.find(release.object); why != unmerged.end()) {
      items[release.object] = item_of(release, "failed", revision, chart, why->second);
    } else if (release.suspended) {
      items[release.object] = item_of(release, "suspended", revision, chart, "");
    } else if (changed.count(release.key()) || drift.count(release.key())) {
      work.push_back(&release);
    } else {
      report.changes.push_back({release.object, ChangeAction::unchanged, "release " + release.key() + " revision " + revision});
      items[release.object] = item_of(release, "deployed", revision, chart, "");
    }
  }

  if (mode == SinkMode::diff) {
    for (const Release* release : work) {
      auto current = deployed->find(release->key());
      const bool exists = current != deployed->end();
      auto drifted = drift.find(release->key());
      report.changes.push_back({release->object, exists ? ChangeAction::configured : ChangeAction::created,
                                drifted != drift.end()
                                    ? "would upgrade release " + release->key() + " to put its objects back (" + drifted->second + ")"
                                : exists ? "would upgrade release " + release->key() + " (" + current->second.chart + ", " +
                                               current->second.status + ") to chart " + release->chart.name + " " + release->chart.version
                                         : "would install release " + release->key() + " with chart " + release->chart.name + " " +
                                               release->chart.version});
    }
    if (settings_.prune)
      for (const auto& [key, d] : *deployed)
        if (!desired.count(key)) report.changes.push_back({"HelmRelease/" + key, ChangeAction::pruned, "would uninstall release " + key});
    return report;
  }

  // Installs level by level (dependsOn), a few releases at a time.
  std::mutex results_mutex;
  std::set<std::string> failed;
  std::map<std::string, std::string> manifests;  // helm's rendered manifest by release key, of the releases installed now
  for (std::size_t begin = 0; begin < work.size();) {
    std::size_t end = begin;
    while (end < work.size() && work[end]->level == work[begin]->level) ++end;
    std::atomic<std::size_t> cursor{begin};
    auto worker = [&] {
      for (std::size_t i = cursor++; i < end; i = cursor++) {
        const Release& release = *work[i];
        auto current = deployed->find(release.key());
        const bool exists = current != deployed->end();
        const std::string old_revision = exists ? current->second.revision : "";
        const std::string old_chart = exists ? current->second.chart : "";
        std::vector<std::string> blocked;
        {
          std::lock_guard guard(results_mutex);
          for (const auto& dependency : release.depends_on)
            if (failed.count(dependency)) blocked.push_back(dependency);
        }
        if (!blocked.empty()) {
          std::lock_guard guard(results_mutex);
          failed.insert(release.object);
          const std::string why = "not installed: it depends on " + blocked.front() + ", which failed";
          report.diagnostics.push_back(about(release, Severity::error, why));
          items[release.object] = item_of(release, "failed", old_revision, old_chart, why);
          continue;
        }
        const PhaseOptions& phase = exists ? release.upgrade : release.install;
        auto values = write_values(helm.home(), i, release.values);
        Result<ProcessResult> ran = values.ok() ? helm.run(upgrade_args(release, phase, *values, pipeline_), phase.timeout + kHelmGrace)
                                                : Result<ProcessResult>(values.error());
        std::error_code ec;
        if (values.ok()) fs::remove(*values, ec);
        std::lock_guard guard(results_mutex);
        if (!ran.ok() || ran->exit_code != 0) {
          failed.insert(release.object);
          installed.erase(release.key());
          const std::string why = std::string("helm ") + (exists ? "upgrade" : "install") + " of release " + release.key() + " failed" +
                                  (phase.remediate ? " (remediation: rolled back)" : "") + ": " +
                                  (ran.ok() ? masked(ran->err, release.secret_texts) : ran.error().message);
          report.diagnostics.push_back(about(release, Severity::error, why));
          items[release.object] = item_of(release, "failed", old_revision, old_chart, why);
          context.logger().error("helm release failed", {{"release", release.key()}, {"object", release.object}});
          continue;
        }
        auto printed = parse_json(ran->out);
        const std::string revision = printed.ok() ? json_text(*printed, "version") : "";
        installed[release.key()] = Installed{release.digest, revision, {}};
        if (cluster && printed.ok()) manifests[release.key()] = json_text(*printed, "manifest");
        auto drifted = drift.find(release.key());
        const std::string healed = drifted == drift.end() ? "" : " (objects put back: " + drifted->second + ")";
        report.changes.push_back({release.object, exists ? ChangeAction::configured : ChangeAction::created,
                                  "release " + release.key() + " revision " + revision + ", chart " + release.chart.name + " " +
                                      release.chart.version + healed});
        items[release.object] = item_of(release, "deployed", revision, release.chart.name + "-" + release.chart.version, "");
        context.logger().info(drifted != drift.end() ? "helm release healed" : exists ? "helm release upgraded" : "helm release installed",
                              {{"release", release.key()}, {"revision", revision}, {"chart", release.chart.name},
                               {"version", release.chart.version}});
      }
    };
    const std::size_t threads = std::min<std::size_t>(std::max(1, settings_.concurrency), end - begin);
    std::vector<std::thread> pool;
    for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& thread : pool) thread.join();
    begin = end;
  }
  if (cluster) remember_objects(*cluster, manifests, installed, context.logger());

  // Uninstall what left Git, only after everything else went well.
  if (settings_.prune && !has_errors(report.diagnostics)) {
    for (const auto& [key, d] : *deployed) {
      if (desired.count(key)) continue;
      auto ran = helm.run({"uninstall", d.name, "--namespace", d.namespace_name, "--wait", "--timeout", "300s"},
                          std::chrono::seconds(300) + kHelmGrace);
      if (!ran.ok() || ran->exit_code != 0) {
        report.diagnostics.push_back({Severity::error,
                                      "helm uninstall of release " + key + " failed: " + (ran.ok() ? masked(ran->err, {}) : ran.error().message),
                                      {}, 0, "HelmRelease/" + key});
        continue;
      }
      installed.erase(key);
      report.changes.push_back({"HelmRelease/" + key, ChangeAction::pruned, "release " + key + " uninstalled"});
      context.logger().info("helm release uninstalled", {{"release", key}});
    }
  }
  save_installed(state_file, installed, context.logger());

  // The HelmRelease objects' status, written only when it changed (remembered
  // across runs): a no-op reconcile of many releases makes no requests.
  const fs::path published_file = settings_.state_dir / (sanitized(pipeline_) + ".status.json");
  auto published = load_strings(published_file);
  std::map<std::string, std::string> now_published;
  for (const auto& release : releases) {
    auto item = items.find(release.object);
    if (item == items.end()) continue;
    report.items.push_back(item->second);
    const std::string signature = sha256_hex(item->second.state + "\n" + item->second.detail + "\n" + item->second.error);
    if (cluster && published[release.object] != signature) write_release_status(*cluster, release, item->second, context.logger());
    now_published[release.object] = signature;
  }
  save_strings(published_file, now_published, context.logger());
  return report;
}

}  // namespace driftless::helmrelease
