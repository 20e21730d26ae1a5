#include "helm_dependencies.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "driftless/toolkit/files.hpp"
#include "driftless/toolkit/hash.hpp"
#include "driftless/toolkit/http.hpp"
#include "driftless/toolkit/yaml.hpp"

namespace fs = std::filesystem;

namespace driftless::renderers {
namespace {

struct Dependency {
  std::string name;
  std::string repository;
  int line = 0;          ///< in Chart.yaml
  std::string folder;    ///< file://: the chart's folder in the artifact
};

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

bool is_remote(const Dependency& d) {
  return starts_with(d.repository, "http://") || starts_with(d.repository, "https://") || starts_with(d.repository, "oci://");
}

// The line of Chart.yaml with the dependency's `name:`, from the
// `dependencies:` line on (Chart.yaml is small; the YAML reader keeps no lines).
int line_of(const std::string& text, const std::string& name) {
  std::stringstream in(text);
  int line = 0;
  bool inside = false;
  for (std::string row; std::getline(in, row);) {
    ++line;
    if (starts_with(row, "dependencies:")) inside = true;
    const auto key = row.find("name:");
    if (!inside || key == std::string::npos) continue;
    std::string value = row.substr(key + 5);
    value.erase(0, value.find_first_not_of(" \t\"'"));
    value.erase(value.find_last_not_of(" \t\"'\r") + 1);
    if (value == name) return line;
  }
  return 0;
}

// charts/ holds the dependency as helm vendors it: an archive <name>-<version>.tgz or an unpacked <name>/.
bool vendored(const fs::path& charts, const std::string& name) {
  std::error_code ec;
  if (fs::is_regular_file(charts / name / "Chart.yaml", ec)) return true;
  for (const auto& entry : fs::directory_iterator(charts, ec)) {
    const std::string file = entry.path().filename().string();
    if (starts_with(file, name + "-") && entry.path().extension() == ".tgz") return true;
  }
  return false;
}

// A SHA-256 over the names and contents of the files below `folder`: what a
// file:// dependency or vendored charts/ contribute to the cache key.
void add_tree(Sha256& digest, const fs::path& root, const std::string& folder, std::uintmax_t max_file_size) {
  std::vector<Diagnostic> ignored;  // check_tool_input reported these already
  for (const auto& file : list_files(root, folder, {}, ignored)) {
    auto text = read_file_capped(root / file, max_file_size);
    digest.update(file + "\n" + (text.ok() ? *text : std::string("?")) + "\n");
  }
}

// Copies a checked folder of the artifact to the same place below `tree`,
// keeping the layout that file://../x paths count on.
bool copy_folder(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::skip_existing, ec);
  return !ec;
}

// The built charts/ into the cache, in one rename, so no reader sees half of
// it; a stale entry (version ranges past dependencyRefresh) is replaced.
void keep_in_cache(const fs::path& built, const fs::path& entry) {
  std::error_code ec;
  const std::string suffix = std::to_string(::getpid()) + "-" + std::to_string(std::hash<std::thread::id>()(std::this_thread::get_id()));
  const fs::path temporary = entry.string() + ".tmp" + suffix;
  const fs::path stale = entry.string() + ".stale" + suffix;
  fs::remove_all(temporary, ec);
  fs::create_directories(temporary, ec);
  fs::copy(built, temporary / "charts", fs::copy_options::recursive, ec);
  if (ec) {
    fs::remove_all(temporary, ec);
    return;
  }
  fs::rename(entry, stale, ec);  // fails when there is none: fine
  fs::rename(temporary, entry, ec);
  fs::remove_all(ec ? temporary : stale, ec);
}

// How much longer a cache entry built from version ranges holds (zero: stale or missing).
std::chrono::milliseconds time_left(const fs::path& entry, std::chrono::milliseconds refresh) {
  std::error_code ec;
  const auto written = fs::last_write_time(entry, ec);
  if (ec) return std::chrono::milliseconds(0);
  const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(fs::file_time_type::clock::now() - written);
  return std::max(std::chrono::milliseconds(0), refresh - age);
}

std::string host_of_oci(const std::string& url) {
  const std::string rest = url.substr(6);
  return rest.substr(0, rest.find('/'));
}

// One chart's dependencies: read from Chart.yaml, checked one by one, then
// taken from the cache or built by helm in a private copy.
class DependencyBuild {
 public:
  DependencyBuild(Context& context, const Artifact& artifact, const std::string& chart_folder, const ToolLimits& limits,
                  const DependencySettings& settings, RenderResult& out)
      : context_(context), artifact_(artifact), chart_folder_(chart_folder), chart_file_(join(chart_folder, "Chart.yaml")),
        chart_dir_(artifact.root / chart_folder), limits_(limits), settings_(settings), out_(out) {}

