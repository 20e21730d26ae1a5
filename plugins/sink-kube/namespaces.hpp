// Namespaces a pipeline's objects need that neither the render holds nor the
// cluster has. With `createNamespaces` the sink creates them before the
// objects, labelled as driftless's but owned by no pipeline (no
// driftless.dev/pipeline label, not in the inventory), so they are never
// pruned unless a render takes them over; without it the error names the
// namespace, the objects needing it and the option.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "client.hpp"

namespace driftless::kube {

/// The label a created namespace carries, naming the pipeline it was created for.
inline constexpr const char* kCreatedForLabel = "driftless.dev/created-for";

/// Of `needed` (namespace -> ids of the objects in it), the namespaces the
/// cluster does not have. One the sink may not read (a tenant) counts as
/// present: the dry run then says what is wrong. An Error when the cluster
/// does not answer.
Result<std::map<std::string, std::vector<std::string>>> absent_namespaces(
    KubeClient& client, std::map<std::string, std::vector<std::string>> needed, std::size_t concurrency);

/// "namespace 'x' does not exist and the render does not create it; needed
/// by A, B and 3 more: add a Namespace object or set createNamespaces: true".
std::string missing_namespace_message(const std::string& name, const std::vector<std::string>& objects);

/// The Namespace createNamespaces makes for `pipeline`.
Value created_namespace(const std::string& name, const std::string& pipeline);

/// Creates the namespaces `names` for `pipeline` (server-side apply); a
/// refusal is an Error naming the namespace and the option.
Result<void> create_namespaces(KubeClient& client, const std::vector<std::string>& names, const std::string& pipeline,
                               std::size_t concurrency);

}  // namespace driftless::kube
