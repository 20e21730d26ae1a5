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

}  // namespace

std::vector<ConfigKey> dependency_keys() {
  return {
      ConfigKey("buildDependencies", ConfigType::boolean,
                "Build the chart's dependencies that charts/ lacks, as `helm dependency build` does (from chart repositories, OCI "
                "registries and file:// folders of the source); false = a missing dependency is an error and rendering never "
                "uses the network.")
          .default_to(true),
      ConfigKey("dependencyRefresh", ConfigType::duration,
                "How long dependencies resolved without a Chart.lock (version ranges) are reused before they are resolved again.")
          .default_to("10m"),
      ConfigKey("maxDependencySize", ConfigType::integer,
                "Largest file, in bytes, helm may download while building dependencies (a repository index, a chart archive).")
          .default_to(std::int64_t{50} << 20),
      ConfigKey("plainHttpRegistries", ConfigType::string_list,
                "OCI registries (host:port) of dependencies reached over plain HTTP instead of HTTPS.")
          .default_to(Array{}),
  };
}

Result<DependencySettings> dependency_settings(const Value& config) {
  DependencySettings s;
  if (const Value* build = config.find("buildDependencies"); build && build->is_bool()) s.build = build->as_bool();
  if (const Value* refresh = config.find("dependencyRefresh"); refresh && refresh->is_int()) {
    if (refresh->as_int() <= 0) return fail(ErrorCode::invalid_input, "dependencyRefresh must be positive");
    s.refresh = std::chrono::milliseconds(refresh->as_int());
  }
  if (const Value* size = config.find("maxDependencySize"); size && size->is_int()) {
    if (size->as_int() <= 0) return fail(ErrorCode::invalid_input, "maxDependencySize must be positive");
    s.max_download = static_cast<std::uintmax_t>(size->as_int());
  }
  if (const Value* hosts = config.find("plainHttpRegistries"); hosts && hosts->is_array())
    for (const auto& host : hosts->as_array()) s.plain_http_registries.push_back(host.as_string());
  return s;
}

