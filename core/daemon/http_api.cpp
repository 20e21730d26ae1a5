#include "daemon/http_api.hpp"

#include <httplib.h>

#include <ctime>

#include "driftless/value.hpp"

namespace driftless::core {
namespace {

void reply_json(httplib::Response& res, int status, const Value& body) {
  res.status = status;
  res.set_content(to_json(body) + "\n", "application/json");
}

Value message(const std::string& text) {
  Object o;
  o.set("message", text);
  return Value(std::move(o));
}

}  // namespace

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

HttpApi::HttpApi(DaemonControl& control) : control_(control), server_(std::make_unique<httplib::Server>()) {
  auto& server = *server_;
  // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, which would let
  // a second process share (and steal requests from) our port.
  server.set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server.set_payload_max_length(kMaxWebhookBody);
  server.set_read_timeout(10, 0);
  server.set_write_timeout(10, 0);

  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  server.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    const bool ready = control_.ready();
    res.status = ready ? 200 : 503;
    res.set_content(ready ? "ready\n" : "not ready: the first fetch or reconcile is still running\n", "text/plain");
  });
  server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(control_.metrics(), "text/plain; version=0.0.4");
  });
  server.Get("/api/v1/pipelines", [this](const httplib::Request&, httplib::Response& res) {
    Array list;
    for (const auto& s : control_.status()) list.push_back(status_value(s));
    Object root;
    root.set("pipelines", std::move(list));
    reply_json(res, 200, Value(std::move(root)));
  });
  server.Post(R"(/api/v1/pipelines/([^/]+)/(reconcile|suspend|resume))",
              [this](const httplib::Request& req, httplib::Response& res) {
                const std::string name = req.matches[1];
                const std::string action = req.matches[2];
                bool known = action == "reconcile" ? control_.reconcile(name)
                             : action == "suspend" ? control_.suspend(name)
                                                   : control_.resume(name);
                if (!known) return reply_json(res, 404, message("no pipeline named '" + name + "'"));
                reply_json(res, 202, message(action + " of '" + name + "' accepted"));
              });
  server.Post(R"(/hooks/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto header = [&](const std::string& name) { return req.get_header_value(name); };
    WebhookVerdict verdict = control_.webhook(req.matches[1], header, req.body);
    reply_json(res, verdict.status, message(verdict.message));
  });
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 413) res.set_content("{\"message\":\"body too large\"}\n", "application/json");
  });
}

HttpApi::~HttpApi() { stop(); }

Result<void> HttpApi::start(const std::string& listen) {
  const auto colon = listen.rfind(':');
  const std::string host = listen.substr(0, colon);
  const int port = std::atoi(listen.substr(colon + 1).c_str());
  port_ = port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (port_ <= 0)
    return fail(ErrorCode::unavailable, "cannot listen on " + listen + " (in use, or not an address of this machine); set 'listen' in the config");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return {};
}

void HttpApi::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace driftless::core
