#include "watch.hpp"

#include <algorithm>
#include <atomic>
#include <thread>

#include "ownership.hpp"

namespace driftless::kube {
namespace {

constexpr int kWatchSeconds = 240;
constexpr auto kRetryPause = std::chrono::seconds(1);
constexpr std::size_t kMaxEventBytes = 16u << 20;
constexpr std::size_t kFullPageSize = 250;  // whole objects per page of a list, so a page stays a few MiB

// "group|Kind" and the namespace of an InventoryEntry::key() "group|Kind|namespace|name".
std::pair<std::string, std::string> kind_and_namespace(const std::string& key) {
  const auto kind_end = key.find('|', key.find('|') + 1);
  const auto namespace_end = key.find('|', kind_end + 1);
  if (kind_end == std::string::npos || namespace_end == std::string::npos) return {};
  return {key.substr(0, kind_end), key.substr(kind_end + 1, namespace_end - kind_end - 1)};
}

}  // namespace

class DriftWatcher::Subscriber {
 public:
  Subscriber(Logger& logger, OnDrift on_drift, std::function<void()> on_answer)
      : logger_(logger), on_drift_(std::move(on_drift)), on_answer_(std::move(on_answer)) {}

  std::shared_ptr<const AppliedState> state() const {
    std::lock_guard lock(state_mutex_);
    return state_;
  }

  // `followed_at`: DriftWatcher::follows_ once this state is followed.
  void set_state(std::shared_ptr<const AppliedState> state, std::uint64_t followed_at) {
    std::lock_guard lock(state_mutex_);
    state_ = std::move(state);
    followed_at_ = followed_at;
  }

  // Checks `key` against the current state and reports drift. Holds call_mutex_
  // so that end() waits for a report in progress. A list sent before a sync
  // published this state may show the object as it was before that sync's
  // writes (`seen_at` older than the state): it is read again before it counts
  // as drift, and skipped when that read gets no answer (the next reconcile
  // checks it).
  void check(const std::string& key, const Value* live, const std::string& reason, std::uint64_t seen_at,
             DriftWatcher& watcher) {
    std::lock_guard lock(call_mutex_);
    if (ended_) return;
    std::shared_ptr<const AppliedState> snapshot;
    std::uint64_t followed_at = 0;
    {
      std::lock_guard state_lock(state_mutex_);
      snapshot = state_;
      followed_at = followed_at_;
    }
    if (!snapshot) return;
    auto it = snapshot->objects.find(key);
    if (it == snapshot->objects.end()) return;
    const AppliedObject& object = it->second;
    if (live && still_in_sync(*live, object.desired->body, object.hash)) return;
    std::optional<Value> now;
    if (seen_at < followed_at) {
      now = watcher.read_again(object.path);
      if (!now) return;
      live = now->is_null() ? nullptr : &*now;
      if (live && still_in_sync(*live, object.desired->body, object.hash)) return;
    }
    on_drift_(snapshot, object, live, object.entry.id() + reason);
  }

  void answered() {
    std::lock_guard lock(call_mutex_);
    if (!ended_) on_answer_();
  }

  void end() {
    std::lock_guard lock(call_mutex_);
    ended_ = true;
  }

  Logger& logger() { return logger_; }
  std::set<std::string> paths;  // the watches it uses (DriftWatcher::mutex_)

 private:
  Logger& logger_;
  const OnDrift on_drift_;
  const std::function<void()> on_answer_;
  mutable std::mutex state_mutex_;
  std::shared_ptr<const AppliedState> state_;
  std::uint64_t followed_at_ = 0;
  std::mutex call_mutex_;
  bool ended_ = false;
};

// Who waits for the states of some objects (LiveStates::observe), until destroyed.
class DriftWatcher::Observer : public LiveStates::Interest {
 public:
  Observer(DriftWatcher& owner, std::vector<std::string> keys, OnObserved on_observed)
      : owner_(owner), keys_(std::move(keys)), on_observed_(std::move(on_observed)) {}