  std::optional<fs::path> run(const fs::path& helm, const ScratchDir& scratch) {
    if (!read()) return failed_ ? std::nullopt : std::optional<fs::path>(chart_dir_);
    for (auto& d : dependencies_)
      if (!check(d)) return std::nullopt;
    if (!plain_http_.empty() && plain_http_.size() != oci_count_)
      return fail_with("the chart's OCI dependencies mix registries in plainHttpRegistries with others; helm reaches all "
                       "of one chart's registries the same way",
                       0);
    const fs::path entry = context_.cache_dir() / "helm-dependencies" / cache_key();
    // Version ranges resolved over the network are true for a while only.
    const bool ranges = remote_ && !locked_;
    std::error_code ec;
    const bool cached = fs::is_directory(entry / "charts", ec) && (!ranges || time_left(entry, settings_.refresh).count() > 0);
    const auto valid = cached ? time_left(entry, settings_.refresh) : settings_.refresh;
    if (ranges && (out_.valid_for.count() == 0 || valid < out_.valid_for)) out_.valid_for = valid;

    const fs::path tree = scratch.path() / "tree";
    const fs::path copy = tree / chart_folder_;
    if (!copy_folder(chart_dir_, copy)) return fail_with("cannot copy the chart to a private folder for helm", 0);
    if (cached) {
      fs::remove_all(copy / "charts", ec);
      fs::copy(entry / "charts", copy / "charts", fs::copy_options::recursive, ec);
      if (ec) return fail_with("cannot copy the chart's built dependencies from the cache: " + ec.message(), 0);
      return copy;
    }
    for (const auto& d : dependencies_)
      if (!d.folder.empty() && !copy_folder(artifact_.root / d.folder, tree / d.folder))
        return fail_with("cannot copy the dependency '" + d.name + "' to a private folder for helm", d.line);
    if (!build(helm, scratch.path() / "helm", copy)) return std::nullopt;
    keep_in_cache(copy / "charts", entry);
    context_.logger().info("built the chart's dependencies", {{"chart", chart_file_}, {"remote", remote_ ? "yes" : "no"}});
    return copy;
  }

 private:
  // Adds an error on Chart.yaml (at `line`, 0 = none); nullopt.
  std::nullopt_t fail_with(std::string message, int line) {
    refuse(std::move(message), line);
    return std::nullopt;
  }
  // As fail_with; false.
  bool refuse(std::string message, int line) {
    out_.diagnostics.push_back({Severity::error, std::move(message), chart_file_, line, {}});
    failed_ = true;
    return false;
  }

  // The dependencies of Chart.yaml; false when there is nothing to build
  // (none, all in charts/, or a Chart.yaml helm will complain about itself).
  bool read() {
    auto text = read_inside(artifact_.root, chart_file_, limits_.max_file_size);
    if (!text.ok()) return refuse(text.error().message, 0);
    auto parsed = parse_yaml(*text, chart_file_);
    const Value* list = parsed.documents.empty() ? nullptr : parsed.documents[0].value.find("dependencies");
    if (has_errors(parsed.diagnostics) || !list || !list->is_array()) return false;
    bool missing = false;
    for (const auto& item : list->as_array()) {
      Dependency d{item.string_or("name"), item.string_or("repository"), line_of(*text, item.string_or("name")), {}};
      missing = missing || !vendored(chart_dir_ / "charts", d.name);
      dependencies_.push_back(std::move(d));
    }
    listed_ = to_json(*list);
    auto lock = read_inside(artifact_.root, join(chart_folder_, "Chart.lock"), limits_.max_file_size);
    locked_ = lock.ok();
    if (locked_) lock_ = std::move(*lock);
    return missing;
  }

