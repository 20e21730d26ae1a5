#include "watch.hpp"

#include <atomic>
#include <set>
#include <thread>

#include "ownership.hpp"

namespace driftless::kube {
namespace {

constexpr int kWatchSeconds = 240;
constexpr auto kRetryPause = std::chrono::seconds(1);
constexpr std::size_t kMaxEventBytes = 16u << 20;

// Called with the drifted object (of `state`) and a reason.
using Drift = std::function<void(const std::shared_ptr<const AppliedState>& state, const AppliedObject&, const std::string&)>;

class CollectionWatch {
 public:
  CollectionWatch(Context& context, KubeClient& client, std::shared_ptr<const AppliedState> state, std::string collection,
                  WatchedCollection what, Drift drift, const std::atomic<bool>& stop)
      : context_(context), client_(client), state_(std::move(state)), collection_(std::move(collection)),
        what_(std::move(what)), drift_(std::move(drift)), stop_(stop) {}

  void run() {
    while (!stopping()) {
      if (resource_version_.empty() && !relist()) {
        pause();
        continue;
      }
      if (!watch_once()) pause();
    }
  }

 private:
  bool stopping() const { return stop_.load() || context_.cancelled(); }

  void pause() {
    for (int i = 0; i < 10 && !stopping(); ++i) std::this_thread::sleep_for(kRetryPause / 10);
  }

  std::string key_of(const Value& metadata) const {
    // The collection path fixes group and kind; only namespace and name vary.
    return metadata.string_or("namespace") + "|" + metadata.string_or("name");
  }

  const AppliedObject* managed(const Value& metadata) const {
    auto it = mine_.find(key_of(metadata));
    return it == mine_.end() ? nullptr : it->second;
  }

  void check(const Value& live) {
    const Value* metadata = live.find("metadata");
    if (!metadata) return;
    const AppliedObject* object = managed(*metadata);
    if (!object) return;
    auto desired = parse_json(object->desired_json);
    if (desired.ok() && !still_in_sync(live, *desired, object->hash)) drift_(state_, *object, object->entry.id() + " was changed");
  }

  // Lists the collection: objects that vanished or drifted while nobody watched are drift too.
  bool relist() {
    mine_.clear();
    for (const auto& [key, object] : state_->objects)
      if (object.entry.kind == what_.kind && object.entry.namespace_name == what_.namespace_name)
        mine_[object.entry.namespace_name + "|" + object.entry.name] = &object;
    std::set<std::string> seen;
    std::string continue_token;
    do {
      HttpRequest r = client_.request("GET", managed_list_path(collection_, continue_token));
      r.headers.front().second = kMetadataAccept;
      auto response = client_.send(std::move(r));
      if (!response.ok() || response->status != 200) {
        context_.logger().debug("drift watch: list failed",
                                {{"collection", collection_},
                                 {"error", response.ok() ? api_message(*response) : response.error().message}});
        return false;
      }
      auto list = parse_json(response->body);
      if (!list.ok()) return false;
      if (continue_token.empty()) {
        const Value* rv = list->at_path({"metadata", "resourceVersion"});
        resource_version_ = rv && rv->is_string() ? rv->as_string() : "";
      }
      if (const Value* items = list->find("items"); items && items->is_array())
        for (const auto& live : items->as_array()) {
          if (const Value* metadata = live.find("metadata")) seen.insert(key_of(*metadata));
          check(live);
        }
      const Value* next = list->at_path({"metadata", "continue"});
      continue_token = next && next->is_string() ? next->as_string() : "";
    } while (!continue_token.empty());
    for (const auto& [key, object] : mine_)
      if (!seen.count(key)) drift_(state_, *object, object->entry.id() + " is missing");
    return !resource_version_.empty();
  }

  // One watch request; false when it failed (retry after a pause).
  bool watch_once() {
    std::string path = managed_list_path(collection_, "");
    path.replace(path.find("&limit="), std::string::npos, "");
    path += "&watch=1&allowWatchBookmarks=true&timeoutSeconds=" + std::to_string(kWatchSeconds) +
            "&resourceVersion=" + url_encode(resource_version_);
    HttpRequest r = client_.request("GET", path);
    r.headers.front().second = kMetadataWatchAccept;
    r.timeout = std::chrono::seconds(kWatchSeconds + 30);
    r.cancelled = [this] { return stopping(); };
    std::string buffer;
    bool gone = false;
    auto response = client_.stream(std::move(r), [&](std::string_view data) {
      buffer.append(data);
      if (buffer.size() > kMaxEventBytes) return false;
      for (auto nl = buffer.find('\n'); nl != std::string::npos; nl = buffer.find('\n')) {
        const std::string line = buffer.substr(0, nl);
        buffer.erase(0, nl + 1);
        if (!handle_event(line)) gone = true;
      }
      return !gone;
    });
    if (gone || (response.ok() && response->status == 410)) {
      // 410 Gone: the server no longer has events since our resourceVersion
      // (compacted, or an API server restarted); what happened meanwhile is
      // found by listing again.
      context_.logger().info("drift watch expired (410 Gone); listing again", {{"collection", collection_}});
      resource_version_.clear();
      return true;
    }
    if (!response.ok()) return stopping();
    return response->status == 200;
  }

  // False on 410 Gone.
  bool handle_event(const std::string& line) {
    auto event = parse_json(line);
    if (!event.ok()) return true;
    const std::string type = event->string_or("type");
    const Value* object = event->find("object");
    if (!object) return true;
    if (type == "ERROR") {
      const Value* code = object->find("code");
      return !(code && code->is_int() && code->as_int() == 410);
    }
    if (const Value* rv = object->at_path({"metadata", "resourceVersion"}); rv && rv->is_string())
      resource_version_ = rv->as_string();
    const Value* metadata = object->find("metadata");
    if (!metadata) return true;
    if (type == "DELETED") {
      if (const AppliedObject* mine = managed(*metadata)) drift_(state_, *mine, mine->entry.id() + " was deleted");
    } else if (type == "ADDED" || type == "MODIFIED") {
      check(*object);
    }
    return true;
  }

  Context& context_;
  KubeClient& client_;
  std::shared_ptr<const AppliedState> state_;
  std::string collection_;
  WatchedCollection what_;
  Drift drift_;
  const std::atomic<bool>& stop_;
  std::string resource_version_;
  std::map<std::string, const AppliedObject*> mine_;
};

}  // namespace

Result<void> watch_drift(Context& context, KubeClient& client, const AppliedStateSource& state, DriftMode mode,
                         const HealObject& heal, const DriftCallback& on_drift) {
  if (mode == DriftMode::off) return {};
  Drift drift = [&](const std::shared_ptr<const AppliedState>& snapshot, const AppliedObject& object,
                    const std::string& reason) {
    if (mode == DriftMode::report) {
      context.logger().warn("drift detected (drift: report, not healed)", {{"reason", reason}});
      return;
    }
    heal(snapshot, object);
    on_drift(reason);
  };
  while (!context.cancelled()) {
    auto snapshot = state();
    if (!snapshot) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (const auto& [collection, what] : snapshot->collections)
      threads.emplace_back([&, collection = collection, what = what] {
        CollectionWatch(context, client, snapshot, collection, what, drift, stop).run();
      });
    while (!context.cancelled() && state() == snapshot) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop = true;
    for (auto& t : threads) t.join();
  }
  return {};
}

}  // namespace driftless::kube