  ~Observer() override {
    std::lock_guard lock(owner_.mutex_);
    for (const auto& key : keys_) {
      auto [first, last] = owner_.observers_.equal_range(key);
      for (auto it = first; it != last;) it = it->second == this ? owner_.observers_.erase(it) : std::next(it);
    }
  }

  void tell(const std::string& key, const Observation& observation) const { on_observed_(key, observation); }

 private:
  DriftWatcher& owner_;
  const std::vector<std::string> keys_;
  const OnObserved on_observed_;
};

// One list-then-watch loop on one collection, on its own thread: metadata
// only, or whole objects for the kinds watched_in_full().
class DriftWatcher::Watch {
 public:
  Watch(DriftWatcher& owner, ResourceType type, std::string namespace_name)
      : owner_(owner), type_(std::move(type)), namespace_(std::move(namespace_name)),
        collection_(namespace_.empty() ? type_.all_namespaces() : type_.collection(namespace_)),
        full_(watched_in_full(type_.kind)), thread_([this] { run(); }) {}

  ~Watch() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  void stop() { stop_ = true; }
  const ResourceType& type() const { return type_; }
  const std::string& namespace_name() const { return namespace_; }
  bool full() const { return full_; }
  // "group|Kind|" (or "group|Kind|namespace|"): the start of the keys of the objects it sees.
  std::string key_prefix() const { return type_.kind_key() + "|" + (namespace_.empty() ? "" : namespace_ + "|"); }
  std::size_t users = 0;

 private:
  void run() {
    owner_.log(LogLevel::info, "drift watch started", {{"collection", collection_}});
    while (!stop_) {
      if ((resource_version_.empty() && !relist()) || (unanswered_ && !probe())) {
        pause();
        continue;
      }
      if (!watch_once()) pause();
    }
  }

  // Notes whether the cluster answered `response`; an answer after none is news for the subscribers.
  void note(const Result<HttpResponse>& response) {
    if (stop_) return;
    if (ApiAnswer::of(response).cluster_unavailable()) {
      unanswered_ = true;
    } else if (unanswered_) {
      unanswered_ = false;
      owner_.log(LogLevel::info, "drift watch: the cluster answers again", {{"collection", collection_}});
      owner_.answers_again();
    }
  }

  // After the cluster could not answer: one small list, so that its recovery is
  // noticed at once rather than at the watch's first event.
  bool probe() {
    std::string path = managed_list_path(collection_, "");
    path.replace(path.find("&limit="), std::string::npos, "&limit=1");
    KubeClient& client = owner_.cluster_->client();
    HttpRequest r = client.request("GET", path);
    r.headers.front().second = kMetadataAccept;
    auto response = client.send(std::move(r));
    note(response);
    return !unanswered_;
  }

  void pause() {
    for (int i = 0; i < 10 && !stop_; ++i) std::this_thread::sleep_for(kRetryPause / 10);
  }

  std::string key_of(const Value& metadata) const {
    return type_.kind_key() + "|" + metadata.string_or("namespace") + "|" + metadata.string_or("name");
  }

  // Lists the collection: objects that vanished or drifted while nobody watched are drift too.
  bool relist() {
    std::set<std::string> seen;
    std::string continue_token;
    std::string resource_version;
    const std::uint64_t listed_at = owner_.follows_.load();
    do {
      KubeClient& client = owner_.cluster_->client();
      HttpRequest r = client.request("GET", managed_list_path(collection_, continue_token, full_ ? kFullPageSize : kListPageSize));
      if (!full_) r.headers.front().second = kMetadataAccept;
      auto response = client.send(std::move(r));
      note(response);
      if (response.ok() && response->status == 403 && namespace_.empty()) {
        owner_.deny_cluster_wide(type_.kind_key());
        stop_ = true;
        return false;
      }
      if (!response.ok() || response->status != 200) {
        owner_.log(LogLevel::debug, "drift watch: list failed",
                   {{"collection", collection_},
                    {"error", response.ok() ? api_message(*response) : response.error().message}});
        return false;
      }
      auto list = parse_json(response->body);
      if (!list.ok()) return false;
      if (continue_token.empty()) {
        const Value* rv = list->at_path({"metadata", "resourceVersion"});
        resource_version = rv && rv->is_string() ? rv->as_string() : "";
      }
      if (const Value* items = list->find("items"); items && items->is_array())
        for (const auto& live : items->as_array())
          if (const Value* metadata = live.find("metadata")) {
            seen.insert(key_of(*metadata));
            if (full_) owner_.observed(key_of(*metadata), type_.kind, &live);
            owner_.dispatch(key_of(*metadata), &live, " was changed", listed_at);
          }
      const Value* next = list->at_path({"metadata", "continue"});
      continue_token = next && next->is_string() ? next->as_string() : "";
    } while (!continue_token.empty() && !stop_);
    owner_.report_missing(*this, seen, listed_at);
    resource_version_ = resource_version;
    return !resource_version_.empty();
  }

