#include "namespaces.hpp"

#include "api_answer.hpp"
#include "labels.hpp"
#include "reconcile.hpp"

namespace driftless::kube {

Result<std::map<std::string, std::vector<std::string>>> absent_namespaces(
    KubeClient& client, std::map<std::string, std::vector<std::string>> needed, std::size_t concurrency) {
  std::vector<HttpRequest> requests;
  for (const auto& [name, objects] : needed) requests.push_back(client.request("GET", "/api/v1/namespaces/" + name));
  auto responses = client.send_all(std::move(requests), concurrency);
  auto it = needed.begin();
  for (const auto& response : responses) {
    if (ApiAnswer::of(response).cluster_unavailable())
      return fail(ErrorCode::unavailable, "cannot read namespace " + it->first + ": " + failure_message(response));
    it = response.ok() && response->status == 404 ? std::next(it) : needed.erase(it);
  }
  return needed;
}

std::string missing_namespace_message(const std::string& name, const std::vector<std::string>& objects) {
  constexpr std::size_t kShown = 3;
  std::string message = "namespace '" + name + "' does not exist and the render does not create it; needed by ";
  for (std::size_t i = 0; i < objects.size() && i < kShown; ++i) message += (i ? ", " : "") + objects[i];
  if (objects.size() > kShown) message += " and " + std::to_string(objects.size() - kShown) + " more";
  return message + ": add a Namespace object to the render or set createNamespaces: true on the kube sink";
}

Value created_namespace(const std::string& name, const std::string& pipeline) {
  Object labels;
  labels.set(kManagedByLabel, kManagedByValue);
  labels.set(kCreatedForLabel, pipeline_label_value(pipeline));
  Object metadata;
  metadata.set("name", name);
  metadata.set("labels", Value(std::move(labels)));
  Object body;
  body.set("apiVersion", "v1");
  body.set("kind", "Namespace");
  body.set("metadata", Value(std::move(metadata)));
  return Value(std::move(body));
}

Result<void> create_namespaces(KubeClient& client, const std::vector<std::string>& names, const std::string& pipeline,
                               std::size_t concurrency) {
  std::vector<HttpRequest> requests;
  for (const auto& name : names)
    requests.push_back(server_side_apply(client, "/api/v1/namespaces/" + name, created_namespace(name, pipeline), false, false, false));
  auto responses = client.send_all(std::move(requests), concurrency);
  for (std::size_t i = 0; i < names.size(); ++i)
    if (ApiAnswer::of(responses[i]).outcome != ApiOutcome::ok)
      return fail(ErrorCode::unavailable, "cannot create namespace '" + names[i] + "' (createNamespaces): " + failure_message(responses[i]));
  return {};
}

}  // namespace driftless::kube