  // Where the dependency comes from, confined; false after an error naming it.
  bool check(Dependency& d) {
    const std::string named = "dependency '" + d.name + "'";
    const bool in_charts = vendored(chart_dir_ / "charts", d.name);
    if (!settings_.build && !in_charts)
      return refuse(named + " is not in charts/ and buildDependencies is false: vendor it (helm dependency build) or "
                    "set buildDependencies: true",
                    d.line);
    if (starts_with(d.repository, "file://")) return check_folder(d, named);
    if (starts_with(d.repository, "oci://")) {
      const auto& hosts = settings_.plain_http_registries;
      if (std::find(hosts.begin(), hosts.end(), host_of_oci(d.repository)) != hosts.end())
        plain_http_.push_back(host_of_oci(d.repository));
      ++oci_count_;
      remote_ = true;
      return true;
    }
    if (starts_with(d.repository, "http://") || starts_with(d.repository, "https://")) {
      // Listed once: helm downloads the index of every entry of its repository list, so a
      // repository serving several dependencies (kube-prometheus-stack's) would be fetched
      // once per dependency, and each failure repeated in the error.
      if (std::find(repositories_.begin(), repositories_.end(), d.repository) == repositories_.end())
        repositories_.push_back(d.repository);
      remote_ = true;
      return true;
    }
    if (d.repository.empty() && in_charts) return true;
    if (d.repository.empty())
      return refuse(named + " names no repository and is not in charts/: add its repository (https://, oci:// or file://) "
                    "or vendor it",
                    d.line);
    return refuse(named + ": repository '" + without_url_credentials(d.repository) +
                  "' is not an https://, http://, oci:// or file:// URL (repository names and aliases of a helm "
                  "installation mean nothing here)",
                  d.line);
  }

  // A file:// dependency: a chart folder of the same artifact, checked as the chart is.
  bool check_folder(Dependency& d, const std::string& named) {
    const fs::path path(d.repository.substr(7));
    std::string folder = (fs::path(chart_folder_) / path).lexically_normal().generic_string();
    while (!folder.empty() && folder.back() == '/') folder.pop_back();
    if (folder == ".") folder.clear();
    if (path.is_absolute() || starts_with(folder + "/", "../"))
      return refuse(named + ": repository '" + d.repository + "' leaves the source: a file:// dependency must be a folder "
                                                               "of the same repository",
                    d.line);
    auto resolved = resolve_inside(artifact_.root, folder.empty() ? "." : folder);
    if (!resolved.ok()) return refuse(named + ": repository '" + d.repository + "': " + resolved.error().message, d.line);
    std::error_code ec;
    if (!fs::is_regular_file(*resolved / "Chart.yaml", ec))
      return refuse(named + ": repository '" + d.repository + "' is not a chart folder (no Chart.yaml in '" + folder + "')",
                    d.line);
    if (!check_tool_input(artifact_, folder, limits_.max_file_size, "helm", out_.diagnostics)) return false;
    out_.read_folders.push_back(folder);
    d.folder = folder;
    return true;
  }

  // What the built charts/ depends on: the lock, the list, how registries are
  // reached, and the content of charts/ and of every file:// dependency.
  std::string cache_key() const {
    Sha256 key;
    key.update(lock_ + "\n" + listed_ + "\n" + (plain_http_.empty() ? "https" : "plain-http") + "\n");
    add_tree(key, artifact_.root, join(chart_folder_, "charts"), limits_.max_file_size);
    for (const auto& d : dependencies_)
      if (!d.folder.empty()) add_tree(key, artifact_.root, d.folder, limits_.max_file_size);
    return key.hex();
  }

  // `helm dependency build` of the copy, with private configuration in `home`.
  bool build(const fs::path& helm, const fs::path& home, const fs::path& copy) {
    // helm finds repositories only by name once a Chart.lock exists: a private list of this chart's.
    Array listed;
    for (const auto& url : repositories_) {
      Object repository;
      repository.set("name", "dependency-" + sha256_hex(url).substr(0, 16));
      repository.set("url", url);
      listed.push_back(Value(std::move(repository)));
    }
    Object config;
    config.set("apiVersion", "");
    config.set("repositories", Value(std::move(listed)));
    std::error_code ec;
    fs::create_directories(home, ec);
    if (!(std::ofstream(home / "repositories.yaml") << to_json(Value(std::move(config)))))
      return refuse("cannot write helm's repository list", 0);

    ToolRun run{helm, {"dependency", "build", copy.string()}, chart_folder_, chart_file_, limits_, true, {}};
    if (!plain_http_.empty()) run.args.push_back("--plain-http");
    run.env = {{"HELM_CACHE_HOME", (home / "cache").string()},
               {"HELM_CONFIG_HOME", (home / "config").string()},
               {"HELM_DATA_HOME", (home / "data").string()},
               {"HELM_REPOSITORY_CONFIG", (home / "repositories.yaml").string()},
               {"HELM_REPOSITORY_CACHE", (home / "cache/repository").string()},
               {"HELM_REGISTRY_CONFIG", (home / "config/registry.json").string()}};
    run.max_written_file = settings_.max_download;
    run.report_stdout = true;
    ScratchDir tool_home;
    const std::size_t before = out_.diagnostics.size();
    if (!run_tool(context_, artifact_, tool_home, run, out_)) {
      name_dependencies(out_.diagnostics.back());
      return false;
    }
    out_.diagnostics.resize(before);  // on success helm's stderr only tells of pulls ("Pulled: ...", "Digest: ...")
    for (const auto& file : fs::directory_iterator(copy / "charts", ec))
      if (fs::is_symlink(file.symlink_status()))
        return refuse("helm dependency build left a symlink in charts/: " + file.path().filename().string(), 0);
    return true;
  }