  // One watch request; false when it failed (retry after a pause).
  bool watch_once() {
    std::string path = managed_list_path(collection_, "");
    path.replace(path.find("&limit="), std::string::npos, "");
    path += "&watch=1&allowWatchBookmarks=true&timeoutSeconds=" + std::to_string(kWatchSeconds) +
            "&resourceVersion=" + url_encode(resource_version_);
    KubeClient& client = owner_.cluster_->client();
    HttpRequest r = client.request("GET", path);
    if (!full_) r.headers.front().second = kMetadataWatchAccept;
    r.timeout = std::chrono::seconds(kWatchSeconds + 30);
    r.cancelled = [this] { return stop_.load(); };
    std::string buffer;
    bool gone = false;
    auto response = client.stream(std::move(r), [&](std::string_view data) {
      buffer.append(data);
      if (buffer.size() > kMaxEventBytes) return false;
      std::size_t start = 0;
      for (auto nl = buffer.find('\n'); nl != std::string::npos && !gone; nl = buffer.find('\n', start)) {
        if (!handle_event(std::string_view(buffer).substr(start, nl - start))) gone = true;
        start = nl + 1;
      }
      buffer.erase(0, start);
      return !gone;
    });
    if (gone || (response.ok() && response->status == 410)) {
      // 410 Gone: the server no longer has events since our resourceVersion
      // (compacted, or an API server restarted); what happened meanwhile is
      // found by listing again.
      owner_.log(LogLevel::info, "drift watch expired (410 Gone); listing again", {{"collection", collection_}});
      resource_version_.clear();
      return true;
    }
    note(response);
    if (!response.ok()) return stop_.load();
    return response->status == 200;
  }

  // False on 410 Gone.
  bool handle_event(std::string_view line) {
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
      if (full_) owner_.observed(key_of(*metadata), type_.kind, nullptr);
      owner_.dispatch(key_of(*metadata), nullptr, " was deleted");
    } else if (type == "ADDED" || type == "MODIFIED") {
      if (full_) owner_.observed(key_of(*metadata), type_.kind, object);
      owner_.dispatch(key_of(*metadata), object, " was changed");
    }
    return true;
  }

  DriftWatcher& owner_;
  const ResourceType type_;
  const std::string namespace_;  // "" = all namespaces (or a cluster-scoped type)
  const std::string collection_;
  const bool full_;  // whole objects, not metadata only
  std::atomic<bool> stop_{false};
  std::string resource_version_;
  bool unanswered_ = false;  // the last request got no answer from the cluster
  std::thread thread_;  // last: starts once the rest is set
};

std::shared_ptr<DriftWatcher> DriftWatcher::of(const std::shared_ptr<Cluster>& cluster) {
  static std::mutex mutex;
  static std::map<const Cluster*, std::weak_ptr<DriftWatcher>> watchers;
  std::lock_guard lock(mutex);
  std::weak_ptr<DriftWatcher>& slot = watchers[cluster.get()];
  if (auto watcher = slot.lock()) return watcher;
  auto watcher = std::make_shared<DriftWatcher>(cluster);
  slot = watcher;
  return watcher;
}

