#include "events.hpp"

#include <driftless/toolkit/hash.hpp>

#include <unistd.h>

#include "kube_time.hpp"

namespace driftless::kube {
namespace {

constexpr std::size_t kMaxMessage = 1000;

std::string hostname() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return host;
}

// Messages from the API server may quote field values; a Secret's stay out of Events.
std::string event_message(const std::string& kind, const std::string& id, const std::string& reason,
                          const std::string& message) {
  if (kind == "Secret")
    return id + ": " + reason + " (the details are in the driftless log; Events never carry a Secret's content)";
  return message.size() > kMaxMessage ? message.substr(0, kMaxMessage - 3) + "..." : message;
}

}  // namespace

struct EventRecorder::Involved {
  std::string api_version;
  std::string kind;
  std::string namespace_name;
  std::string name;
  std::string uid;

  // Reads the live object at `path`; nullopt when it does not exist (or cannot be read).
  static std::optional<Involved> read(KubeClient& client, const std::string& path) {
    if (path.empty()) return std::nullopt;
    auto response = client.send(client.request("GET", path));
    if (!response.ok() || response->status != 200) return std::nullopt;
    auto live = parse_json(response->body);
    const Value* metadata = live.ok() ? live->find("metadata") : nullptr;
    if (!metadata) return std::nullopt;
    return Involved{live->string_or("apiVersion"), live->string_or("kind"), metadata->string_or("namespace"),
                    metadata->string_or("name"), metadata->string_or("uid")};
  }
};

bool EventRecorder::claim(const std::string& key) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  std::erase_if(recent_, [&](const auto& entry) { return now - entry.second >= kRepeatWindow; });
  return recent_.emplace(key, now).second;
}

void EventRecorder::record(Context& context, KubeClient& client, const ObjectFailure& failure,
                           const InventoryStore& inventory) {
  if (!claim(failure.entry.key() + "|" + failure.reason + "|" + failure.message)) return;
  const std::string message = event_message(failure.entry.kind, failure.entry.id(), failure.reason, failure.message);
  if (auto object = Involved::read(client, failure.path)) return emit(context, client, *object, failure.reason, message);
  // A new object that never got created: its pipeline's inventory carries the event.
  if (auto config_map = Involved::read(client, inventory.path()))
    emit(context, client, *config_map, failure.reason, message);
}

void EventRecorder::record_on_inventory(Context& context, KubeClient& client, const InventoryStore& inventory,
                                        const std::string& reason, const std::string& message) {
  if (!claim(inventory.id() + "|" + reason + "|" + message)) return;
  if (auto config_map = Involved::read(client, inventory.path()))
    emit(context, client, *config_map, reason, event_message("ConfigMap", inventory.id(), reason, message));
}

void EventRecorder::emit(Context& context, KubeClient& client, const Involved& involved, const std::string& reason,
                         const std::string& message) {
  // Events of cluster-scoped objects live in "default", as kubectl expects them.
  const std::string ns = involved.namespace_name.empty() ? "default" : involved.namespace_name;
  // One name per object, reason and message: a repeat finds the event and bumps its count.
  const std::string name = involved.name.substr(0, 200) + "." + sha256_hex(involved.uid + "|" + reason + "|" + message).substr(0, 16);
  const std::string path = "/api/v1/namespaces/" + ns + "/events/" + name;
  const auto now = std::chrono::system_clock::now();
  auto failed = [&](const std::string& why) {
    context.logger().warn("event not recorded", {{"object", involved.kind + "/" + involved.name}, {"reason", reason}, {"error", why}});
  };

  auto existing = client.send(client.request("GET", path));
  if (!existing.ok()) return failed(existing.error().message);
  if (existing->status == 200) {
    auto event = parse_json(existing->body);
    if (!event.ok()) return failed(event.error().message);
    const auto last = parse_rfc3339(event->string_or("lastTimestamp"));
    if (last && now - *last < kRepeatWindow) return;  // recorded moments ago (by this or another replica)
    const Value* count = event->find("count");
    Object patch;
    patch.set("count", (count && count->is_int() ? count->as_int() : 1) + 1);
    patch.set("lastTimestamp", rfc3339(now));
    auto bumped = client.send(client.request("PATCH", path, to_json(Value(std::move(patch))), "application/merge-patch+json"));
    if (!bumped.ok() || bumped->status != 200) failed(bumped.ok() ? api_message(*bumped) : bumped.error().message);
    return;
  }

  Object regarding;
  regarding.set("apiVersion", involved.api_version);
  regarding.set("kind", involved.kind);
  if (!involved.namespace_name.empty()) regarding.set("namespace", involved.namespace_name);
  regarding.set("name", involved.name);
  regarding.set("uid", involved.uid);
  Object metadata;
  metadata.set("name", name);
  metadata.set("namespace", ns);
  Object source;
  source.set("component", "driftless");
  Object event;
  event.set("apiVersion", "v1");
  event.set("kind", "Event");
  event.set("metadata", Value(std::move(metadata)));
  event.set("involvedObject", Value(std::move(regarding)));
  event.set("reason", reason);
  event.set("message", message);
  event.set("type", "Warning");
  event.set("count", std::int64_t{1});
  event.set("firstTimestamp", rfc3339(now));
  event.set("lastTimestamp", rfc3339(now));
  event.set("source", Value(std::move(source)));
  event.set("reportingComponent", "driftless");
  event.set("reportingInstance", hostname().substr(0, 128));
  auto created = client.send(client.request("POST", "/api/v1/namespaces/" + ns + "/events",
                                            to_json(Value(std::move(event))), "application/json"));
  if (!created.ok()) return failed(created.error().message);
  if (created->status != 201 && created->status != 409) failed(api_message(*created));
}

}  // namespace driftless::kube
