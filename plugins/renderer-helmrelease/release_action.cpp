#include "release_action.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <set>
#include <thread>
#include <unistd.h>

#include "driftless/process.hpp"
#include "driftless/yaml.hpp"

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
};

std::string json_text(const Value& object, std::string_view key) {
  const Value* v = object.find(key);
  if (!v) return {};
  if (v->is_string()) return v->as_string();
  if (v->is_int()) return std::to_string(v->as_int());
  return {};
}

// `text` with every secret replaced, so helm's complaints can be shown.
std::string masked(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) text.replace(at, secret.size(), "***");
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// Runs helm with a private HOME, the plugin's kubeconfig and context, the context's deadline.
class Helm {
 public:
  Helm(Context& context, fs::path tool, const ActionSettings& settings)
      : context_(context), tool_(std::move(tool)), settings_(settings) {}

  const fs::path& home() const { return home_.path(); }

  Result<ProcessResult> run(std::vector<std::string> args, std::chrono::seconds timeout) const {
    ProcessSpec spec;
    spec.argv.push_back(tool_.string());
    for (auto& arg : args) spec.argv.push_back(std::move(arg));
    if (!settings_.kubeconfig.empty()) spec.argv.insert(spec.argv.end(), {"--kubeconfig", settings_.kubeconfig});
    else spec.inherit.push_back("KUBECONFIG");
    if (!settings_.context.empty()) spec.argv.insert(spec.argv.end(), {"--kube-context", settings_.context});
    const std::string home = home_.path().string();
    spec.env = {{"HOME", home}, {"HELM_CACHE_HOME", home + "/cache"}, {"HELM_CONFIG_HOME", home + "/config"},
                {"HELM_DATA_HOME", home + "/data"}};
    spec.timeout = std::min<std::chrono::milliseconds>(timeout, std::chrono::seconds(context_.seconds_left()));
    spec.cancelled = [this] { return context_.cancelled(); };
    return run_process(spec);
  }

 private:
  Context& context_;
  fs::path tool_;
  const ActionSettings& settings_;
  ScratchDir home_;
};

