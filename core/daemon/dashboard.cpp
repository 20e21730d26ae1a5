#include "daemon/dashboard.hpp"

#include <algorithm>
#include <functional>

#include "daemon/api_access.hpp"
#include "daemon/http_api.hpp"
#include "driftless/value.hpp"

namespace driftless::core {
namespace {

std::string_view content_type_of(std::string_view name) {
  const auto dot = name.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  return "application/octet-stream";
}

// The dashboard loads nothing but its own files and talks only to its own origin.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

}  // namespace

std::optional<ServedResponse> dashboard_file(const ServedRequest& request) {
  static const std::string kPrefix = "/ui/";
  if (request.path.rfind(kPrefix, 0) != 0) return std::nullopt;
  std::string name = request.path.substr(kPrefix.size());
  if (name.empty()) name = "index.html";
  for (const auto& file : dashboard_files()) {
    if (file.name != name) continue;
    const std::string etag = "\"" + std::to_string(std::hash<std::string_view>{}(file.bytes)) + "\"";
    ServedResponse response{200, std::string(content_type_of(name)), "", {}};
    response.headers = {{"Content-Security-Policy", std::string(kContentSecurityPolicy)},
                        {"X-Content-Type-Options", "nosniff"},
                        {"Referrer-Policy", "no-referrer"},
                        {"Cache-Control", "no-cache"},
                        {"ETag", etag}};
    if (request.header("If-None-Match") == etag) {
      response.status = 304;
      return response;
    }
    response.body = std::string(file.bytes);
    return response;
  }
  return std::nullopt;
}

std::string forge_commit_link(std::string_view url, std::string_view commit) {
  if (commit.empty() || std::any_of(commit.begin(), commit.end(), [](char c) { return !std::isxdigit(static_cast<unsigned char>(c)); }))
    return "";
  // https://host/owner/repo(.git), ssh://git@host/owner/repo, git@host:owner/repo
  std::string_view rest = url;
  if (const auto scheme = rest.find("://"); scheme != std::string_view::npos) rest.remove_prefix(scheme + 3);
  if (const auto at = rest.find('@'); at != std::string_view::npos && at < rest.find('/')) rest.remove_prefix(at + 1);
  const auto separator = rest.find_first_of("/:");
  if (separator == std::string_view::npos) return "";
  const std::string host = ascii_lower(rest.substr(0, separator));
  std::string_view path = rest.substr(separator + 1);
  if (rest[separator] == ':' && !path.empty() && std::isdigit(static_cast<unsigned char>(path.front()))) {
    const auto slash = path.find('/');  // a port
    if (slash == std::string_view::npos) return "";
    path.remove_prefix(slash + 1);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.size() > 4 && path.substr(path.size() - 4) == ".git") path.remove_suffix(4);
  if (path.empty() || path.find_first_of("?#\"'<> ") != std::string_view::npos) return "";
  const std::string base = "https://" + host + "/" + std::string(path);
  if (host == "github.com" || host == "codeberg.org") return base + "/commit/" + std::string(commit);
  if (host == "gitlab.com") return base + "/-/commit/" + std::string(commit);
  if (host == "bitbucket.org") return base + "/commits/" + std::string(commit);
  return "";
}

FleetQuery FleetQuery::from(const ServedRequest& request) {
  FleetQuery query{request.param("name"), request.param("state"), request.param("source"), request.param("cluster"),
                   request.params("label")};
  // An empty one asks for nothing, as the other filters do.
  std::erase(query.labels, std::string());
  return query;
}

namespace {

// "key=value": the label has that value; "key": the pipeline has the label.
bool has_label(const std::map<std::string, std::string>& labels, const std::string& selector) {
  const auto eq = selector.find('=');
  const auto it = labels.find(selector.substr(0, eq));
  return it != labels.end() && (eq == std::string::npos || it->second == selector.substr(eq + 1));
}

}  // namespace

bool matches(const PipelineStatus& status, const FleetQuery& query) {
  if (!query.state.empty() && status.state != query.state) return false;
  if (!query.source.empty() && status.source != query.source) return false;
  if (!query.cluster.empty() && status.cluster != query.cluster) return false;
  for (const auto& selector : query.labels)
    if (!has_label(status.labels, selector)) return false;
  return query.name.empty() || ascii_lower(status.name).find(ascii_lower(query.name)) != std::string::npos;
}

Value state_counts(const std::vector<PipelineStatus>& pipelines) {
  std::map<std::string, std::int64_t> counts;
  for (const auto& p : pipelines) ++counts[p.state];
  Object o;
  for (const auto& [state, n] : counts) o.set(state, n);
  return Value(std::move(o));
}

LiveFeed::LiveFeed(DaemonControl& control, EventHub& hub, std::chrono::milliseconds interval)
    : control_(control), hub_(hub), interval_(interval), thread_([this] { loop(); }) {}

LiveFeed::~LiveFeed() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void LiveFeed::loop() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    {
      std::lock_guard state(state_mutex_);
      if (hub_.streams() > 0) poll(true);  // nobody watching: nothing to do
    }
    lock.lock();
  }
}

std::shared_ptr<ResponseStream> LiveFeed::subscribe(std::string first) {
  // The first stream after a time without any: what was seen then is stale, and
  // the browser loads the whole fleet after `first` anyway; only what changes
  // from now on is news. Under the same lock as the polls, so none is missed.
  std::lock_guard lock(state_mutex_);
  if (hub_.streams() == 0) poll(false);
  return hub_.subscribe(std::move(first));
}

void LiveFeed::poll(bool publish) {
  const std::vector<PipelineStatus> pipelines = control_.status();
  std::map<std::string, std::size_t> now;
  for (const auto& status : pipelines) {
    const std::string json = to_json(status_value(status));
    const std::size_t hash = std::hash<std::string>{}(json);
    now[status.name] = hash;
    if (auto it = seen_.find(status.name); publish && (it == seen_.end() || it->second != hash)) hub_.publish("pipeline", json);
  }
  for (const auto& [name, hash] : seen_) {
    if (!publish || now.count(name)) continue;
    Object removed;
    removed.set("name", name);
    hub_.publish("removed", to_json(Value(std::move(removed))));
  }
  seen_ = std::move(now);
  std::string counts = to_json(state_counts(pipelines));
  if (publish && counts != counts_) hub_.publish("counts", counts);
  counts_ = std::move(counts);
  for (const auto& event : control_.drift()) {
    if (event.sequence <= drift_seen_) continue;
    drift_seen_ = event.sequence;
    if (publish) hub_.publish("drift", to_json(drift_value(event)));
  }
}

}  // namespace driftless::core
