#include "inventory.hpp"

#include <driftless/toolkit/hash.hpp>

#include <sstream>

namespace driftless::kube {
namespace {

constexpr const char* kObjectsKey = "objects";
constexpr const char* kHooksRanForKey = "hooksRanFor";

}  // namespace

std::string pipeline_object_name(const std::string& prefix, const std::string& pipeline) {
  // A hash suffix keeps names unique when characters had to be replaced or the name was cut.
  std::string name;
  for (char c : pipeline) {
    const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    name += (std::isalnum(static_cast<unsigned char>(l)) || l == '-') ? l : '-';
  }
  if (name != pipeline || name.size() > 200) name = name.substr(0, 200) + "-" + sha256_hex(pipeline).substr(0, 8);
  return prefix + name;
}

Value pipeline_object_metadata(const std::string& name, const std::string& namespace_name,
                               std::pair<std::string, std::string> label, std::pair<std::string, std::string> annotation) {
  Object labels;
  labels.set(label.first, std::move(label.second));
  Object annotations;
  annotations.set(annotation.first, std::move(annotation.second));
  Object metadata;
  metadata.set("name", name);
  metadata.set("namespace", namespace_name);
  metadata.set("labels", Value(std::move(labels)));
  metadata.set("annotations", Value(std::move(annotations)));
  return Value(std::move(metadata));
}

std::string InventoryEntry::id() const {
  return kind + "/" + (namespace_name.empty() ? "" : namespace_name + "/") + name;
}

InventoryStore::InventoryStore(std::string namespace_name, const std::string& pipeline)
    : namespace_(std::move(namespace_name)), name_(pipeline_object_name("driftless-inventory-", pipeline)), pipeline_(pipeline) {}

Result<Inventory> InventoryStore::read(KubeClient& client) {
  auto response = client.send(client.request("GET", path()));
  if (ApiAnswer::of(response).cluster_unavailable()) return Error{ErrorCode::unavailable, failure_message(response)};
  Inventory inventory;
  hooks_ran_for_.clear();
  if (response->status == 404) {
    stored_ = inventory;
    return inventory;
  }
  if (response->status != 200) return api_error(*response, "reading the inventory " + id());
  auto config_map = parse_json(response->body);
  if (!config_map.ok()) return config_map.error();
  const Value* data = config_map->find("data");
  hooks_ran_for_ = data ? data->string_or(kHooksRanForKey) : "";
  std::istringstream lines(data ? data->string_or(kObjectsKey) : "");
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    InventoryEntry e;
    if (!(fields >> e.api_version >> e.kind >> e.namespace_name >> e.name)) continue;
    if (e.namespace_name == "-") e.namespace_name.clear();
    inventory.insert(std::move(e));
  }
  stored_ = inventory;
  return inventory;
}

Result<void> InventoryStore::write(KubeClient& client, const Inventory& inventory) {
  if (stored_ && *stored_ == inventory) return {};
  std::string text;
  for (const auto& e : inventory)
    text += e.api_version + " " + e.kind + " " + (e.namespace_name.empty() ? "-" : e.namespace_name) + " " + e.name + "\n";
  Value metadata = pipeline_object_metadata(name_, namespace_, {"driftless.dev/inventory", "true"},
                                            {"driftless.dev/inventory-of", pipeline_});
  Object data;
  data.set(kObjectsKey, text);
  // Written with every write: server-side apply would drop a key this field manager stops sending.
  if (!hooks_ran_for_.empty()) data.set(kHooksRanForKey, hooks_ran_for_);
  Object body;
  body.set("apiVersion", "v1");
  body.set("kind", "ConfigMap");
  body.set("metadata", std::move(metadata));
  body.set("data", Value(std::move(data)));
  auto response = client.send(client.request(
      "PATCH", path() + "?fieldManager=driftless&force=true",
      to_json(Value(std::move(body))), "application/apply-patch+yaml"));
  if (ApiAnswer::of(response).cluster_unavailable()) return Error{ErrorCode::unavailable, failure_message(response)};
  if (response->status != 200 && response->status != 201) return api_error(*response, "writing the inventory " + id());
  stored_ = inventory;
  return {};
}

Result<void> InventoryStore::record_hooks_ran(KubeClient& client, const std::string& digest) {
  if (digest == hooks_ran_for_) return {};
  hooks_ran_for_ = digest;
  const Inventory current = stored_.value_or(Inventory{});
  stored_.reset();
  return write(client, current);
}

Result<void> InventoryStore::remove(KubeClient& client) {
  auto response = client.send(client.request("DELETE", "/api/v1/namespaces/" + namespace_ + "/configmaps/" + name_));
  if (!response.ok()) return response.error();
  if (response->status / 100 != 2 && response->status != 404) return api_error(*response, "deleting the inventory " + id());
  stored_ = Inventory{};
  hooks_ran_for_.clear();
  return {};
}

}  // namespace driftless::kube