// The pipeline's releases in the cluster, by "namespace/name".
Result<std::map<std::string, Deployed>> list_deployed(const Helm& helm, const std::string& pipeline) {
  auto listed = helm.run({"list", "--all-namespaces", "--all", "--max", "1000000", "--output", "json", "--selector",
                          std::string(kPipelineLabel) + "=" + pipeline},
                         std::chrono::minutes(2));
  if (!listed.ok()) return fail(listed.error().code, "helm list: " + listed.error().message);
  if (listed->exit_code != 0) return fail(ErrorCode::unavailable, "helm list failed: " + masked(listed->err, {}));
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

// True when the deployed release carries the digest label of `release`: how a
// release installed before this plugin's state was lost is recognised.
bool labelled_with(const Helm& helm, const Release& release) {
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

std::map<std::string, Installed> load_installed(const fs::path& file) {
  std::map<std::string, Installed> out;
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto parsed = parse_json(text);
  if (!parsed.ok() || !parsed->is_object()) return out;
  for (const auto& [key, value] : parsed->as_object()) out[key] = Installed{json_text(value, "digest"), json_text(value, "revision")};
  return out;
}

void save_installed(const fs::path& file, const std::map<std::string, Installed>& installed, Logger& logger) {
  Object root;
  for (const auto& [key, entry] : installed) {
    Object item;
    item.set("digest", entry.digest);
    item.set("revision", entry.revision);
    root.set(key, Value(std::move(item)));
  }
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  const fs::path temporary = file.string() + ".tmp";
  std::ofstream(temporary, std::ios::trunc) << to_json(Value(std::move(root)));
  fs::rename(temporary, file, ec);
  if (ec) logger.warn("cannot remember installed releases; the next reconcile upgrades them again", {{"error", ec.message()}});
}

// Writes the values where only this process can read them.
Result<fs::path> write_values(const fs::path& folder, std::size_t index, const Value& values) {
  const fs::path file = folder / ("values-" + std::to_string(index) + ".yaml");
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail(ErrorCode::internal, "cannot write a values file in " + folder.string());
  const std::string text = to_yaml(values);
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok) return fail(ErrorCode::internal, "cannot write a values file in " + folder.string());
  return file;
}

std::vector<std::string> upgrade_args(const Release& release, const PhaseOptions& phase, const fs::path& values,
                                      const std::string& pipeline) {
  std::vector<std::string> args{"upgrade", "--install", release.name, release.chart.path.string(),
                                "--namespace", release.namespace_name, "--values", values.string(), "--reset-values",
                                "--output", "json", "--history-max", std::to_string(release.max_history),
                                "--labels", std::string(kPipelineLabel) + "=" + pipeline + "," + kDigestLabel + "=" +
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

}  // namespace

ReleaseActions::ReleaseActions(ActionSettings settings, std::string pipeline, std::vector<Release> releases)
    : settings_(std::move(settings)), pipeline_(std::move(pipeline)), releases_(std::move(releases)) {
  std::stable_sort(releases_.begin(), releases_.end(), [](const Release& a, const Release& b) { return a.level < b.level; });
}

std::string ReleaseActions::describe() const {
  return "helm releases of " + std::to_string(releases_.size()) + " HelmRelease object(s)";
}

SinkReport ReleaseActions::run(Context& context, SinkMode mode) {
  std::lock_guard lock(running_);
  SinkReport report;
  auto tool = find_tool("helm", settings_.helm_path, "helmPath");
  if (!tool.ok()) {
    report.diagnostics.push_back({Severity::error, tool.error().message, {}, 0, {}});
    return report;
  }
  Helm helm(context, *tool, settings_);
  auto deployed = list_deployed(helm, pipeline_);
  if (!deployed.ok()) {
    report.diagnostics.push_back({Severity::error, deployed.error().message, {}, 0, {}});
    return report;
  }
  const fs::path state_file = settings_.state_dir / (sanitized(pipeline_) + ".json");
  std::map<std::string, Installed> installed = load_installed(state_file);

  // Which releases need helm: new, changed, moved by someone else, or not healthy.
  std::vector<const Release*> work;
  std::set<std::string> desired;
  for (const auto& release : releases_) {
    desired.insert(release.key());
    if (release.suspended) continue;
    auto current = deployed->find(release.key());
    auto known = installed.find(release.key());
    if (known == installed.end() && current != deployed->end() && current->second.status == "deployed" &&
        labelled_with(helm, release))
      known = installed.insert_or_assign(release.key(), Installed{release.digest, current->second.revision}).first;
    const bool unchanged = current != deployed->end() && current->second.status == "deployed" && known != installed.end() &&
                           known->second.digest == release.digest && known->second.revision == current->second.revision;
    if (unchanged) {
      report.changes.push_back({release.object, ChangeAction::unchanged,
                                "release " + release.key() + " revision " + current->second.revision});
      continue;
    }
    work.push_back(&release);
  }

  if (mode == SinkMode::diff) {
    for (const Release* release : work) {
      auto current = deployed->find(release->key());
      const bool exists = current != deployed->end();
      report.changes.push_back({release->object, exists ? ChangeAction::configured : ChangeAction::created,
                                (exists ? "would upgrade release " + release->key() + " (" + current->second.chart + ", " +
                                              current->second.status + ") to chart " + release->chart.name + " " + release->chart.version
                                        : "would install release " + release->key() + " with chart " + release->chart.name + " " +
                                              release->chart.version)});
    }
    if (settings_.prune)
      for (const auto& [key, d] : *deployed)
        if (!desired.count(key)) report.changes.push_back({"HelmRelease/" + key, ChangeAction::pruned, "would uninstall release " + key});
    return report;
  }

  // Installs level by level (dependsOn), a few releases at a time.
  std::mutex results_mutex;
  std::set<std::string> failed;
  for (std::size_t begin = 0; begin < work.size();) {
    std::size_t end = begin;
    while (end < work.size() && work[end]->level == work[begin]->level) ++end;
    std::atomic<std::size_t> cursor{begin};
    auto worker = [&] {
      for (std::size_t i = cursor++; i < end; i = cursor++) {
        const Release& release = *work[i];
        std::vector<std::string> blocked;
        {
          std::lock_guard guard(results_mutex);
          for (const auto& dependency : release.depends_on)
            if (failed.count(dependency)) blocked.push_back(dependency);
        }
        if (!blocked.empty()) {
          std::lock_guard guard(results_mutex);
          failed.insert(release.object);
          report.diagnostics.push_back(about(release, Severity::error, "not installed: it depends on " + blocked.front() + ", which failed"));
          continue;
        }
        auto current = deployed->find(release.key());
        const bool exists = current != deployed->end();
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
          const std::string why = ran.ok() ? masked(ran->err, release.secret_texts) : ran.error().message;
          report.diagnostics.push_back(about(release, Severity::error,
                                             std::string("helm ") + (exists ? "upgrade" : "install") + " of release " + release.key() +
                                                 " failed" + (phase.remediate ? " (remediation: rolled back)" : "") + ": " + why));
          context.logger().error("helm release failed", {{"release", release.key()}, {"object", release.object}});
          continue;
        }
        auto printed = parse_json(ran->out);
        const std::string revision = printed.ok() ? json_text(*printed, "version") : "";
        installed[release.key()] = Installed{release.digest, revision};
        report.changes.push_back({release.object, exists ? ChangeAction::configured : ChangeAction::created,
                                  "release " + release.key() + " revision " + revision + ", chart " + release.chart.name + " " +
                                      release.chart.version});
        context.logger().info(exists ? "helm release upgraded" : "helm release installed",
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
  return report;
}

}  // namespace driftless::helmrelease
