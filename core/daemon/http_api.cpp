#include "daemon/http_api.hpp"

#include <ctime>

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

Value status_value(const PipelineStatus& s) {
  Object o;
  o.set("name", s.name);
  o.set("source", s.source);
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
    Object fields;
    for (const auto& [key, value] : item.fields) fields.set(key, value);
    i.set("fields", Value(std::move(fields)));
    items.push_back(Value(std::move(i)));
  }
  o.set("items", std::move(items));
  if (!s.message.empty()) o.set("message", s.message);
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

HttpApi::HttpApi(DaemonControl& control)
    : control_(control), server_([this](const ServedRequest& request) { return handle(request); }, daemon_http_limits()) {}

ServedResponse HttpApi::handle(const ServedRequest& req) {
  const bool get = req.method == "GET";
  if (get && req.path == "/healthz") return {200, "text/plain", "ok\n", {}};
  if (get && req.path == "/readyz") {
    const bool ready = control_.ready();
    return {ready ? 200 : 503, "text/plain", ready ? "ready\n" : "not ready: the first fetch or reconcile is still running\n", {}};
  }
  if (get && req.path == "/metrics") return {200, "text/plain; version=0.0.4", control_.metrics(), {}};
  if (get && req.path == "/api/v1/pipelines") {
    if (auto refused = refuse_api_request(req, control_.api(), false)) return *refused;
    return pipelines();
  }
  // POST /api/v1/pipelines/NAME/ACTION
  static const std::string kPipelines = "/api/v1/pipelines/";
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

ServedResponse HttpApi::pipelines() {
  Array list;
  for (const auto& s : control_.status()) list.push_back(status_value(s));
  Object root;
  root.set("pipelines", std::move(list));
  if (auto replica = control_.replica()) root.set("replica", replica_value(*replica));
  return {200, "application/json", to_json(Value(std::move(root))) + "\n", {}};
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
