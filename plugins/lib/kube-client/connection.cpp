#include "connection.hpp"

#include <driftless/toolkit/hash.hpp>
#include <driftless/toolkit/yaml.hpp>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace driftless::kube {
namespace fs = std::filesystem;

namespace {

constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

std::optional<std::string> read_small_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Kubeconfig "-data" fields are base64, sometimes wrapped over several lines.
std::optional<std::string> decode_data(std::string_view text) {
  std::string clean;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) clean += c;
  return base64_decode(clean);
}

const Value* named(const Value& config, const char* list, const std::string& name, const char* inner) {
  const Value* items = config.find(list);
  if (!items || !items->is_array()) return nullptr;
  for (const auto& item : items->as_array())
    if (item.string_or("name") == name) return item.find(inner);
  return nullptr;
}

fs::path relative_to(const fs::path& dir, const std::string& path) {
  fs::path p(path);
  return p.is_absolute() ? p : dir / p;
}

// A "-data" field (base64 PEM) or a file field of a kubeconfig section.
Result<void> pem_field(const Value& section, const std::string& field, const fs::path& dir, std::string& pem_out,
                       std::string& file_out, const std::string& where) {
  if (std::string data = section.string_or(field + "-data"); !data.empty()) {
    auto decoded = decode_data(data);
    if (!decoded) return fail(ErrorCode::invalid_input, where + ": " + field + "-data is not valid base64");
    pem_out = std::move(*decoded);
  } else if (std::string file = section.string_or(field); !file.empty()) {
    file_out = relative_to(dir, file).string();
    std::error_code ec;
    if (!fs::exists(file_out, ec)) return fail(ErrorCode::invalid_input, where + ": " + field + " " + file_out + " does not exist");
  }
  return {};
}

Result<ClusterAccess> in_cluster() {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  ClusterAccess access;
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6
  access.server = "https://" + h + ":" + (port && *port ? port : "443");
  access.description = "the in-cluster service account";
  access.context = "in-cluster";
  access.token_file = fs::path(kServiceAccountDir) / "token";
  access.tls.ca_file = (fs::path(kServiceAccountDir) / "ca.crt").string();
  if (auto ns = read_small_file(fs::path(kServiceAccountDir) / "namespace")) access.namespace_name = *ns;
  std::error_code ec;
  if (!fs::exists(access.token_file, ec))
    return fail(ErrorCode::unauthorized, "running in a cluster but " + access.token_file.string() + " is missing");
  return access;
}

// Merges the lists of several kubeconfig files: the first definition of a name wins.
Value merge_kubeconfigs(const std::vector<Value>& configs) {
  Object merged;
  for (const char* list : {"clusters", "users", "contexts"}) {
    Array items;
    std::set<std::string> seen;
    for (const auto& config : configs)
      if (const Value* l = config.find(list); l && l->is_array())
        for (const auto& item : l->as_array())
          if (seen.insert(item.string_or("name")).second) items.push_back(item);
    merged.set(list, Value(std::move(items)));
  }
  for (const auto& config : configs)
    if (std::string current = config.string_or("current-context"); !current.empty()) {
      merged.set("current-context", current);
      break;
    }
  return Value(std::move(merged));
}

Result<Value> read_kubeconfig(const fs::path& file) {
  auto text = read_small_file(file);
  if (!text) return fail(ErrorCode::not_found, "cannot read the kubeconfig " + file.string());
  auto parsed = parse_yaml(*text, file.string());
  if (has_errors(parsed.diagnostics)) return fail(ErrorCode::invalid_input, format(parsed.diagnostics.front()));
  if (parsed.documents.empty() || !parsed.documents.front().value.is_object())
    return fail(ErrorCode::invalid_input, "the kubeconfig " + file.string() + " is not a mapping");
  return parsed.documents.front().value;
}

}  // namespace