  // Puts the dependencies whose URL helm's complaint shows (else every remote one) in front of it.
  void name_dependencies(Diagnostic& failure) const {
    std::vector<const Dependency*> named;
    for (const auto& d : dependencies_)
      if (is_remote(d) && failure.message.find(d.repository) != std::string::npos) named.push_back(&d);
    if (named.empty())
      for (const auto& d : dependencies_)
        if (is_remote(d)) named.push_back(&d);
    std::string names;
    for (const Dependency* d : named) names += (names.empty() ? "" : ", ") + ("'" + d->name + "' from " + redact_url(d->repository));
    if (!named.empty()) failure.line = named.front()->line;
    failure.message = "building the chart's dependencies" + (names.empty() ? std::string() : " (" + names + ")") + ": " +
                      failure.message;
  }

  Context& context_;
  const Artifact& artifact_;
  const std::string chart_folder_;
  const std::string chart_file_;
  const fs::path chart_dir_;
  const ToolLimits& limits_;
  const DependencySettings& settings_;
  RenderResult& out_;
  std::vector<Dependency> dependencies_;
  std::string listed_;  ///< the dependency list as JSON
  bool locked_ = false;
  std::string lock_;    ///< Chart.lock, when there is one
  bool remote_ = false;
  std::size_t oci_count_ = 0;
  std::vector<std::string> plain_http_;    ///< OCI hosts of dependencies listed in plainHttpRegistries
  std::vector<std::string> repositories_;  ///< chart repository URLs
  bool failed_ = false;
};

}  // namespace

namespace {

Result<std::chrono::milliseconds> positive_duration(const std::string& key, const Value& value) {
  if (!value.is_int() || value.as_int() <= 0) return fail(ErrorCode::invalid_input, key + " must be positive");
  return std::chrono::milliseconds(value.as_int());
}

}  // namespace

const SettingsSchema<DependencySettings>& dependency_schema() {
  using D = DependencySettings;
  static const auto schema =
      SettingsSchema<D>()
          .key(ConfigKey("buildDependencies", ConfigType::boolean,
                         "Build the chart's dependencies that charts/ lacks, as `helm dependency build` does (from chart "
                         "repositories, OCI registries and file:// folders of the source); false = a missing dependency is "
                         "an error and rendering never uses the network.")
                   .default_to(true),
               &D::build)
          .key(ConfigKey("dependencyRefresh", ConfigType::duration,
                         "How long dependencies resolved without a Chart.lock (version ranges) are reused before they are "
                         "resolved again.")
                   .default_to("10m"),
               &D::refresh, positive_duration)
          .key(ConfigKey("maxDependencySize", ConfigType::integer,
                         "Largest file, in bytes, helm may download while building dependencies (a repository index, a "
                         "chart archive).")
                   .default_to(std::int64_t{50} << 20),
               &D::max_download, Minimum::positive())
          .key(ConfigKey("plainHttpRegistries", ConfigType::string_list,
                         "OCI registries (host:port) of dependencies reached over plain HTTP instead of HTTPS.")
                   .default_to(Array{}),
               &D::plain_http_registries);
  return schema;
}

std::optional<fs::path> chart_with_dependencies(Context& context, const Artifact& artifact, const std::string& chart_folder,
                                                const fs::path& helm, const ToolLimits& limits, const DependencySettings& settings,
                                                const ScratchDir& scratch, RenderResult& out) {
  return DependencyBuild(context, artifact, chart_folder, limits, settings, out).run(helm, scratch);
}

}  // namespace driftless::renderers
