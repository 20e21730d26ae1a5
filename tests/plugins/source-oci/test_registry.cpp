#include "test_registry.hpp"

#include <gtest/gtest.h>

#include <random>

#include "driftless/toolkit/hash.hpp"
#include "source_fixture.hpp"

namespace driftless::test {
namespace {
constexpr const char* kProxyToken = "proxy-token";
}

TestRegistry::TestRegistry() {
  auto env = require_env();
  host_ = env["OCI_REGISTRY"];
  user_ = env["OCI_USER"];
  password_ = env["OCI_PASSWORD"];
  run_ = "oci-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}() % 1000000);
}

std::string TestRegistry::repository(const std::string& area, const std::string& name) const {
  return area + "/" + run_ + "/" + name;
}

HttpRequest TestRegistry::request(const std::string& method, const std::string& path) const {
  HttpRequest r;
  r.method = method;
  r.url = path.rfind("http", 0) == 0 ? path : "http://" + host_ + path;
  r.headers.emplace_back("Authorization", "Basic " + base64_encode(user_ + ":" + password_));
  return r;
}

std::string TestRegistry::push_blob(const std::string& repository, const std::string& bytes) {
  const std::string digest = "sha256:" + sha256_hex(bytes);
  auto started = http_.send(request("POST", "/v2/" + repository + "/blobs/uploads/"));
  EXPECT_TRUE(started.ok() && started->status == 202) << (started.ok() ? started->body : started.error().message);
  const std::string* location = started.ok() ? started->header("location") : nullptr;
  if (!location) return digest;
  HttpRequest put = request("PUT", (location->rfind("http", 0) == 0 ? "" : "http://" + host_) + *location +
                                       (location->find('?') == std::string::npos ? "?" : "&") + "digest=" + digest);
  put.body = bytes;
  put.headers.emplace_back("Content-Type", "application/octet-stream");
  auto done = http_.send(put);
  EXPECT_TRUE(done.ok() && done->status == 201) << (done.ok() ? done->body : done.error().message);
  return digest;
}

std::string TestRegistry::push(const std::string& repository, const std::string& tag, const std::string& layer,
                               const std::string& media_type, long declared_size) {
  const std::string config = "{}";
  const std::string config_digest = push_blob(repository, config);
  const std::string layer_digest = push_blob(repository, layer);
  const std::string manifest =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
      R"("config":{"mediaType":"application/vnd.cncf.flux.config.v1+json","digest":")" + config_digest +
      R"(","size":2},"layers":[{"mediaType":")" + media_type + R"(","digest":")" + layer_digest + R"(","size":)" +
      std::to_string(declared_size < 0 ? static_cast<long>(layer.size()) : declared_size) +
      R"(}],"annotations":{"org.opencontainers.image.source":"https://github.com/acme/fleet",)"
      R"("org.opencontainers.image.revision":"main@sha1:0123456789abcdef0123456789abcdef01234567"}})";
  HttpRequest put = request("PUT", "/v2/" + repository + "/manifests/" + tag);
  put.body = manifest;
  put.headers.emplace_back("Content-Type", "application/vnd.oci.image.manifest.v1+json");
  auto done = http_.send(put);
  EXPECT_TRUE(done.ok() && done->status == 201) << (done.ok() ? done->body : done.error().message);
  return "sha256:" + sha256_hex(manifest);
}

RegistryProxy::RegistryProxy(std::string upstream, Rewrite rewrite, bool bearer)
    : upstream_(std::move(upstream)), rewrite_(std::move(rewrite)), bearer_(bearer) {
  server_.Get(".*", [this](const httplib::Request& request, httplib::Response& response) { handle(request, response); });
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
}

RegistryProxy::~RegistryProxy() {
  server_.stop();
  thread_.join();
}

void RegistryProxy::handle(const httplib::Request& request, httplib::Response& response) {
  std::string target = request.path;
  for (auto it = request.params.begin(); it != request.params.end(); ++it)
    target += (it == request.params.begin() ? "?" : "&") + it->first + "=" + httplib::detail::encode_query_param(it->second);
  if (request.path == "/token") {
    ++token_requests;
    response.set_content(std::string(R"({"token":")") + kProxyToken + R"("})", "application/json");
    return;
  }
  const std::string authorization = request.get_header_value("Authorization");
  if (bearer_ && authorization != std::string("Bearer ") + kProxyToken) {
    response.status = 401;
    response.set_header("WWW-Authenticate", "Bearer realm=\"http://" + host() + "/token\",service=\"proxy\",scope=\"pull\"");
    response.set_content(R"({"errors":[{"code":"UNAUTHORIZED","message":"token required"}]})", "application/json");
    return;
  }
  if (target.find("/manifests/") != std::string::npos) ++manifest_requests;
  if (target.find("/blobs/") != std::string::npos) ++blob_requests;
  httplib::Client upstream("http://" + upstream_);
  httplib::Headers headers{{"Accept", request.get_header_value("Accept")}};
  if (!bearer_ && !authorization.empty()) headers.emplace("Authorization", authorization);
  auto answer = upstream.Get(target, headers);
  Reply reply;
  if (!answer) {
    reply.status = 502;
  } else {
    reply.status = answer->status;
    reply.body = answer->body;
    for (const char* name : {"Content-Type", "Docker-Content-Digest", "WWW-Authenticate", "Location", "Link"})
      if (answer->has_header(name)) reply.headers[name] = answer->get_header_value(name);
  }
  if (rewrite_) rewrite_(target, reply);
  response.status = reply.status;
  for (const auto& [name, value] : reply.headers)
    if (name != "Content-Type") response.set_header(name, value);
  auto type = reply.headers.find("Content-Type");
  response.set_content(reply.body, type == reply.headers.end() ? "application/octet-stream" : type->second);
}

}  // namespace driftless::test
