#include "daemon/http_api.hpp"

#include <ctime>
#include <set>

#include "daemon/api_access.hpp"
#include "driftless/value.hpp"

namespace driftless::core {
std::string iso_time(std::chrono::system_clock::time_point t) {
  if (t == std::chrono::system_clock::time_point{}) return "";
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

Object object_of(const std::map<std::string, std::string>& strings) {
  Object o;
  for (const auto& [key, value] : strings) o.set(key, value);
  return o;
}

}  // namespace

Value status_value(const PipelineStatus& s) {
  Object o;
  o.set("name", s.name);
  o.set("source", s.source);
  o.set("labels", Value(object_of(s.labels)));
  o.set("cluster", s.cluster);
  o.set("state", s.state);
  o.set("revision", s.revision);
  o.set("attemptedRevision", s.attempted_revision);
  o.set("objects", static_cast<std::int64_t>(s.objects));
  o.set("durationMs", s.duration_ms);
  o.set("failures", s.failures);
  o.set("lastAttempt", iso_time(s.last_attempt));
  o.set("lastSuccess", iso_time(s.last_success));
  o.set("nextAttempt", iso_time(s.next_attempt));
  o.set("suspended", s.suspended);
  o.set("leader", s.leader);
  if (!s.replica.empty()) o.set("replica", s.replica);
  Array errors;
  for (const auto& e : s.errors) errors.emplace_back(e);
  o.set("errors", std::move(errors));
  Array items;
  for (const auto& item : s.items) {
    Object i;
    i.set("id", item.id);
    i.set("state", item.state);
    i.set("detail", item.detail);
    i.set("error", item.error);
    i.set("fields", Value(object_of(item.fields)));
    items.push_back(Value(std::move(i)));
  }
  o.set("items", std::move(items));
  if (!s.message.empty()) o.set("message", s.message);
  if (!s.activity.empty()) o.set("activity", s.activity);
  if (!s.revision_info.empty()) {
    Object info = object_of(s.revision_info);
    const auto url = s.revision_info.find("url");
    const auto commit = s.revision_info.find("commit");
    if (url != s.revision_info.end() && commit != s.revision_info.end())
      if (std::string link = forge_commit_link(url->second, commit->second); !link.empty()) info.set("link", link);
    o.set("revisionInfo", Value(std::move(info)));
  }
  return Value(std::move(o));
}

Value drift_value(const DriftEvent& event) {
  Object o;
  o.set("sequence", static_cast<std::int64_t>(event.sequence));
  o.set("time", iso_time(event.time));
  o.set("pipeline", event.pipeline);
  o.set("reason", event.reason);
  o.set("healed", event.healed);
  return Value(std::move(o));
}

Value replica_value(const ReplicaStatus& replica) {
  Object o;
  o.set("identity", replica.identity);
  o.set("mode", replica.mode);
  Array members;
  for (const auto& m : replica.members) members.emplace_back(m);
  o.set("members", std::move(members));
  o.set("memberCount", static_cast<std::int64_t>(replica.members.size()));
  o.set("leads", static_cast<std::int64_t>(replica.leads));
  return Value(std::move(o));
}

HttpLimits daemon_http_limits() {
  HttpLimits limits;
  limits.max_body = kMaxWebhookBody;
  limits.reserved_paths = {"/healthz", "/readyz", "/metrics"};
  return limits;
}

namespace {
// Live streams of the dashboard: a browser tab holds one.
constexpr std::size_t kMaxEventStreams = 32;
// What may wait for one slow stream before it is dropped.
constexpr std::size_t kMaxQueuedEventBytes = 1024 * 1024;
constexpr std::size_t kRecentRuns = 20;
}  // namespace

HttpApi::HttpApi(DaemonControl& control)
    : control_(control),
      hub_(kMaxEventStreams, kMaxQueuedEventBytes),
      server_([this](const ServedRequest& request) { return handle(request); }, daemon_http_limits()),
      feed_(control, hub_, std::chrono::milliseconds(500)) {}

ServedResponse HttpApi::handle(const ServedRequest& req) {
  const bool get = req.method == "GET";
  if (get && req.path == "/healthz") return {200, "text/plain", "ok\n", {}};
  if (get && req.path == "/readyz") {
    const bool ready = control_.ready();
    return {ready ? 200 : 503, "text/plain", ready ? "ready\n" : "not ready: the first fetch or reconcile is still running\n", {}};
  }
  if (get && req.path == "/metrics") return {200, "text/plain; version=0.0.4", control_.metrics(), {}};
  static const std::string kPipelines = "/api/v1/pipelines/";
  if (get && req.path == "/") return {302, "text/plain", "the dashboard is at /ui/\n", {{"Location", "/ui/"}}};
  if (get && (req.path.rfind("/api/", 0) == 0 || req.path.rfind("/ui/", 0) == 0)) {
    if (auto refused = refuse_api_request(req, control_.api(), false)) return *refused;
    if (req.path == "/api/v1/pipelines") return pipelines(req);
    if (req.path == "/api/v1/events") return events();
    if (req.path == "/api/v1/dashboard") return dashboard_settings();
    static const std::string kObjects = "/objects";
    if (req.path.rfind(kPipelines, 0) == 0 && req.path.size() > kPipelines.size()) {
      const std::string rest = req.path.substr(kPipelines.size());
      const auto slash = rest.find('/');
      if (slash == std::string::npos) return pipeline(rest);
      if (slash > 0 && rest.substr(slash) == kObjects) return objects(rest.substr(0, slash));
    }
    if (auto file = dashboard_file(req)) return *file;
  }
  // POST /api/v1/pipelines/NAME/ACTION
  if (req.method == "POST" && req.path.rfind(kPipelines, 0) == 0) {
    const std::string rest = req.path.substr(kPipelines.size());
    const auto slash = rest.find('/');
    const std::string name = rest.substr(0, slash);
    const std::string action = slash == std::string::npos ? "" : rest.substr(slash + 1);
    if (!name.empty() && (action == "reconcile" || action == "suspend" || action == "resume")) return control(req, name, action);
  }
  static const std::string kHooks = "/hooks/";
  if (req.method == "POST" && req.path.rfind(kHooks, 0) == 0 && req.path.size() > kHooks.size() &&
      req.path.find('/', kHooks.size()) == std::string::npos) {
    auto header = [&](const std::string& name) { return req.header(name); };
    WebhookVerdict verdict = control_.webhook(req.path.substr(kHooks.size()), header, req.body);
    return json_message(verdict.status, verdict.message);
  }
  return json_message(404, "no endpoint " + req.method + " " + req.path);
}

ServedResponse HttpApi::pipelines(const ServedRequest& request) {
  const std::vector<PipelineStatus> all = control_.status();
  const FleetQuery query = FleetQuery::from(request);
  Array list;
  for (const auto& s : all)
    if (matches(s, query)) list.push_back(status_value(s));
  Object root;
  root.set("pipelines", std::move(list));
  root.set("total", static_cast<std::int64_t>(all.size()));
  root.set("counts", state_counts(all));
  if (auto replica = control_.replica()) root.set("replica", replica_value(*replica));
  return {200, "application/json", to_json(Value(std::move(root))) + "\n", {}};
}

ServedResponse HttpApi::pipeline(const std::string& name) {
  for (const auto& s : control_.status()) {
    if (s.name != name) continue;
    Object root;
    root.set("pipeline", status_value(s));
    Array runs;
    for (auto& run : control_.recent_runs(name, kRecentRuns)) runs.push_back(std::move(run));
    root.set("runs", std::move(runs));
    Array drift;
    for (const auto& event : control_.drift())
      if (event.pipeline == name) drift.push_back(drift_value(event));
    root.set("drift", std::move(drift));
    return {200, "application/json", to_json(Value(std::move(root))) + "\n", {}};
  }
  return json_message(404, "no pipeline named '" + name + "'");
}

ServedResponse HttpApi::objects(const std::string& name) {
  std::unique_lock lock(diff_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return json_message(429, "another diff is running; try again in a moment");
  auto run = control_.diff(name);
  if (!run.ok()) return json_message(run.error().code == ErrorCode::not_found ? 404 : 503, run.error().message);
  Array list;
  std::set<std::string> ids, names;  // of the changes; "Kind/name" too, as the sink may have defaulted the namespace
  for (const auto& change : run->sink.changes) {
    // "Kind/namespace/name" or "Kind/name"
    const auto first = change.id.find('/'), last = change.id.rfind('/');
    Object o;
    o.set("id", change.id);
    o.set("kind", change.id.substr(0, first));
    o.set("namespace", first == last ? "" : change.id.substr(first + 1, last - first - 1));
    o.set("name", change.id.substr(last + 1));
    o.set("action", to_string(change.action));
    if (!change.health.empty()) o.set("health", change.health);
    o.set("diff", change.detail);
    list.push_back(Value(std::move(o)));
    ids.insert(change.id);
    names.insert(change.id.substr(0, first) + "/" + change.id.substr(last + 1));
  }
  // A sink that reports only what changes: the rest of the rendered objects are unchanged.
  for (const auto& object : run->objects()) {
    if (ids.count(object.id()) || (object.namespace_name().empty() && names.count(object.kind() + "/" + object.name())))
      continue;
    Object o;
    o.set("id", object.id());
    o.set("kind", object.kind());
    o.set("namespace", object.namespace_name());
    o.set("name", object.name());
    o.set("action", "unchanged");
    o.set("diff", "");
    list.push_back(Value(std::move(o)));
  }
  Object root;
  root.set("pipeline", name);
  root.set("revision", run->revision);
  root.set("objects", std::move(list));
  Array errors;
  for (auto& e : error_texts(*run)) errors.emplace_back(std::move(e));
  root.set("errors", std::move(errors));
  return {200, "application/json", to_json(Value(std::move(root))) + "\n", {}};
}

ServedResponse HttpApi::dashboard_settings() {
  Object root;
  root.set("actions", !read_api_token(control_.api()).empty());
  return {200, "application/json", to_json(Value(std::move(root))) + "\n", {}};
}

ServedResponse HttpApi::events() {
  auto stream = feed_.subscribe("retry: 2000\n\n" + EventHub::message("hello", "{}"));
  if (!stream) return json_message(503, "too many live dashboards are open (" + std::to_string(kMaxEventStreams) + ")");
  ServedResponse response{200, "text/event-stream", "", {{"Cache-Control", "no-store"}}};
  response.stream = std::move(stream);
  return response;
}

ServedResponse HttpApi::control(const ServedRequest& req, const std::string& name, const std::string& action) {
  if (auto refused = refuse_api_request(req, control_.api(), true)) return *refused;
  const bool known = action == "reconcile" ? control_.reconcile(name)
                     : action == "suspend" ? control_.suspend(name)
                                           : control_.resume(name);
  if (!known) return json_message(404, "no pipeline named '" + name + "'");
  return json_message(202, action + " of '" + name + "' accepted");
}

}  // namespace driftless::core
