#include "discovery.hpp"

#include <set>

namespace driftless::kube {
namespace {

constexpr const char* kAggregatedAccept =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;q=0.9";

Result<Value> get_json(KubeClient& client, const std::string& path, const std::string& accept = {}) {
  HttpRequest r = client.request("GET", path);
  if (!accept.empty()) r.headers.front().second = accept;
  auto response = client.send(std::move(r));
  if (!response.ok()) return response.error();
  if (response->status != 200) return api_error(*response, "API discovery (GET " + path + ")");
  return parse_json(response->body);
}

}  // namespace

std::string api_group(const std::string& api_version) {
  const auto slash = api_version.find('/');
  return slash == std::string::npos ? "" : api_version.substr(0, slash);
}

std::string ResourceType::api_prefix() const {
  return group_version.find('/') == std::string::npos ? "/api/" + group_version : "/apis/" + group_version;
}

std::string ResourceType::collection(const std::string& ns) const {
  return api_prefix() + (namespaced ? "/namespaces/" + ns : "") + "/" + resource;
}

std::string ResourceType::all_namespaces() const { return api_prefix() + "/" + resource; }

std::string ResourceType::object_path(const std::string& ns, const std::string& name) const {
  return collection(ns) + "/" + name;
}

const ResourceType* Discovery::find(const std::string& api_version, const std::string& kind) const {
  auto it = types_.find(api_version + "|" + kind);
  return it == types_.end() ? nullptr : &it->second;
}

void Discovery::add(ResourceType type) {
  types_.emplace(type.group_version + "|" + type.kind, std::move(type));
}

Result<void> Discovery::load_aggregated(KubeClient& client, bool& supported) {
  supported = true;
  for (const char* root : {"/api", "/apis"}) {
    HttpRequest r = client.request("GET", root);
    r.headers.front().second = kAggregatedAccept;
    auto response = client.send(std::move(r));
    if (!response.ok()) return response.error();
    if (response->status != 200) return api_error(*response, std::string("API discovery (GET ") + root + ")");
    const std::string* type = response->header("content-type");
    if (!type || type->find("apidiscovery.k8s.io") == std::string::npos) {
      supported = false;
      return {};
    }
    auto list = parse_json(response->body);
    if (!list.ok()) return list.error();
    const Value* items = list->find("items");
    if (!items || !items->is_array()) continue;
    for (const auto& group : items->as_array()) {
      const std::string group_name = group.at_path({"metadata", "name"}) ? group.at_path({"metadata", "name"})->as_string() : "";
      const Value* versions = group.find("versions");
      if (!versions || !versions->is_array()) continue;
      for (const auto& version : versions->as_array()) {
        const std::string gv = group_name.empty() ? version.string_or("version") : group_name + "/" + version.string_or("version");
        info_.api_versions.push_back(gv);
        const Value* resources = version.find("resources");
        if (!resources || !resources->is_array()) continue;
        for (const auto& res : resources->as_array()) {
          const Value* kind = res.at_path({"responseKind", "kind"});
          if (!kind || !kind->is_string() || kind->as_string().empty()) continue;
          const bool namespaced = res.string_or("scope") == "Namespaced";
          add({gv, kind->as_string(), res.string_or("resource"), namespaced});
          info_.api_versions.push_back(gv + "/" + kind->as_string());
          if (!namespaced) info_.cluster_scoped.push_back(info_.api_versions.back());
        }
      }
    }
  }
  return {};
}

Result<void> Discovery::load_legacy(KubeClient& client) {
  std::vector<std::string> group_versions;
  auto core = get_json(client, "/api");
  if (!core.ok()) return core.error();
  if (const Value* v = core->find("versions"); v && v->is_array())
    for (const auto& version : v->as_array()) group_versions.push_back(version.as_string());
  auto groups = get_json(client, "/apis");
  if (!groups.ok()) return groups.error();
  if (const Value* g = groups->find("groups"); g && g->is_array())
    for (const auto& group : g->as_array())
      if (const Value* versions = group.find("versions"); versions && versions->is_array())
        for (const auto& version : versions->as_array()) group_versions.push_back(version.string_or("groupVersion"));
  std::vector<HttpRequest> requests;
  for (const auto& gv : group_versions)
    requests.push_back(client.request("GET", gv.find('/') == std::string::npos ? "/api/" + gv : "/apis/" + gv));
  auto responses = client.send_all(std::move(requests), 16);
  for (std::size_t i = 0; i < responses.size(); ++i) {
    if (!responses[i].ok()) return responses[i].error();
    if (responses[i]->status != 200) continue;  // an unavailable aggregated API must not block the rest
    auto list = parse_json(responses[i]->body);
    if (!list.ok()) continue;
    info_.api_versions.push_back(group_versions[i]);
    if (const Value* resources = list->find("resources"); resources && resources->is_array())
      for (const auto& res : resources->as_array()) {
        const std::string name = res.string_or("name");
        if (name.find('/') != std::string::npos) continue;  // subresources
        const Value* scope = res.find("namespaced");
        const bool namespaced = scope && scope->is_bool() && scope->as_bool();
        add({group_versions[i], res.string_or("kind"), name, namespaced});
        info_.api_versions.push_back(group_versions[i] + "/" + res.string_or("kind"));
        if (!namespaced) info_.cluster_scoped.push_back(info_.api_versions.back());
      }
  }
  return {};
}

Result<Discovery> Discovery::load(KubeClient& client, DiscoveryProtocol protocol) {
  Discovery d;
  auto version = get_json(client, "/version");
  if (!version.ok()) return version.error();
  d.info_.version = version->string_or("gitVersion");
  bool aggregated = false;
  if (protocol == DiscoveryProtocol::aggregated_if_offered)
    if (auto r = d.load_aggregated(client, aggregated); !r.ok()) return r.error();
  if (!aggregated) {
    d.types_.clear();
    d.info_.api_versions.clear();
    d.info_.cluster_scoped.clear();
    if (auto r = d.load_legacy(client); !r.ok()) return r.error();
  }
  return d;
}

}  // namespace driftless::kube