DriftWatcher::DriftWatcher(std::shared_ptr<Cluster> cluster) : cluster_(std::move(cluster)) {}

DriftWatcher::~DriftWatcher() {
  std::map<std::string, std::unique_ptr<Watch>> watches;
  {
    std::lock_guard lock(mutex_);
    watches.swap(watches_);
  }
  for (auto& [path, watch] : watches) watch->stop();
  watches.clear();
  reap();
}

std::shared_ptr<DriftWatcher::Subscriber> DriftWatcher::subscribe(Logger& logger, OnDrift on_drift,
                                                                  std::function<void()> on_answer) {
  auto subscriber = std::make_shared<Subscriber>(logger, std::move(on_drift), std::move(on_answer));
  std::lock_guard lock(mutex_);
  subscribers_.insert(subscriber);
  return subscriber;
}

void DriftWatcher::follow(const std::shared_ptr<Subscriber>& subscriber, std::shared_ptr<const AppliedState> state) {
  {
    std::lock_guard lock(mutex_);
    if (!subscribers_.count(subscriber)) return;
    const auto old = subscriber->state();
    if (old == state) return;
    if (old)
      for (const auto& [key, object] : old->objects)
        if (auto it = by_object_.find(key); it != by_object_.end() && it->second == subscriber) by_object_.erase(it);
    if (state)
      for (const auto& [key, object] : state->objects) by_object_[key] = subscriber;
    subscriber->set_state(state, ++follows_);
    rewatch(*subscriber, state.get());
  }
  reap();
}

void DriftWatcher::unsubscribe(const std::shared_ptr<Subscriber>& subscriber) {
  subscriber->end();
  follow(subscriber, nullptr);
  std::lock_guard lock(mutex_);
  subscribers_.erase(subscriber);
}

void DriftWatcher::dispatch(const std::string& key, const Value* live, const std::string& reason, std::uint64_t seen_at) {
  std::shared_ptr<Subscriber> subscriber;
  {
    std::lock_guard lock(mutex_);
    auto it = by_object_.find(key);
    if (it == by_object_.end()) return;
    subscriber = it->second;
  }
  subscriber->check(key, live, reason, seen_at, *this);
}

std::optional<Value> DriftWatcher::read_again(const std::string& path) {
  auto response = cluster_->client().send(cluster_->client().request("GET", path));
  if (!response.ok()) return std::nullopt;
  if (response->status == 404) return Value();
  if (response->status != 200) return std::nullopt;
  auto live = parse_json(response->body);
  if (!live.ok()) return std::nullopt;
  return std::move(*live);
}

void DriftWatcher::answers_again() {
  std::set<std::shared_ptr<Subscriber>> subscribers;
  {
    std::lock_guard lock(mutex_);
    subscribers = subscribers_;
  }
  for (const auto& subscriber : subscribers) subscriber->answered();
}

void DriftWatcher::report_missing(const Watch& watch, const std::set<std::string>& seen, std::uint64_t listed_at) {
  std::vector<std::pair<std::string, std::shared_ptr<Subscriber>>> missing;
  {
    const std::string prefix = watch.key_prefix();
    std::lock_guard lock(mutex_);
    for (auto it = by_object_.lower_bound(prefix); it != by_object_.end() && it->first.starts_with(prefix); ++it)
      if (!seen.count(it->first)) missing.emplace_back(it->first, it->second);
    for (auto it = observed_.lower_bound(prefix); it != observed_.end() && it->first.starts_with(prefix);)
      it = seen.count(it->first) ? std::next(it) : observed_.erase(it);
  }
  for (const auto& [key, subscriber] : missing) subscriber->check(key, nullptr, " is missing", listed_at, *this);
}

