#include "helm_repository.hpp"

#include "driftless/toolkit/hash.hpp"
#include "driftless/toolkit/semver.hpp"
#include "driftless/toolkit/yaml.hpp"

namespace driftless::charts {
namespace {

std::string without_trailing_slash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// "https://host:port" of a URL.
std::string origin_of(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return {};
  auto path = url.find('/', scheme + 3);
  return path == std::string::npos ? url : url.substr(0, path);
}

// A chart URL from an index, which may be relative to the repository.
std::string absolute_url(const std::string& repository, const std::string& url) {
  if (url.find("://") != std::string::npos) return url;
  if (!url.empty() && url[0] == '/') return origin_of(repository) + url;
  return without_trailing_slash(repository) + "/" + url;
}

Result<HttpResponse> get(HttpClient& http, const RepositoryAccess& access, const std::string& url, std::size_t max_bytes) {
  HttpRequest request;
  request.url = url;
  request.timeout = access.timeout;
  request.max_response_bytes = max_bytes;
  request.cancelled = access.cancelled;
  const bool same_origin = origin_of(url) == origin_of(access.url);
  if (!access.username.empty() && (same_origin || access.pass_credentials))
    request.headers.emplace_back("Authorization", "Basic " + base64_encode(access.username + ":" + access.password));
  auto response = http.send(request);
  if (!response.ok()) return response.error();  // the HTTP client's message names the method and the URL already
  if (response->status == 401 || response->status == 403)
    return fail(ErrorCode::unauthorized, "GET " + redact_url(url) + ": HTTP " + std::to_string(response->status) +
                                             " (check the repository's credentials)");
  if (response->status != 200)
    return fail(response->status == 404 ? ErrorCode::not_found : ErrorCode::unavailable,
                "GET " + redact_url(url) + ": HTTP " + std::to_string(response->status));
  return response;
}

}  // namespace

Result<Value> fetch_index(HttpClient& http, const RepositoryAccess& access, std::size_t max_bytes) {
  const std::string repository = without_trailing_slash(access.url);
  auto response = get(http, access, repository + "/index.yaml", max_bytes);
  if (!response.ok()) return response.error();
  auto parsed = parse_yaml(response->body, redact_url(repository) + "/index.yaml");
  if (has_errors(parsed.diagnostics) || parsed.documents.empty() || !parsed.documents[0].value.is_object())
    return fail(ErrorCode::invalid_input, redact_url(repository) + "/index.yaml is not a Helm repository index");
  return std::move(parsed.documents[0].value);
}

Result<IndexedChart> pick_chart(const Value& index, const std::string& repository, const std::string& chart,
                                const std::string& range_text) {
  const std::string where = redact_url(without_trailing_slash(repository));
  const Value* entries = index.at_path({"entries", chart});
  if (!entries || !entries->is_array() || entries->as_array().empty())
    return fail(ErrorCode::not_found, "chart '" + chart + "' is not in " + where + "/index.yaml");
  auto range = SemVerRange::parse(range_text);
  if (!range.ok()) return fail(ErrorCode::invalid_input, "version '" + range_text + "': " + range.error().message);
  std::vector<std::string> versions;
  for (const auto& entry : entries->as_array()) versions.push_back(entry.string_or("version"));
  auto picked = highest_match(*range, versions);
  if (!picked)
    return fail(ErrorCode::not_found, "no version of chart '" + chart + "' in " + where + " matches '" + range_text + "'");
  const Value& entry = entries->as_array()[*picked];
  const Value* urls = entry.find("urls");
  if (!urls || !urls->is_array() || urls->as_array().empty() || !urls->as_array()[0].is_string())
    return fail(ErrorCode::invalid_input, "chart '" + chart + "' " + versions[*picked] + " has no URL in the index");
  IndexedChart out{chart, versions[*picked], entry.string_or("digest"), absolute_url(repository, urls->as_array()[0].as_string())};
  if (out.url.rfind("http://", 0) != 0 && out.url.rfind("https://", 0) != 0)  // an index names no file:// of this host
    return fail(ErrorCode::invalid_input, "chart '" + chart + "' " + out.version + " in " + where + "/index.yaml has the URL '" +
                                              redact_url(out.url) + "', which is not http:// or https://");
  return out;
}

Result<std::string> download_chart(HttpClient& http, const RepositoryAccess& access, IndexedChart& chart,
                                   std::size_t max_bytes) {
  auto archive = get(http, access, chart.url, max_bytes);
  if (!archive.ok()) return archive.error();
  const std::string digest = sha256_hex(archive->body);
  if (!chart.digest.empty() && chart.digest != digest)
    return fail(ErrorCode::invalid_input, redact_url(chart.url) + " does not match the digest in the repository index");
  chart.digest = digest;
  return std::move(archive->body);
}

}  // namespace driftless::charts
