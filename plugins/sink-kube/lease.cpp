#include "lease.hpp"

#include <cmath>

#include "inventory.hpp"
#include "kube_time.hpp"
#include "labels.hpp"

namespace driftless::kube {
namespace {

constexpr const char* kLeaseApi = "/apis/coordination.k8s.io/v1/namespaces/";

std::int64_t whole_seconds(std::chrono::milliseconds duration) {
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(static_cast<double>(duration.count()) / 1000.0)));
}

// Lease requests must answer well within the lease: a hanging renewal is a failed one.
HttpRequest lease_request(const KubeClient& client, const LeaseRequest& lease, std::string method, const std::string& path,
                          std::string body = {}) {
  const std::string content_type = body.empty() ? "" : "application/json";
  HttpRequest r = client.request(std::move(method), path, std::move(body), content_type);
  r.timeout = std::min(r.timeout, std::max(std::chrono::milliseconds(1000), lease.duration / 3));
  return r;
}

bool expired(const Value& spec, std::chrono::system_clock::time_point now) {
  if (spec.string_or("holderIdentity").empty()) return true;
  const auto renewed = parse_rfc3339(spec.string_or("renewTime"));
  const Value* seconds = spec.find("leaseDurationSeconds");
  if (!renewed || !seconds || !seconds->is_int()) return true;
  return *renewed + std::chrono::seconds(seconds->as_int()) < now;
}

}  // namespace

PipelineLease::PipelineLease(std::string namespace_name, const std::string& pipeline)
    : namespace_(std::move(namespace_name)), name_(pipeline_object_name("driftless-lease-", pipeline)), pipeline_(pipeline) {}

std::string PipelineLease::collection() const { return kLeaseApi + namespace_ + "/leases"; }

Result<std::optional<Value>> PipelineLease::read(KubeClient& client, const LeaseRequest& request) const {
  auto response = client.send(lease_request(client, request, "GET", path()));
  if (!response.ok()) return response.error();
  if (response->status == 404) return std::optional<Value>();
  if (response->status != 200) return api_error(*response, "reading " + id());
  auto lease = parse_json(response->body);
  if (!lease.ok()) return lease.error();
  return std::optional<Value>(std::move(*lease));
}

Result<bool> PipelineLease::replace(KubeClient& client, const LeaseRequest& request, const Value& lease) const {
  auto response = client.send(lease_request(client, request, "PUT", path(), to_json(lease)));
  if (!response.ok()) return response.error();
  if (response->status == 409) return false;  // another replica wrote first
  if (response->status != 200) return api_error(*response, "updating " + id());
  return true;
}

Result<bool> PipelineLease::hold(KubeClient& client, const LeaseRequest& request) const {
  const auto now = std::chrono::system_clock::now();
  auto current = read(client, request);
  if (!current.ok()) return current.error();
  if (!current->has_value()) {
    Object spec;
    spec.set("holderIdentity", request.holder);
    spec.set("leaseDurationSeconds", whole_seconds(request.duration));
    spec.set("acquireTime", rfc3339_micro(now));
    spec.set("renewTime", rfc3339_micro(now));
    spec.set("leaseTransitions", std::int64_t{0});
    Object lease;
    lease.set("apiVersion", "coordination.k8s.io/v1");
    lease.set("kind", "Lease");
    lease.set("metadata", pipeline_object_metadata(name_, namespace_, {kManagedByLabel, kManagedByValue},
                                                   {"driftless.dev/lease-of", pipeline_}));
    lease.set("spec", Value(std::move(spec)));
    auto response = client.send(lease_request(client, request, "POST", collection(), to_json(Value(std::move(lease)))));
    if (!response.ok()) return response.error();
    if (response->status == 409) return false;  // another replica created it first
    if (response->status == 404)
      return fail(ErrorCode::not_found, "cannot create " + id() + ": namespace '" + namespace_ +
                                            "' does not exist; create it or set leaseNamespace to one that does");
    if (response->status != 201) return api_error(*response, "creating " + id());
    return true;
  }
  Value lease = std::move(**current);
  Value& spec = lease.as_object()["spec"];
  if (!spec.is_object()) spec = Value(Object());
  const bool ours = spec.string_or("holderIdentity") == request.holder;
  if (!ours && !expired(spec, now)) return false;
  if (!ours) {
    const Value* transitions = spec.find("leaseTransitions");
    spec.as_object().set("leaseTransitions", (transitions && transitions->is_int() ? transitions->as_int() : 0) + 1);
    spec.as_object().set("acquireTime", rfc3339_micro(now));
  }
  spec.as_object().set("holderIdentity", request.holder);
  spec.as_object().set("leaseDurationSeconds", whole_seconds(request.duration));
  spec.as_object().set("renewTime", rfc3339_micro(now));
  // The PUT carries the resourceVersion we read: of two replicas taking over
  // the same expired lease, the API server accepts only the first write.
  return replace(client, request, lease);
}

Result<void> PipelineLease::release(KubeClient& client, const LeaseRequest& request) const {
  auto current = read(client, request);
  if (!current.ok()) return current.error();
  if (!current->has_value()) return {};
  Value lease = std::move(**current);
  const Value* holder = lease.find("spec");
  if (!holder || holder->string_or("holderIdentity") != request.holder) return {};
  Object& spec = lease.as_object()["spec"].as_object();
  spec.erase("holderIdentity");
  spec.set("leaseDurationSeconds", std::int64_t{1});
  spec.set("renewTime", rfc3339_micro(std::chrono::system_clock::now()));
  auto replaced = replace(client, request, lease);
  if (!replaced.ok()) return replaced.error();
  return {};
}

}  // namespace driftless::kube
