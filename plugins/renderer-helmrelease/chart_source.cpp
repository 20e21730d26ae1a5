#include "chart_source.hpp"

#include <fstream>
#include <unistd.h>

#include "driftless/toolkit/files.hpp"
#include "driftless/toolkit/hash.hpp"
#include "driftless/toolkit/yaml.hpp"
#include "helm_repository.hpp"
#include "helm_runner.hpp"

namespace driftless::helmrelease {
namespace {

namespace fs = std::filesystem;

constexpr std::uintmax_t kMaxChartYaml = 1 << 20;
constexpr std::size_t kMaxValuesFile = std::size_t{4} << 20;

// Writes `bytes` to `target` through a temporary file so readers never see half a file.
Result<void> write_atomically(const fs::path& target, std::string_view bytes) {
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  const fs::path temporary = target.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return fail(ErrorCode::internal, "cannot write " + temporary.string());
  }
  fs::rename(temporary, target, ec);
  if (ec) return fail(ErrorCode::internal, "cannot write " + target.string() + ": " + ec.message());
  return {};
}

std::string folder_of(std::string path) {
  while (path.rfind("./", 0) == 0) path = path.substr(2);
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

ChartFetcher::ChartFetcher(Context& context, ChartLimits limits, std::string helm_path)
    : context_(context), limits_(limits), helm_path_(std::move(helm_path)), cache_(context.cache_dir()),
      http_(std::make_unique<HttpClient>()) {}

Result<ResolvedChart> ChartFetcher::fetch(const ChartRequest& request) {
  switch (request.kind) {
    case ChartRequest::Kind::git: return from_git(request);
    case ChartRequest::Kind::oci: return from_oci(request);
    case ChartRequest::Kind::helm_repository: break;
  }
  return from_repository(request);
}

Result<ResolvedChart> ChartFetcher::from_repository(const ChartRequest& request) {
  charts::RepositoryAccess access{request.url, request.username, request.password, request.pass_credentials,
                                  request.timeout, [this] { return context_.cancelled(); }};
  auto cached = indexes_.find(request.url);
  if (cached == indexes_.end()) {
    auto index = charts::fetch_index(*http_, access, limits_.max_index_bytes);
    if (!index.ok()) return index.error();
    cached = indexes_.emplace(request.url, std::move(*index)).first;
  }
  auto picked = charts::pick_chart(cached->second, request.url, request.chart, request.version);
  if (!picked.ok()) return picked.error();
  ResolvedChart chart{{}, request.chart, picked->version, picked->digest};
  if (!chart.digest.empty()) {
    chart.path = cache_ / "charts" / (chart.digest + ".tgz");
    std::error_code ec;
    if (fs::is_regular_file(chart.path, ec)) return chart;  // written only after its digest was checked
  }
  auto archive = charts::download_chart(*http_, access, *picked, limits_.max_chart_bytes);
  if (!archive.ok()) return archive.error();
  chart.digest = picked->digest;
  chart.path = cache_ / "charts" / (chart.digest + ".tgz");
  auto written = write_atomically(chart.path, *archive);
  if (!written.ok()) return written.error();
  return chart;
}

Result<ResolvedChart> ChartFetcher::from_git(const ChartRequest& request) {
  Object spec;
  spec.set("url", request.url);
  spec.set("ref", request.git_ref);
  const Value spec_value(std::move(spec));
  const std::string key = to_json(spec_value);
  auto tree = git_trees_.find(key);
  if (tree == git_trees_.end()) {
    auto artifact = context_.fetch_source("git", spec_value);
    if (!artifact.ok()) return fail(artifact.error().code, "Git chart from " + redact_url(request.url) + ": " + artifact.error().message);
    tree = git_trees_.emplace(key, std::move(*artifact)).first;
  }
  const Artifact& artifact = tree->second;
  const std::string folder = folder_of(request.chart);
  auto chart_yaml = resolve_inside(artifact.root, folder.empty() ? "Chart.yaml" : folder + "/Chart.yaml");
  if (!chart_yaml.ok()) return fail(ErrorCode::not_found, "no chart at '" + request.chart + "' in " + redact_url(request.url) + ": " + chart_yaml.error().message);
  auto text = read_file_capped(*chart_yaml, kMaxChartYaml);
  if (!text.ok()) return text.error();
  auto parsed = parse_yaml(*text, folder + "/Chart.yaml");
  if (has_errors(parsed.diagnostics) || parsed.documents.empty())
    return fail(ErrorCode::invalid_input, folder + "/Chart.yaml of " + redact_url(request.url) + " is not valid YAML");
  const Value& meta = parsed.documents[0].value;
  ResolvedChart chart{{}, meta.string_or("name"), meta.string_or("version"), artifact.folder_id(folder)};
  if (chart.digest.empty()) return fail(ErrorCode::internal, "the git source gave no content id for '" + folder + "'");
  // A private copy: the source may replace its snapshot while the release waits for apply.
  chart.path = cache_ / "git-charts" / chart.digest / (chart.name.empty() ? "chart" : chart.name);
  std::error_code ec;
  if (fs::is_directory(chart.path, ec)) return chart;
  const fs::path temporary = chart.path.string() + ".tmp" + std::to_string(::getpid());
  fs::remove_all(temporary, ec);
  fs::create_directories(temporary.parent_path(), ec);
  fs::copy(chart_yaml->parent_path(), temporary, fs::copy_options::recursive, ec);
  if (!ec) fs::rename(temporary, chart.path, ec);
  if (ec) return fail(ErrorCode::internal, "cannot copy the chart to " + chart.path.string() + ": " + ec.message());
  return chart;
}

Result<std::string> ChartFetcher::chart_file(const ResolvedChart& chart, const std::string& path) {
  const std::string relative = folder_of(path);
  if (relative.empty() || relative[0] == '/' || ("/" + relative + "/").find("/../") != std::string::npos)
    return fail(ErrorCode::invalid_input, "'" + path + "' is not a path inside the chart");
  std::error_code ec;
  if (fs::is_directory(chart.path, ec)) {
    auto file = resolve_inside(chart.path, relative);
    if (!file.ok() || !fs::is_regular_file(*file, ec)) return fail(ErrorCode::not_found, "the chart has no file '" + relative + "'");
    return read_file_capped(*file, kMaxValuesFile);
  }
  // An archive made by `helm package`: every file is under the chart's name.
  ProcessSpec tar;
  tar.argv = {"tar", "-xzOf", chart.path.string(), "--", chart.name + "/" + relative};
  tar.max_output = kMaxValuesFile;
  tar.cancelled = [this] { return context_.cancelled(); };
  auto extracted = run_process(tar);
  if (!extracted.ok()) return fail(extracted.error().code, "reading '" + relative + "' from the chart: " + extracted.error().message);
  if (extracted->exit_code != 0) return fail(ErrorCode::not_found, "the chart has no file '" + relative + "'");
  return extracted->out;
}

Result<ResolvedChart> ChartFetcher::from_oci(const ChartRequest& request) {
  auto tool = find_tool("helm", helm_path_, "helmPath");
  if (!tool.ok()) return tool.error();
  HelmRunner helm(context_, *tool, HelmTarget{{}, limits_.max_helm_memory});
  if (helm.home().empty()) return fail(ErrorCode::internal, "cannot create a private folder for helm");
  const fs::path pulled = helm.home() / "pulled";
  std::error_code ec;
  if (!fs::create_directories(pulled, ec)) return fail(ErrorCode::internal, "cannot create " + pulled.string());
  std::vector<std::string> args{"pull", request.url, "--destination", pulled.string()};
  if (request.version != "*") args.insert(args.end(), {"--version", request.version});
  if (request.plain_http) args.push_back("--plain-http");
  if (!request.username.empty()) {
    // Credentials go to helm in a 0600 registry config in its private HOME, never on the command line.
    Object auth;
    auth.set("auth", base64_encode(request.username + ":" + request.password));
    Object auths;
    auths.set(oci_host(request.url), Value(std::move(auth)));
    Object config;
    config.set("auths", Value(std::move(auths)));
    const fs::path file = helm.home() / "registry.json";
    auto written = write_private_file(file, to_json(Value(std::move(config))));
    if (!written.ok()) return written.error();
    args.insert(args.end(), {"--registry-config", file.string()});
  }
  const auto timeout = std::chrono::duration_cast<std::chrono::seconds>(request.timeout);
  auto ran = helm.run(args, std::max(timeout, std::chrono::seconds(1)));
  if (!ran.ok()) return fail(ran.error().code, "helm pull " + redact_url(request.url) + ": " + ran.error().message);
  if (ran->exit_code != 0)
    return fail(ErrorCode::unavailable, "helm pull " + redact_url(request.url) + " failed: " + masked(ran->err, {request.password, base64_encode(request.username + ":" + request.password)}));
  fs::path archive;
  for (const auto& entry : fs::directory_iterator(pulled, ec))
    if (entry.path().extension() == ".tgz") archive = entry.path();
  if (archive.empty()) return fail(ErrorCode::internal, "helm pull " + redact_url(request.url) + " left no chart archive");
  auto bytes = read_file_capped(archive, limits_.max_chart_bytes);
  if (!bytes.ok()) return fail(bytes.error().code, request.url + ": " + bytes.error().message);
  // helm names the archive <chart>-<version>.tgz after the chart's own metadata.
  const std::string file_name = archive.stem().string();
  ResolvedChart chart{{}, request.chart, {}, sha256_hex(*bytes)};
  chart.version = file_name.rfind(request.chart + "-", 0) == 0 ? file_name.substr(request.chart.size() + 1) : file_name;
  chart.path = cache_ / "charts" / (chart.digest + ".tgz");
  if (fs::is_regular_file(chart.path, ec)) return chart;
  auto written = write_atomically(chart.path, *bytes);
  if (!written.ok()) return written.error();
  return chart;
}

}  // namespace driftless::helmrelease
