#include "api_server_proxy.hpp"

#include "support.hpp"

namespace driftless::test {

ApiServerProxy::ApiServerProxy(const std::map<std::string, std::string>& env, Intercept intercept, Rewrite rewrite)
    : pki_(env.at("DRIFTLESS_ENV_DIR") + "/kube/pki/"), intercept_(std::move(intercept)), rewrite_(std::move(rewrite)) {
  const std::string url = env.at("KUBE_APISERVER_URL");  // https://127.0.0.1:PORT
  const auto colon = url.rfind(':');
  host_ = url.substr(8, colon - 8);
  upstream_port_ = std::stoi(url.substr(colon + 1));
  auto handler = [this](const httplib::Request& request, httplib::Response& response) { handle(request, response); };
  server_.Get(".*", handler);
  server_.Post(".*", handler);
  server_.Put(".*", handler);
  server_.Patch(".*", handler);
  server_.Delete(".*", handler);
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
}

ApiServerProxy::~ApiServerProxy() {
  server_.stop();
  thread_.join();
}

std::filesystem::path ApiServerProxy::kubeconfig(const std::filesystem::path& dir) const {
  const auto file = dir / "proxy.kubeconfig";
  write_file(file, "apiVersion: v1\nkind: Config\ncurrent-context: proxy\nclusters:\n- name: proxy\n  cluster: {server: "
                   "\"http://127.0.0.1:" + std::to_string(port_) + "\"}\nusers:\n- name: proxy\n  user: {}\ncontexts:\n"
                   "- name: proxy\n  context: {cluster: proxy, user: proxy}\n");
  return file;
}

void ApiServerProxy::handle(const httplib::Request& request, httplib::Response& response) {
  std::optional<Reply> reply = intercept_ ? intercept_(request.method, request.target) : std::nullopt;
  if (!reply) {
    reply = forward(request);
    if (rewrite_) rewrite_(request.method, request.target, *reply);
  }
  response.status = reply->status;
  for (const auto& [name, value] : reply->headers) response.set_header(name, value);
  response.set_content(reply->body, reply->content_type);
}

ApiServerProxy::Reply ApiServerProxy::forward(const httplib::Request& request) const {
  httplib::SSLClient upstream(host_, upstream_port_, pki_ + "admin.crt", pki_ + "admin.key");
  upstream.set_ca_cert_path(pki_ + "ca.crt");
  upstream.enable_server_certificate_verification(true);
  upstream.set_url_encode(false);  // the target is already encoded
  upstream.set_read_timeout(60, 0);
  httplib::Request out;
  out.method = request.method;
  out.path = request.target;
  out.body = request.body;
  for (const char* name : {"Accept", "Content-Type", "User-Agent", "Impersonate-User", "Impersonate-Group"})
    for (std::size_t i = 0; i < request.get_header_value_count(name); ++i)
      out.headers.emplace(name, request.get_header_value(name, i));
  auto result = upstream.send(out);
  if (!result) return {502, "text/plain", "proxy: " + httplib::to_string(result.error()), {}};
  Reply reply{result->status, result->get_header_value("Content-Type"), result->body, {}};
  if (result->has_header("Retry-After")) reply.headers.emplace("Retry-After", result->get_header_value("Retry-After"));
  return reply;
}

std::string status_body(int code, const std::string& reason, const std::string& message) {
  return R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":")" + message +
         R"(","reason":")" + reason + R"(","code":)" + std::to_string(code) + "}";
}

}  // namespace driftless::test