std::optional<fs::path> chart_with_dependencies(Context& context, const Artifact& artifact, const std::string& chart_folder,
                                                const fs::path& helm, const ToolLimits& limits, const DependencySettings& settings,
                                                const ScratchDir& scratch, RenderResult& out) {
  const std::string chart_file = join(chart_folder, "Chart.yaml");
  const fs::path chart_dir = artifact.root / chart_folder;
  auto error = [&](std::string message, int line) {
    out.diagnostics.push_back({Severity::error, std::move(message), chart_file, line, {}});
    return std::nullopt;
  };
  auto text = read_inside(artifact.root, chart_file, limits.max_file_size);
  if (!text.ok()) return error(text.error().message, 0);
  auto parsed = parse_yaml(*text, chart_file);
  const Value* list = parsed.documents.empty() ? nullptr : parsed.documents[0].value.find("dependencies");
  if (has_errors(parsed.diagnostics) || !list || !list->is_array()) return chart_dir;  // helm says what is wrong

  std::vector<Dependency> dependencies;
  bool missing = false;
  for (const auto& item : list->as_array()) {
    Dependency d{item.string_or("name"), item.string_or("repository"), 0, {}};
    d.line = line_of(*text, d.name);
    missing = missing || !vendored(chart_dir / "charts", d.name);
    dependencies.push_back(std::move(d));
  }
  if (!missing) return chart_dir;
  const std::string quoted_list = to_json(*list);

  bool remote = false;
  std::vector<std::string> plain_http;  // OCI hosts of dependencies, listed or not
  std::vector<std::string> repositories;
  for (auto& d : dependencies) {
    const std::string named = "dependency '" + d.name + "'";
    if (!settings.build && !vendored(chart_dir / "charts", d.name))
      return error(named + " is not in charts/ and buildDependencies is false: vendor it (helm dependency build) or "
                           "set buildDependencies: true",
                   d.line);
    if (starts_with(d.repository, "file://")) {
      const fs::path path(d.repository.substr(7));
      std::string folder = (fs::path(chart_folder) / path).lexically_normal().generic_string();
      while (!folder.empty() && folder.back() == '/') folder.pop_back();
      if (folder == ".") folder.clear();
      if (path.is_absolute() || starts_with(folder + "/", "../"))
        return error(named + ": repository '" + d.repository + "' leaves the source: a file:// dependency must be a folder "
                                                                 "of the same repository",
                     d.line);
      auto resolved = resolve_inside(artifact.root, folder.empty() ? "." : folder);
      if (!resolved.ok()) return error(named + ": repository '" + d.repository + "': " + resolved.error().message, d.line);
      std::error_code ec;
      if (!fs::is_regular_file(*resolved / "Chart.yaml", ec))
        return error(named + ": repository '" + d.repository + "' is not a chart folder (no Chart.yaml in '" + folder + "')",
                     d.line);
      if (!check_tool_input(artifact, folder, limits.max_file_size, "helm", out.diagnostics)) return std::nullopt;
      out.read_folders.push_back(folder);
      d.folder = folder;
    } else if (starts_with(d.repository, "oci://")) {
      const std::string host = host_of_oci(d.repository);
      const auto& hosts = settings.plain_http_registries;
      if (std::find(hosts.begin(), hosts.end(), host) != hosts.end()) plain_http.push_back(host);
      remote = true;
    } else if (starts_with(d.repository, "http://") || starts_with(d.repository, "https://")) {
      repositories.push_back(d.repository);
      remote = true;
    } else if (d.repository.empty()) {
      if (!vendored(chart_dir / "charts", d.name))
        return error(named + " names no repository and is not in charts/: add its repository (https://, oci:// or file://) "
                             "or vendor it",
                     d.line);
    } else {
      return error(named + ": repository '" + without_url_credentials(d.repository) + "' is not an https://, http://, oci:// or file:// URL "
                           "(repository names and aliases of a helm installation mean nothing here)",
                   d.line);
    }
  }
  const auto oci_count = static_cast<std::size_t>(std::count_if(dependencies.begin(), dependencies.end(), [](const Dependency& d) {
    return starts_with(d.repository, "oci://");
  }));
  if (!plain_http.empty() && plain_http.size() != oci_count)
    return error("the chart's OCI dependencies mix registries in plainHttpRegistries with others; helm reaches all of one "
                 "chart's registries the same way",
                 0);

  auto lock = read_inside(artifact.root, join(chart_folder, "Chart.lock"), limits.max_file_size);
  const bool locked = lock.ok();
  Sha256 key;
  key.update((locked ? *lock : std::string()) + "\n" + quoted_list + "\n" + (plain_http.empty() ? "https" : "plain-http") + "\n");
  add_tree(key, artifact.root, join(chart_folder, "charts"), limits.max_file_size);
  for (const auto& d : dependencies)
    if (!d.folder.empty()) add_tree(key, artifact.root, d.folder, limits.max_file_size);
  const fs::path entry = context.cache_dir() / "helm-dependencies" / key.hex();
  // Version ranges resolved over the network are true for a while only.
  const bool ranges = remote && !locked;
  std::error_code ec;
  const bool cached = fs::is_directory(entry / "charts", ec) && (!ranges || time_left(entry, settings.refresh).count() > 0);
  const auto valid = cached ? time_left(entry, settings.refresh) : settings.refresh;
  if (ranges && (out.valid_for.count() == 0 || valid < out.valid_for)) out.valid_for = valid;

  const fs::path tree = scratch.path() / "tree";
  const fs::path copy = tree / chart_folder;
  if (!copy_folder(chart_dir, copy)) return error("cannot copy the chart to a private folder for helm", 0);
  if (cached) {
    fs::remove_all(copy / "charts", ec);
    fs::copy(entry / "charts", copy / "charts", fs::copy_options::recursive, ec);
    if (ec) return error("cannot copy the chart's built dependencies from the cache: " + ec.message(), 0);
    return copy;
  }
  for (const auto& d : dependencies)
    if (!d.folder.empty() && !copy_folder(artifact.root / d.folder, tree / d.folder))
      return error("cannot copy the dependency '" + d.name + "' to a private folder for helm", d.line);

  // helm finds repositories only by name once a Chart.lock exists: a private list of this chart's.
  const fs::path home = scratch.path() / "helm";
  Array listed;
  for (const auto& url : repositories) {
    Object repository;
    repository.set("name", "dependency-" + sha256_hex(url).substr(0, 16));
    repository.set("url", url);
    listed.push_back(Value(std::move(repository)));
  }
  Object config;
  config.set("apiVersion", "");
  config.set("repositories", Value(std::move(listed)));
  fs::create_directories(home, ec);
  if (!(std::ofstream(home / "repositories.yaml") << to_json(Value(std::move(config)))))
    return error("cannot write helm's repository list", 0);

  ToolRun run{helm, {"dependency", "build", copy.string()}, chart_folder, chart_file, limits, true, {}};
  if (!plain_http.empty()) run.args.push_back("--plain-http");
  run.env = {{"HELM_CACHE_HOME", (home / "cache").string()},
             {"HELM_CONFIG_HOME", (home / "config").string()},
             {"HELM_DATA_HOME", (home / "data").string()},
             {"HELM_REPOSITORY_CONFIG", (home / "repositories.yaml").string()},
             {"HELM_REPOSITORY_CACHE", (home / "cache/repository").string()},
             {"HELM_REGISTRY_CONFIG", (home / "config/registry.json").string()}};
  run.max_written_file = settings.max_download;
  run.report_stdout = true;
  ScratchDir tool_home;
  const std::size_t before = out.diagnostics.size();
  if (!run_tool(context, artifact, tool_home, run, out)) {
    // Name the dependencies whose URL helm's complaint shows, else every remote one.
    Diagnostic& failure = out.diagnostics.back();
    std::vector<const Dependency*> named;
    for (const auto& d : dependencies)
      if (is_remote(d) && failure.message.find(d.repository) != std::string::npos) named.push_back(&d);
    if (named.empty())
      for (const auto& d : dependencies)
        if (is_remote(d)) named.push_back(&d);
    std::string names;
    for (const Dependency* d : named) names += (names.empty() ? "" : ", ") + ("'" + d->name + "' from " + redact_url(d->repository));
    if (!named.empty()) failure.line = named.front()->line;
    failure.message = "building the chart's dependencies" + (names.empty() ? std::string() : " (" + names + ")") + ": " +
                      failure.message;
    return std::nullopt;
  }
  out.diagnostics.resize(before);  // on success helm's stderr only tells of pulls ("Pulled: ...", "Digest: ...")
  for (const auto& file : fs::directory_iterator(copy / "charts", ec))
    if (fs::is_symlink(file.symlink_status()))
      return error("helm dependency build left a symlink in charts/: " + file.path().filename().string(), 0);
  keep_in_cache(copy / "charts", entry);
  context.logger().info("built the chart's dependencies", {{"chart", chart_file}, {"remote", remote ? "yes" : "no"}});
  return copy;
}

}  // namespace driftless::renderers
