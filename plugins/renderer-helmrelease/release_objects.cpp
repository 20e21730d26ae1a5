#include "release_objects.hpp"

#include <set>
#include <sstream>

#include "driftless/toolkit/hash.hpp"
#include "driftless/toolkit/http.hpp"
#include "driftless/toolkit/yaml.hpp"
#include "labels.hpp"

namespace driftless::helmrelease {
namespace {

constexpr std::size_t kListConcurrency = 8;

// What a person or a controller may change by hand: everything but metadata and status.
std::string fingerprint(const Value& object) {
  Object kept;
  if (object.is_object())
    for (const auto& [key, value] : object.as_object())
      if (key != "metadata" && key != "status" && key != "apiVersion" && key != "kind") kept.set(key, value);
  return sha256_hex(to_json(Value(std::move(kept))));
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::istringstream in(text);
  for (std::string part; std::getline(in, part, separator);) parts.push_back(part);
  return parts;
}

}  // namespace

std::string ObjectRef::id() const { return kind + "/" + (namespace_name.empty() ? "" : namespace_name + "/") + name; }

std::string ObjectRef::key() const { return collection + "|" + kind + "|" + namespace_name + "|" + name; }

std::optional<ObjectRef> ObjectRef::from_key(const std::string& key) {
  const auto parts = split(key, '|');
  if (parts.size() != 4 || parts[0].empty() || parts[0][0] != '/') return std::nullopt;
  return ObjectRef{parts[0], parts[1], parts[2], parts[3]};
}

ClusterView::ClusterView(std::shared_ptr<kube::Cluster> cluster) : cluster_(std::move(cluster)) {}

Result<std::unique_ptr<ClusterView>> ClusterView::connect(const kube::ClusterSettings& settings) {
  auto cluster = kube::Cluster::shared(settings);
  if (!cluster.ok()) return cluster.error();
  return std::unique_ptr<ClusterView>(new ClusterView(std::move(*cluster)));
}

Result<KubeObject> ClusterView::config_object(const std::string& kind, const std::string& namespace_name,
                                              const std::string& name) {
  const std::string path = "/api/v1/namespaces/" + namespace_name + (kind == "Secret" ? "/secrets/" : "/configmaps/") + name;
  auto response = client().send(client().request("GET", path));
  if (!response.ok()) return response.error();
  if (response->status == 404) return fail(ErrorCode::not_found, kind + " " + namespace_name + "/" + name + " does not exist");
  if (response->status != 200) return kube::api_error(*response, "GET " + path);
  auto body = parse_json(response->body);
  if (!body.ok()) return body.error();
  return KubeObject{std::move(*body), {}};
}

Result<bool> ClusterView::holds_release_of(const std::string& pipeline) {
  const std::string selector = std::string("owner=helm,") + kube::kPipelineLabel + "=" + kube::pipeline_label_value(pipeline);
  const std::string path = "/api/v1/secrets?labelSelector=" + url_encode(selector) + "&limit=1";
  auto response = client().send(client().request("GET", path));
  if (!response.ok()) return response.error();
  if (response->status != 200) return kube::api_error(*response, "GET " + path);
  auto list = parse_json(response->body);
  const Value* items = list.ok() ? list->find("items") : nullptr;
  if (!items || !(items->is_array() || items->is_null()))
    return fail(ErrorCode::internal, "GET " + path + ": the answer is not a list");
  return items->is_array() && !items->as_array().empty();
}

Result<const kube::Discovery*> ClusterView::discovery() {
  if (!discovery_) {
    auto loaded = cluster_->discovery();
    if (!loaded.ok()) return loaded.error();
    discovery_ = std::move(*loaded);
  }
  return discovery_.get();
}

Result<std::vector<ObjectRef>> ClusterView::manifest_objects(const std::string& manifest, const std::string& release_namespace) {
  auto known = discovery();
  if (!known.ok()) return known.error();
  std::vector<ObjectRef> out;
  for (const auto& document : parse_yaml(manifest, "manifest").documents) {
    const Value& object = document.value;
    if (!object.is_object()) continue;
    const kube::ResourceType* type = (*known)->find(object.string_or("apiVersion"), object.string_or("kind"));
    const Value* metadata = object.find("metadata");
    if (!type || !metadata) continue;
    const std::string given = metadata->string_or("namespace");
    const std::string ns = type->namespaced ? (given.empty() ? release_namespace : given) : "";
    out.push_back({type->collection(ns), type->kind, ns, metadata->string_or("name")});
  }
  return out;
}

Result<std::map<std::string, std::string>> ClusterView::fingerprints(const std::vector<ObjectRef>& objects) {
  std::map<std::string, std::set<std::string>> wanted;  // collection path -> names
  std::map<std::string, const ObjectRef*> by_path_and_name;
  for (const auto& object : objects) {
    wanted[object.collection].insert(object.name);
    by_path_and_name[object.collection + "/" + object.name] = &object;
  }
  std::vector<std::string> collections;
  std::vector<HttpRequest> requests;
  for (const auto& [collection, names] : wanted) {
    collections.push_back(collection);
    requests.push_back(client().request("GET", collection));
  }
  auto responses = client().send_all(std::move(requests), kListConcurrency);
  std::map<std::string, std::string> out;
  for (std::size_t i = 0; i < responses.size(); ++i) {
    auto& response = responses[i];
    if (!response.ok()) return response.error();
    if (response->status == 404) continue;  // the namespace or kind is gone: none of its objects exist
    if (response->status != 200) return kube::api_error(*response, "GET " + collections[i]);
    auto list = parse_json(response->body);
    if (!list.ok()) return fail(ErrorCode::internal, "GET " + collections[i] + ": not JSON");
    const Value* items = list->find("items");
    if (!items || !items->is_array()) continue;
    for (const auto& item : items->as_array()) {
      const std::string name = item.find("metadata") ? item.find("metadata")->string_or("name") : "";
      auto it = by_path_and_name.find(collections[i] + "/" + name);
      if (it != by_path_and_name.end()) out[it->second->key()] = fingerprint(item);
    }
  }
  return out;
}

}  // namespace driftless::helmrelease