std::unique_ptr<LiveStates::Interest> DriftWatcher::observe(const std::vector<std::string>& keys, OnObserved on_observed,
                                                          std::vector<bool>& covered,
                                                          std::vector<std::optional<Observation>>& last) {
  auto observer = std::make_unique<Observer>(*this, keys, std::move(on_observed));
  covered.assign(keys.size(), false);
  last.assign(keys.size(), std::nullopt);
  std::lock_guard lock(mutex_);
  for (std::size_t k = 0; k < keys.size(); ++k) {
    const auto [kind_key, namespace_name] = kind_and_namespace(keys[k]);
    covered[k] = std::any_of(watches_.begin(), watches_.end(), [&](const auto& entry) {
      const Watch& watch = *entry.second;
      return watch.full() && watch.type().kind_key() == kind_key &&
             (watch.namespace_name().empty() || watch.namespace_name() == namespace_name);
    });
    if (!covered[k]) continue;
    observers_.emplace(keys[k], observer.get());
    if (auto it = observed_.find(keys[k]); it != observed_.end()) last[k] = it->second;
  }
  return observer;
}

void DriftWatcher::observed(const std::string& key, const std::string& kind, const Value* live) {
  std::lock_guard lock(mutex_);
  // A deleted object tells nothing: who waits for it reads it again in a while (a heal recreates it).
  if (!live) {
    observed_.erase(key);
    return;
  }
  Observation observation = Observation::of(*live, kind);
  auto [first, last] = observers_.equal_range(key);
  for (auto it = first; it != last; ++it) it->second->tell(key, observation);
  observed_[key] = std::move(observation);
}

void DriftWatcher::forget_observed(const std::string& prefix) {
  for (auto it = observed_.lower_bound(prefix); it != observed_.end() && it->first.starts_with(prefix);)
    it = observed_.erase(it);
}

void DriftWatcher::deny_cluster_wide(const std::string& kind_key) {
  {
    std::lock_guard lock(mutex_);
    if (!namespaced_only_.insert(kind_key).second) return;
    for (const auto& subscriber : subscribers_) rewatch(*subscriber, subscriber->state().get());
  }
  log(LogLevel::info, "drift watch: not allowed to watch across namespaces; watching each namespace",
      {{"kind", kind_key.substr(kind_key.find('|') + 1)}});
}

void DriftWatcher::log(LogLevel level, std::string_view message, const LogFields& fields) {
  // A subscriber's logger stays valid while it is subscribed: log under the lock.
  std::lock_guard lock(mutex_);
  if (!subscribers_.empty()) (*subscribers_.begin())->logger().log(level, message, fields);
}

std::map<std::string, DriftWatcher::Collection> DriftWatcher::collections_of(const AppliedState* state) const {
  std::map<std::string, Collection> collections;
  if (!state) return collections;
  for (const auto& [key, object] : state->objects) {
    auto type = state->types.find(object.entry.kind_key());
    if (type == state->types.end()) continue;
    const ResourceType& t = type->second;
    if (t.namespaced && namespaced_only_.count(type->first))
      collections.emplace(t.collection(object.entry.namespace_name), Collection{t, object.entry.namespace_name});
    else
      collections.emplace(t.all_namespaces(), Collection{t, ""});
  }
  return collections;
}

void DriftWatcher::rewatch(Subscriber& subscriber, const AppliedState* state) {
  // Counted up before down, so a collection the subscriber keeps is never stopped and started again.
  const auto wanted = collections_of(state);
  for (const auto& [path, collection] : wanted) {
    auto it = watches_.find(path);
    if (it == watches_.end())
      it = watches_.emplace(path, std::make_unique<Watch>(*this, collection.type, collection.namespace_name)).first;
    ++it->second->users;
  }
  for (const auto& path : subscriber.paths) {
    auto it = watches_.find(path);
    if (it == watches_.end() || --it->second->users > 0) continue;
    it->second->stop();
    forget_observed(it->second->key_prefix());
    retired_.push_back(std::move(it->second));
    watches_.erase(it);
  }
  subscriber.paths.clear();
  for (const auto& [path, collection] : wanted) subscriber.paths.insert(path);
}

void DriftWatcher::reap() {
  std::vector<std::unique_ptr<Watch>> done;
  {
    std::lock_guard lock(mutex_);
    done.swap(retired_);
  }
  done.clear();  // joins
}

}  // namespace driftless::kube