Result<ClusterAccess> access_from_kubeconfig(const Value& config, const fs::path& file, const std::string& context) {
  const std::string context_name = context.empty() ? config.string_or("current-context") : context;
  const std::string where = "kubeconfig " + file.string() + ", context '" + context_name + "'";
  if (context_name.empty())
    return fail(ErrorCode::invalid_input, "kubeconfig " + file.string() + " has no current-context; set `context` in the sink");
  const Value* ctx = named(config, "contexts", context_name, "context");
  if (!ctx) return fail(ErrorCode::not_found, "kubeconfig " + file.string() + " has no context '" + context_name + "'");
  const Value* cluster = named(config, "clusters", ctx->string_or("cluster"), "cluster");
  if (!cluster) return fail(ErrorCode::invalid_input, where + ": cluster '" + ctx->string_or("cluster") + "' is not defined");
  static const Value kEmpty{Object{}};
  const Value* user = named(config, "users", ctx->string_or("user"), "user");
  if (!user) user = &kEmpty;

  ClusterAccess access;
  access.description = where;
  access.context = context_name;
  access.namespace_name = ctx->string_or("namespace");
  access.server = cluster->string_or("server");
  while (!access.server.empty() && access.server.back() == '/') access.server.pop_back();
  if (access.server.empty()) return fail(ErrorCode::invalid_input, where + ": the cluster has no server");
  const fs::path dir = file.parent_path();
  if (auto r = pem_field(*cluster, "certificate-authority", dir, access.tls.ca_pem, access.tls.ca_file, where); !r.ok())
    return r.error();
  if (const Value* insecure = cluster->find("insecure-skip-tls-verify"); insecure && insecure->is_bool())
    access.tls.insecure_skip_verify = insecure->as_bool();
  if (auto r = pem_field(*user, "client-certificate", dir, access.tls.client_cert_pem, access.tls.client_cert_file, where);
      !r.ok())
    return r.error();
  if (auto r = pem_field(*user, "client-key", dir, access.tls.client_key_pem, access.tls.client_key_file, where); !r.ok())
    return r.error();
  access.token = user->string_or("token");
  if (std::string token_file = user->string_or("tokenFile"); !token_file.empty())
    access.token_file = relative_to(dir, token_file);
  if (!user->string_or("username").empty())
    return fail(ErrorCode::invalid_input, where + ": basic authentication (username/password) is not supported; use a token, "
                                                  "a client certificate or an exec plugin");
  if (const Value* exec = user->find("exec"); exec && exec->is_object()) {
    const std::string api = exec->string_or("apiVersion");
    if (api != "client.authentication.k8s.io/v1" && api != "client.authentication.k8s.io/v1beta1")
      return fail(ErrorCode::invalid_input, where + ": exec plugin apiVersion '" + api +
                                                "' is not supported (use client.authentication.k8s.io/v1)");
    ExecPlugin plugin;
    plugin.command = exec->string_or("command");
    plugin.dir = dir;
    if (plugin.command.empty()) return fail(ErrorCode::invalid_input, where + ": the exec plugin has no command");
    if (const Value* args = exec->find("args"); args && args->is_array())
      for (const auto& a : args->as_array())
        if (a.is_string()) plugin.args.push_back(a.as_string());
    if (const Value* env = exec->find("env"); env && env->is_array())
      for (const auto& e : env->as_array()) plugin.env[e.string_or("name")] = e.string_or("value");
    access.exec = std::move(plugin);
  }
  return access;
}

Result<ClusterAccess> find_cluster(const std::string& kubeconfig, const std::string& context) {
  std::vector<fs::path> files;
  if (!kubeconfig.empty()) {
    files.push_back(kubeconfig);
  } else if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
    std::stringstream list(env);
    for (std::string item; std::getline(list, item, ':');)
      if (!item.empty()) files.push_back(item);
  } else if (const char* home = std::getenv("HOME"); home && fs::exists(fs::path(home) / ".kube/config")) {
    files.push_back(fs::path(home) / ".kube/config");
  } else if (std::getenv("KUBERNETES_SERVICE_HOST")) {
    return in_cluster();
  } else {
    return fail(ErrorCode::not_found, "no cluster configured: set `kubeconfig` in the sink, or KUBECONFIG, or create "
                                      "~/.kube/config, or run inside a cluster");
  }
  std::vector<Value> configs;
  for (const auto& file : files) {
    std::error_code ec;
    if (files.size() > 1 && !fs::exists(file, ec)) continue;  // kubectl skips missing files of a list
    auto config = read_kubeconfig(file);
    if (!config.ok()) return config.error();
    configs.push_back(std::move(*config));
  }
  if (configs.empty()) return fail(ErrorCode::not_found, "none of the KUBECONFIG files exists");
  return access_from_kubeconfig(configs.size() == 1 ? configs.front() : merge_kubeconfigs(configs), files.front(), context);
}

std::string cluster_name(const std::string& kubeconfig, const std::string& context) {
  if (!context.empty()) return context;
  auto access = find_cluster(kubeconfig, context);
  return access.ok() ? access->context : "";
}

}  // namespace driftless::kube
