#include "lease.hpp"

#include <algorithm>
#include <cmath>

#include "inventory.hpp"
#include "kube_time.hpp"
#include "labels.hpp"

namespace driftless::kube {
namespace {

constexpr const char* kLeaseApi = "/apis/coordination.k8s.io/v1/namespaces/";
constexpr const char* kMemberLabel = "driftless.dev/member";
// More replicas than this in one namespace is a mistake (a shared leaseNamespace); say so instead of reading on.
constexpr int kMaxMembers = 1000;

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

// When the lease runs out: renewTime + leaseDurationSeconds; nullopt when it has no holder (free now).
std::optional<std::chrono::system_clock::time_point> expiry(const Value& spec) {
  if (spec.string_or("holderIdentity").empty()) return std::nullopt;
  const auto renewed = parse_rfc3339(spec.string_or("renewTime"));
  const Value* seconds = spec.find("leaseDurationSeconds");
  if (!renewed || !seconds || !seconds->is_int()) return std::nullopt;
  return *renewed + std::chrono::seconds(seconds->as_int());
}

// DELETE with a resourceVersion precondition: a Lease written since it was read stays (409).
Result<HttpResponse> delete_unchanged(KubeClient& client, const LeaseRequest& lease, const std::string& path,
                                      const Value& metadata) {
  Object preconditions;
  preconditions.set("resourceVersion", metadata.string_or("resourceVersion"));
  Object options;
  options.set("preconditions", Value(std::move(preconditions)));
  return client.send(lease_request(client, lease, "DELETE", path, to_json(Value(std::move(options)))));
}

bool expired(const Value& spec, std::chrono::system_clock::time_point now) {
  const auto until = expiry(spec);
  return !until || *until < now;
}

}  // namespace

KubeLease::KubeLease(std::string namespace_name, std::string name, Value metadata)
    : namespace_(std::move(namespace_name)), name_(std::move(name)), metadata_(std::move(metadata)) {}

PipelineLease::PipelineLease(std::string namespace_name, const std::string& pipeline)
    : KubeLease(namespace_name, pipeline_object_name("driftless-lease-", pipeline),
                pipeline_object_metadata(pipeline_object_name("driftless-lease-", pipeline), namespace_name,
                                         {kManagedByLabel, kManagedByValue}, {"driftless.dev/lease-of", pipeline})) {}

MemberLease::MemberLease(std::string namespace_name, const std::string& holder)
    : KubeLease(namespace_name, pipeline_object_name("driftless-member-", holder),
                pipeline_object_metadata(pipeline_object_name("driftless-member-", holder), namespace_name,
                                         {kMemberLabel, "true"}, {"driftless.dev/member", holder})) {}

std::string KubeLease::collection() const { return kLeaseApi + namespace_ + "/leases"; }

Result<std::optional<Value>> KubeLease::read(KubeClient& client, const LeaseRequest& request) const {
  auto response = client.send(lease_request(client, request, "GET", path()));
  if (!response.ok()) return response.error();
  if (response->status == 404) return std::optional<Value>();
  if (response->status != 200) return api_error(*response, "reading " + id());
  auto lease = parse_json(response->body);
  if (!lease.ok()) return lease.error();
  return std::optional<Value>(std::move(*lease));
}

Result<bool> KubeLease::replace(KubeClient& client, const LeaseRequest& request, const Value& lease) const {
  auto response = client.send(lease_request(client, request, "PUT", path(), to_json(lease)));
  if (!response.ok()) return response.error();
  if (response->status == 409) return false;  // another replica wrote first
  if (response->status != 200) return api_error(*response, "updating " + id());
  return true;
}

Result<bool> KubeLease::hold(KubeClient& client, const LeaseRequest& request) const {
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
    lease.set("metadata", metadata_);
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

Result<void> KubeLease::release(KubeClient& client, const LeaseRequest& request) const {
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

Result<std::vector<std::string>> MemberLease::members(KubeClient& client, const LeaseRequest& request) const {
  auto held = hold(client, request);
  if (!held.ok()) return held.error();
  // Only a write racing ours (another replica deleting it as expired) gets here; the next round tries again.
  if (!*held) return fail(ErrorCode::unavailable, "another write to " + id() + " came first; renewing it next round");
  const std::string list = collection() + "?labelSelector=" + url_encode(std::string(kMemberLabel) + "=true") +
                           "&limit=" + std::to_string(kMaxMembers);
  auto response = client.send(lease_request(client, request, "GET", list));
  if (!response.ok()) return response.error();
  if (response->status != 200) return api_error(*response, "listing the member Leases in namespace '" + namespace_ + "'");
  auto leases = parse_json(response->body);
  if (!leases.ok()) return leases.error();
  if (const Value* meta = leases->find("metadata"); meta && !meta->string_or("continue").empty())
    return fail(ErrorCode::invalid_input, "more than " + std::to_string(kMaxMembers) + " member Leases in namespace '" +
                                              namespace_ + "'; give each fleet of replicas a leaseNamespace of its own");
  const auto now = std::chrono::system_clock::now();
  std::vector<std::string> live;
  const Value* items = leases->find("items");
  for (const Value& lease : items && items->is_array() ? items->as_array() : Array()) {
    const Value* spec = lease.find("spec");
    const auto until = spec ? expiry(*spec) : std::nullopt;
    if (until && *until >= now) {
      live.push_back(spec->string_or("holderIdentity"));
      continue;
    }
    // Expired for a whole duration: its replica is gone. The precondition
    // spares a lease renewed since we read it (its replica was only slow).
    const Value* meta = lease.find("metadata");
    if (!meta || (until && now - *until < request.duration)) continue;
    // Best effort: every replica tries again next round.
    (void)delete_unchanged(client, request, collection() + "/" + meta->string_or("name"), *meta);
  }
  std::sort(live.begin(), live.end());
  live.erase(std::unique(live.begin(), live.end()), live.end());
  return live;
}

Result<void> MemberLease::leave(KubeClient& client, const LeaseRequest& request) const {
  auto current = read(client, request);
  if (!current.ok()) return current.error();
  if (!current->has_value()) return {};
  const Value* spec = (**current).find("spec");
  const Value* meta = (**current).find("metadata");
  if (!spec || !meta || spec->string_or("holderIdentity") != request.holder) return {};
  auto response = delete_unchanged(client, request, path(), *meta);
  if (!response.ok()) return response.error();
  if (response->status != 200 && response->status != 404 && response->status != 409)
    return api_error(*response, "deleting " + id());
  return {};
}

}  // namespace driftless::kube
