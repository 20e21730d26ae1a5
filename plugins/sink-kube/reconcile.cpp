#include "reconcile.hpp"

#include <driftless/toolkit/diff.hpp>
#include <driftless/toolkit/hash.hpp>

#include <algorithm>
#include <array>
#include <deque>

#include "health.hpp"
#include "hook_run.hpp"
#include "labels.hpp"
#include "namespaces.hpp"
#include "ownership.hpp"

namespace driftless::kube {
namespace {

constexpr const char* kPruneAnnotation = "driftless.dev/prune";
constexpr std::size_t kRequestChunk = 1000;
constexpr std::size_t kListsAtOnce = 8;  // pages of up to kListPageSize items each in memory at once
// Items per page of a list of whole objects (a diff reads their health): at
// most 1.5 MiB each (etcd's limit), a page stays within a response's 64 MiB.
constexpr std::size_t kFullListPageSize = 40;
constexpr int kDiscoveryAttempts = 6;    // reads of discovery until a new CRD's kind is served
constexpr auto kDiscoveryPause = std::chrono::milliseconds(250);  // times the attempt: 0.25 s ... 1.25 s, 3.75 s in all

// Apply order; pruning runs it backwards (custom resources before their CRDs,
// namespaces last).
enum Stage { kNamespaces, kDefinitions, kClusterWide, kRest, kStageCount };

Stage stage_of(const std::string& kind, bool namespaced) {
  if (kind == "Namespace") return kNamespaces;
  if (kind == "CustomResourceDefinition") return kDefinitions;
  // Webhooks go last: they could reject the rest while their service is not up.
  if (kind == "MutatingWebhookConfiguration" || kind == "ValidatingWebhookConfiguration") return kRest;
  return namespaced ? kRest : kClusterWide;
}

// Custom resources usually report a Ready condition; built-in kinds without a
// rollout (ConfigMaps, Services, RBAC, ...) have no health to wait for.
bool may_have_ready(const ResourceType& type) {
  const std::string group = type.group();
  const bool builtin = group.find('.') == std::string::npos || group.ends_with(".k8s.io");
  return !builtin;
}

// Kinds whose health their status tells; the others are ready once they exist.
bool has_health(const ResourceType& type) {
  return has_rollout(type.kind) || type.kind == "Pod" || may_have_ready(type);
}

// One desired object on its way into the cluster. The body to apply is built
// only for objects that need a write: most of a large set is unchanged.
struct Item {
  const KubeObject* source = nullptr;
  std::string hash;
  ResourceType type;
  bool type_from_crd = false;  // served only once a CRD of this set is established
  InventoryEntry entry;
  int wave = 0;  // argocd.argoproj.io/sync-wave: lower waves are applied (and healthy) first
  Stage stage = kRest;
  bool listed = false;  // the list of managed objects has it
  bool in_sync = false;
  std::string owner;  // the live object's pipeline label
  ChangeAction action = ChangeAction::unchanged;
  std::int64_t generation = 0;  // metadata.generation the apply answered with (kinds with a rollout)
  std::string health;  // of the live object, in a diff (ObjectChange::health)

  std::string path() const { return type.object_path(entry.namespace_name, entry.name); }
};

// What the lists say about an inventory entry that left the desired set.
struct LiveLeftover {
  InventoryEntry entry;
  ResourceType type;
  std::string owner;
  bool prune_disabled = false;
};

// Live or dry-run objects without what the server adds, for readable diffs.
Value for_diff(Value object) {
  if (!object.is_object()) return object;
  object.as_object().erase("status");
  if (Value* m = object.find("metadata"); m && m->is_object()) {
    for (const char* field : {"managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink"})
      m->as_object().erase(field);
    if (Value* a = m->find("annotations"); a && a->is_object()) {
      a->as_object().erase(kHashAnnotation);
      a->as_object().erase("kubectl.kubernetes.io/last-applied-configuration");
      a->as_object().erase("deployment.kubernetes.io/revision");
      if (a->as_object().empty()) m->as_object().erase("annotations");
    }
  }
  return object;
}

class Reconciler {
 public:
  Reconciler(Context& context, SyncServices services, const SinkRequest& request)
      : context_(context), s_(services), request_(request), apply_(request.mode == SinkMode::apply) {}

  SinkReport run() {
    const RequestTally tally;
    const auto started = std::chrono::steady_clock::now();
    if (plan() && read_live() && check_owners() && find_absent_namespaces()) {
      if (apply_) apply_and_prune();
      else diff();
    }
    context_.logger().info(apply_ ? "apply finished" : "diff finished",
                           {{"objects", std::to_string(items_.size())},
                            {"reads", std::to_string(tally.counts().reads)},
                            {"writes", std::to_string(tally.counts().writes)},
                            {"dry_runs", std::to_string(tally.counts().dry_runs)},
                            {"retries", std::to_string(tally.counts().retries)},
                            {"duration_ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                               std::chrono::steady_clock::now() - started)
                                                               .count())}});
    return std::move(report_);
  }

 private:
  void error(const Item& item, std::string message, const char* reason = kApplyFailed) {
    const bool known_type = !item.type.resource.empty();
    s_.failures.push_back({item.entry, known_type ? item.path() : "", reason, message});
    report_.diagnostics.push_back({Severity::error, std::move(message), item.source->origin.file,
                                   item.source->origin.line, item.entry.name.empty() ? item.source->id() : item.entry.id()});
  }
  void error(std::string message) { report_.diagnostics.push_back({Severity::error, std::move(message), {}, 0, {}}); }
  bool failed() const { return has_errors(report_.diagnostics); }

  // Kinds that CRDs of this very set define, for objects applied with them.
  std::map<std::string, ResourceType> kinds_from_crds() const {
    std::map<std::string, ResourceType> kinds;
    for (const auto& object : request_.objects) {
      if (object.kind() != "CustomResourceDefinition") continue;
      const Value& spec = object.body.find("spec") ? *object.body.find("spec") : Value();
      const std::string group = spec.string_or("group");
      const Value* names = spec.find("names");
      const Value* versions = spec.find("versions");
      if (!names || !versions || !versions->is_array()) continue;
      for (const auto& v : versions->as_array()) {
        ResourceType t{group + "/" + v.string_or("name"), names->string_or("kind"), names->string_or("plural"),
                       spec.string_or("scope") == "Namespaced"};
        kinds.emplace(t.group_version + "|" + t.kind, t);
      }
    }
    return kinds;
  }

  Value applied_body(const Item& item) const {
    return applied_object(item.source->body, s_.pipeline, item.entry.namespace_name, item.type.namespaced, item.hash);
  }

  // The hash the last apply computed for this very object: the core hands
  // the same render result again when nothing changed (its render cache),
  // so a no-op reconcile of 10,000 objects hashes none of them.
  const std::string* known_hash(const Item& item) const {
    if (!s_.applied || !request_.shared_objects || s_.applied->desired != request_.shared_objects) return nullptr;
    auto it = s_.applied->objects.find(item.entry.key());
    if (it == s_.applied->objects.end() || it->second.desired != item.source ||
        it->second.namespaced != item.type.namespaced)
      return nullptr;
    return &it->second.hash;
  }

  bool plan() {
    const auto crd_kinds = kinds_from_crds();
    items_.reserve(request_.objects.size());
    for (const auto& object : request_.objects) {
      Item item;
      item.source = &object;
      const hooks::SyncRole role = hooks::sync_role(object);
      if (!role.error.empty() || !role.skipped.empty()) {
        // The renderers report these; a renderer that did not gets the same words here.
        report_.diagnostics.push_back({role.error.empty() ? Severity::warning : Severity::error,
                                       role.error.empty() ? "the object is a hook (" + role.hook + "); " + role.skipped +
                                                                " and it is left out"
                                                          : role.error,
                                       object.origin.file, object.origin.line, hooks::hook_id(object)});
        continue;
      }
      if (const ResourceType* t = s_.discovery->find(object.api_version(), object.kind())) {
        item.type = *t;
      } else if (auto it = crd_kinds.find(object.api_version() + "|" + object.kind()); it != crd_kinds.end()) {
        item.type = it->second;
        item.type_from_crd = true;
      } else {
        item.type.kind = object.kind();  // keeps the error message below meaningful
        item.entry = {object.api_version(), object.kind(), object.namespace_name(), object.name()};
        error(item, "unknown kind " + object.kind() + " (apiVersion " + object.api_version() +
                        "): the API server does not serve it and no CustomResourceDefinition of this pipeline defines it");
        continue;
      }
      const std::string namespace_name =
          item.type.namespaced ? (object.namespace_name().empty() ? s_.default_namespace : object.namespace_name()) : "";
      if (role.is_hook()) {
        hooks_.push_back({&object, role, item.type, namespace_name, {}});
        hooks_.back().id = hooks::hook_id(object);
        continue;
      }
      item.wave = role.wave;
      item.entry = {object.api_version(), object.kind(), namespace_name, object.name()};
      const std::string* known = known_hash(item);
      item.hash = known ? *known : desired_hash(applied_object(object.body, s_.pipeline, item.entry.namespace_name, item.type.namespaced, ""));
      item.stage = stage_of(object.kind(), item.type.namespaced);
      by_key_[item.entry.key()] = items_.size();
      items_.push_back(std::move(item));
    }
    if (failed()) return false;
    auto inventory = s_.inventory.read(s_.client);
    if (!inventory.ok()) {
      error("cannot read the inventory " + s_.inventory.id() + ": " + inventory.error().message);
      return false;
    }
    inventory_ = std::move(*inventory);
    if (!hooks_.empty()) {
      digest_ = desired_digest();
      hooks_due_ = digest_ != s_.inventory.hooks_ran_for();
    }
    return true;
  }

  // Identifies the desired set (objects and hooks) for hooks_due_: its hooks
  // run once for each new set, not on every reconcile of the same set.
  std::string desired_digest() const {
    std::vector<std::string> parts;
    for (const auto& item : items_) parts.push_back(item.entry.key() + "=" + item.hash);
    for (const auto& hook : hooks_) parts.push_back(hook.id + "=" + sha256_hex(to_json(hook.source->body)));
    std::sort(parts.begin(), parts.end());
    std::string text;
    for (const auto& part : parts) text += part + "\n";
    return sha256_hex(text);
  }

  // Reads the metadata of every managed object of the types and namespaces
  // involved (desired and inventory), one paged list per collection.
  bool read_live() {
    std::map<std::string, ResourceType> collections;
    for (const auto& item : items_) collections.emplace(item.type.collection(item.entry.namespace_name), item.type);
    for (const auto& entry : inventory_) {
      if (by_key_.count(entry.key())) continue;
      const ResourceType* t = s_.discovery->find(entry.api_version, entry.kind);
      if (!t) continue;  // the type is gone (its CRD was deleted), and so are its objects
      collections.emplace(t->collection(entry.namespace_name), *t);
      leftovers_.push_back({entry, *t, {}, false});
    }
    std::map<std::string, std::size_t> leftover_by_key;
    for (std::size_t i = 0; i < leftovers_.size(); ++i) leftover_by_key[leftovers_[i].entry.key()] = i;
    present_leftovers_.assign(leftovers_.size(), false);

    // The pages of several collections are read at once: a pipeline of a few
    // objects of several kinds then waits for one round trip, not one per kind.
    struct Page {
      std::string collection;
      const ResourceType* type;
      std::string continue_token;
    };
    std::deque<Page> pending;
    for (const auto& [collection, type] : collections) pending.push_back({collection, &type, ""});
    // A diff reads the objects with a health in full (their status), the rest as metadata.
    auto in_full = [this](const ResourceType& type) { return !apply_ && has_health(type); };
    while (!pending.empty()) {
      std::vector<Page> round;
      while (!pending.empty() && round.size() < kListsAtOnce) {
        round.push_back(std::move(pending.front()));
        pending.pop_front();
      }
      std::vector<HttpRequest> requests;
      for (const Page& page : round) {
        const bool full = in_full(*page.type);
        requests.push_back(s_.client.request(
            "GET", managed_list_path(page.collection, page.continue_token, full ? kFullListPageSize : kListPageSize)));
        if (!full) requests.back().headers.front().second = kMetadataAccept;
      }
      auto responses = s_.client.send_all(std::move(requests), s_.settings.concurrency);
      for (std::size_t i = 0; i < round.size(); ++i) {
        const Page& page = round[i];
        const auto& response = responses[i];
        if (!response.ok() || (response->status != 200 && response->status != 404)) {
          list_failed(page.collection, response);
          return false;
        }
        if (response->status == 404) continue;  // not served yet: a CRD of this set
        auto list = parse_json(response->body);
        if (!list.ok()) {
          error("listing " + page.collection + ": " + list.error().message);
          return false;
        }
        take_live(*page.type, *list, leftover_by_key, in_full(*page.type));
        const Value* next = list->at_path({"metadata", "continue"});
        if (next && next->is_string() && !next->as_string().empty())
          pending.push_back({page.collection, page.type, next->as_string()});
      }
    }
    return true;
  }

  // Notes what one page of a list (of whole objects when `full`) says about
  // desired objects and leftovers.
  void take_live(const ResourceType& type, const Value& list, const std::map<std::string, std::size_t>& leftover_by_key,
                 bool full) {
    const std::string kind_key = type.kind_key();
    const Value* items = list.find("items");
    for (const auto& live : items && items->is_array() ? items->as_array() : Array()) {
      const Value* metadata = live.find("metadata");
      if (!metadata) continue;
      const std::string key = kind_key + "|" + metadata->string_or("namespace") + "|" + metadata->string_or("name");
      const Value* labels = metadata->find("labels");
      const std::string owner = labels ? labels->string_or(kPipelineLabel) : "";
      if (auto it = by_key_.find(key); it != by_key_.end()) {
        Item& item = items_[it->second];
        item.listed = true;
        item.owner = owner;
        item.in_sync = still_in_sync(live, item.source->body, item.hash);
        item.health = full ? health_word(live, type.kind) : "ready";
      } else if (auto left = leftover_by_key.find(key); left != leftover_by_key.end()) {
        LiveLeftover& l = leftovers_[left->second];
        present_leftovers_[left->second] = true;
        l.owner = owner;
        const Value* annotations = metadata->find("annotations");
        l.prune_disabled = annotations && annotations->string_or(kPruneAnnotation) == "disabled";
      }
    }
  }

  // Blames the objects of an unreadable collection (RBAC, most often), unless the cluster could not answer.
  void list_failed(const std::string& collection, const Result<HttpResponse>& response) {
    const std::string message = failure_message(response);
    if (ApiAnswer::of(response).cluster_unavailable()) {
      error(message + ": cannot list " + collection);
      return;
    }
    bool blamed = false;
    for (const auto& item : items_)
      if (item.type.collection(item.entry.namespace_name) == collection) {
        error(item, item.entry.id() + ": cannot read the live objects (" + collection + "): " + message);
        blamed = true;
      }
    if (!blamed) error("cannot list " + collection + " (objects of the inventory): " + message);
  }

  bool check_owners() {
    for (const auto& item : items_)
      if (item.listed && !item.owner.empty() && item.owner != pipeline_label_value(s_.pipeline))
        error(item, item.entry.id() + " belongs to pipeline '" + item.owner +
                        "' (label " + kPipelineLabel + "); it is not taken over. Remove it from one of the two pipelines.");
    return !failed();
  }

  // Namespaces new objects are in that neither the render nor the cluster
  // has (namespaces.hpp): an error each, unless createNamespaces.
  bool find_absent_namespaces() {
    std::map<std::string, std::vector<std::string>> needed;
    std::set<std::string> present;
    for (const auto& item : items_) {
      if (item.entry.kind == "Namespace") present.insert(item.entry.name);
      else if (item.listed) present.insert(item.entry.namespace_name);  // a live object is in it
      else if (item.type.namespaced) needed[item.entry.namespace_name].push_back(item.entry.id());
    }
    for (const auto& name : present) needed.erase(name);
    if (needed.empty()) return true;
    // Without createNamespaces nothing is done about an absent namespace but
    // the error: the dry run (or the apply of an object written alone) finds
    // it, as NotFound on the namespace, with no GET before.
    if (!s_.settings.create_namespaces) {
      unchecked_namespaces_ = std::move(needed);
      return true;
    }
    auto absent = absent_namespaces(s_.client, std::move(needed), s_.settings.concurrency);
    if (!absent.ok()) {
      error(absent.error().message);
      return false;
    }
    for (const auto& [name, objects] : *absent) {
      if (s_.settings.create_namespaces) {
        absent_namespaces_.push_back(name);
        continue;
      }
      for (const auto& item : items_)
        if (item.entry.id() == objects.front()) {
          error(item, missing_namespace_message(name, objects));
          break;
        }
    }
    return !failed();
  }

  void report_created_namespaces() {
    for (const auto& name : absent_namespaces_)
      report_.changes.push_back({"Namespace/" + name, ChangeAction::created,
                                 apply_ ? "" : object_diff(Value(), created_namespace(name, s_.pipeline), "Namespace/" + name)});
  }

  // Namespaces this set creates: objects in them cannot be dry-run before.
  std::set<std::string> namespaces_being_created() const {
    std::set<std::string> names(absent_namespaces_.begin(), absent_namespaces_.end());
    for (const auto& item : items_)
      if (item.entry.kind == "Namespace" && !item.listed) names.insert(item.entry.name);
    return names;
  }

  bool deferred(const Item& item, const std::set<std::string>& new_namespaces) const {
    return item.type_from_crd || new_namespaces.count(item.entry.namespace_name) > 0;
  }

  HttpRequest apply_request(const Item& item, bool dry_run, bool want_object) const {
    return server_side_apply(s_.client, item.path(), applied_body(item), s_.settings.force, dry_run, want_object);
  }

  // Server-side applies (or dry runs) of `items`; false after any failure.
  // Requests are built a chunk at a time so memory stays flat for large sets.
  bool send_applies(const std::vector<Item*>& items, bool dry_run, std::vector<Value>* results = nullptr) {
    const auto started = std::chrono::steady_clock::now();
    for (std::size_t start = 0; start < items.size(); start += kRequestChunk) {
      const std::vector<Item*> chunk(items.begin() + static_cast<std::ptrdiff_t>(start),
                                     items.begin() + static_cast<std::ptrdiff_t>(std::min(items.size(), start + kRequestChunk)));
      send_apply_chunk(chunk, dry_run, results);
      if (!dry_run && failed()) break;  // validation reports every invalid object; a write failure stops
    }
    if (!items.empty())
      context_.logger().debug(dry_run ? "validated" : "applied",
                              {{"objects", std::to_string(items.size())},
                               {"duration_ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                                  std::chrono::steady_clock::now() - started)
                                                                  .count())}});
    return !failed();
  }

  void send_apply_chunk(const std::vector<Item*>& batch, bool dry_run, std::vector<Value>* results) {
    std::vector<HttpRequest> requests;
    for (const Item* item : batch) requests.push_back(apply_request(*item, dry_run, results != nullptr));
    auto responses = s_.client.send_all(std::move(requests), s_.settings.concurrency);
    std::vector<const Item*> unanswered;  // the cluster could not answer: nothing is wrong with them
    std::string why;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Item& item = *batch[i];
      const ApiAnswer answer = ApiAnswer::of(responses[i]);
      if (answer.cluster_unavailable()) {
        if (unanswered.empty()) why = failure_message(responses[i]);
        unanswered.push_back(&item);
        continue;
      }
      if (answer.outcome != ApiOutcome::ok && namespace_missing(item, responses[i])) continue;
      if (answer.outcome != ApiOutcome::ok) {
        const bool invalid = answer.outcome == ApiOutcome::invalid;
        const char* verb = !dry_run ? (invalid ? " is invalid: " : " could not be applied: ")
                           : invalid ? " is invalid (server-side dry run): "
                                     : " was refused by the server-side dry run: ";
        error(item, item.entry.id() + verb + failure_message(responses[i]));
        continue;
      }
      const HttpResponse& r = *responses[i];
      if (!dry_run) item.action = r.status == 201 ? ChangeAction::created : ChangeAction::configured;
      // The generation this write made: the health wait takes no state of an older one.
      if (!dry_run && has_rollout(item.entry.kind))
        if (auto written = parse_json(r.body); written.ok())
          if (const Value* g = written->at_path({"metadata", "generation"}); g && g->is_int()) item.generation = g->as_int();
      if (results) {
        auto parsed = parse_json(r.body);
        results->push_back(parsed.ok() ? std::move(*parsed) : Value());
      }
    }
    // One error, and no Event: it is the cluster's state, not the objects' fault.
    if (!unanswered.empty())
      error(why + ": " + unanswered.front()->entry.id() +
            (unanswered.size() > 1 ? " and " + std::to_string(unanswered.size() - 1) + " more" : "") +
            (dry_run ? " could not be validated" : " could not be applied"));
  }

  // Whether `response` refused `item` because its namespace does not exist
  // (one of unchecked_namespaces_); the error, on the first object that needs
  // the namespace, is then reported once per namespace.
  bool namespace_missing(const Item& item, const Result<HttpResponse>& response) {
    auto needed = unchecked_namespaces_.find(item.entry.namespace_name);
    if (needed == unchecked_namespaces_.end() || !response.ok() || response->status != 404) return false;
    auto status = parse_json(response->body);
    const Value* details = status.ok() ? status->find("details") : nullptr;
    if (!details || details->string_or("kind") != "namespaces") return false;
    if (missing_reported_.insert(needed->first).second) error(item, missing_namespace_message(needed->first, needed->second));
    return true;
  }

  std::vector<Item*> changed_items() {
    std::vector<Item*> out;
    for (auto& item : items_)
      if (!item.in_sync) out.push_back(&item);
    return out;
  }

  std::vector<const LiveLeftover*> prune_candidates() const {
    std::vector<const LiveLeftover*> out;
    for (std::size_t i = 0; i < leftovers_.size(); ++i)
      if (present_leftovers_[i]) out.push_back(&leftovers_[i]);
    return out;
  }

  bool empty_render_guard() {
    if (!items_.empty() || inventory_.empty() || s_.settings.allow_empty || request_.allow_empty) return true;
    error("the render is empty but the inventory " + s_.inventory.id() + " lists " + std::to_string(inventory_.size()) +
          " objects; nothing is pruned (set allowEmpty: true to allow deleting everything)");
    return false;
  }

  void diff() {
    const auto new_namespaces = namespaces_being_created();
    std::vector<Item*> now, later;
    for (Item* item : changed_items()) (deferred(*item, new_namespaces) ? later : now).push_back(item);
    std::vector<Value> dry;
    if (!send_applies(now, true, &dry)) return;
    std::vector<HttpRequest> gets;
    for (const Item* item : now) gets.push_back(s_.client.request("GET", item->path()));
    auto live = s_.client.send_all(std::move(gets), s_.settings.concurrency);
    for (std::size_t i = 0; i < now.size(); ++i) {
      Value before;
      if (live[i].ok() && live[i]->status == 200)
        if (auto parsed = parse_json(live[i]->body); parsed.ok()) {
          // There but not in the list: not (yet) labelled as driftless's.
          if (now[i]->health.empty()) now[i]->health = health_word(*parsed, now[i]->entry.kind);
          before = for_diff(std::move(*parsed));
        }
      std::string text = object_diff(before, for_diff(dry[i]), now[i]->entry.id());
      if (!text.empty()) now[i]->action = before.is_null() ? ChangeAction::created : ChangeAction::configured;
      diffs_[now[i]] = std::move(text);
    }
    for (Item* item : later) {
      item->action = ChangeAction::created;
      diffs_[item] = object_diff(Value(), for_diff(applied_body(*item)), item->entry.id());
    }
    report_created_namespaces();
    for (const auto& item : items_) {
      auto it = diffs_.find(&item);
      report_.changes.push_back({item.entry.id(), item.action, it == diffs_.end() ? "" : it->second,
                                 item.health.empty() ? "missing" : item.health});
    }
    if (hooks_due_)
      for (const auto& hook : hooks_)
        report_.changes.push_back({hook.id, ChangeAction::created, "runs as a " + hooks::phase_list(hook.role.phases) +
                                                                       " hook (" + hook.role.hook + ")"});
    if (!empty_render_guard()) return;
    for (const LiveLeftover* left : prune_candidates()) report_.changes.push_back(prune_change(*left));
  }

  ObjectChange prune_change(const LiveLeftover& left) const {
    if (!left.owner.empty() && left.owner != pipeline_label_value(s_.pipeline))
      return {left.entry.id(), ChangeAction::skipped, "left in place: it now belongs to pipeline '" + left.owner + "'"};
    if (left.prune_disabled) return {left.entry.id(), ChangeAction::skipped, "left in place: driftless.dev/prune: disabled"};
    if (!s_.settings.prune) return {left.entry.id(), ChangeAction::skipped, "left in place: prune is off"};
    return {left.entry.id(), ChangeAction::pruned, {}};
  }

  // Waits until the CRDs this run applied are Established and the API server
  // serves their kinds. Discovery can lag the Established condition (several
  // API servers behind one address, an aggregated discovery not yet
  // refreshed), so it is read again a few times before that is an error.
  bool settle_definitions(const std::vector<Item*>& crds) {
    if (crds.empty()) return true;
    std::vector<HealthTarget> targets;
    for (const Item* crd : crds) targets.push_back({crd->entry.id(), crd->path(), {}, 0});  // polled: CRDs are not watched in full
    if (!waited_healthy(std::move(targets))) return false;
    for (int attempt = 1;; ++attempt) {
      auto fresh = s_.cluster.rediscover();
      if (!fresh.ok()) {
        error("API discovery after applying CustomResourceDefinitions: " + fresh.error().message);
        return false;
      }
      s_.discovery = *fresh;
      std::vector<const Item*> unserved;
      for (const auto& item : items_)
        if (item.type_from_crd && !s_.discovery->find(item.entry.api_version, item.entry.kind)) unserved.push_back(&item);
      if (unserved.empty()) return true;
      if (attempt == kDiscoveryAttempts || !pause_before_retry(kDiscoveryPause * attempt)) {
        for (const Item* item : unserved)
          error(*item, "the CustomResourceDefinition is established but the API server does not serve " + item->entry.kind +
                           " in " + item->entry.api_version + " (API discovery read " + std::to_string(attempt) + " times)");
        return false;
      }
    }
  }

  void apply_and_prune() {
    const auto new_namespaces = namespaces_being_created();
    Plan plan;
    std::vector<Item*> now;
    const std::vector<Item*> changed = changed_items();
    for (Item* item : changed) {
      if (item->stage == kNamespaces) plan.namespaces.push_back(item);
      else plan.waves[item->wave].stages[item->stage].push_back(item);
      if (!deferred(*item, new_namespaces)) now.push_back(item);
      else plan.waves[item->wave].later.push_back(item);
    }
    if (hooks_due_)
      for (const auto& hook : hooks_)
        if (hook.role.has(hooks::Phase::sync)) plan.waves[hook.role.wave];  // a wave of Sync hooks alone runs too
    // Everything that can be validated now is, before the first write; an
    // object written alone (nothing else to apply, no namespace to create, no
    // hook to run) is validated by its apply, which answers the same.
    const bool lone_write = changed.size() == 1 && now.size() == 1 && absent_namespaces_.empty() && !hooks_due_;
    if (!lone_write && !send_applies(now, true)) return;
    if (!empty_render_guard()) return;
    s_.announce_writes(applied_state());
    HookRunner hooks(context_, s_.client, s_.settings, s_.pipeline, report_.diagnostics);
    if (apply_in_phases(plan, hooks)) {
      if (hooks_due_)
        if (auto r = s_.inventory.record_hooks_ran(s_.client, digest_); !r.ok())
          error("the hooks ran, but recording that in the inventory " + s_.inventory.id() +
                " failed (the next sync runs them again): " + r.error().message);
      return;
    }
    if (hooks_due_ && !context_.cancelled()) hooks.run(hooks_, hooks::Phase::sync_fail);
  }

  // What an apply writes: new namespaces first (a hook may run in one), then
  // wave by wave the rest in stage order.
  struct Wave {
    std::array<std::vector<Item*>, kStageCount> stages;
    std::vector<Item*> later;  // validated once their namespace or CRD is there
  };
  struct Plan {
    std::vector<Item*> namespaces;
    std::map<int, Wave> waves;
  };

  // The phases of a sync: PreSync hooks, the objects and Sync hooks wave by
  // wave, prune, PostSync hooks (hooks only when hooks_due_). False on any error.
  bool apply_in_phases(Plan& plan, HookRunner& hooks) {
    if (!send_applies(plan.namespaces, false)) return false;
    if (auto created = create_namespaces(s_.client, absent_namespaces_, s_.pipeline, s_.settings.concurrency); !created.ok()) {
      error(created.error().message);
      return false;
    }
    Inventory merged = inventory_;
    for (const auto& item : items_) merged.insert(item.entry);
    // Recorded before anything else is created, so a crash never leaves objects nobody knows.
    if (auto r = s_.inventory.write(s_.client, merged); !r.ok()) {
      error("cannot record the inventory " + s_.inventory.id() + ": " + r.error().message);
      return false;
    }
    if (hooks_due_ && !hooks.run(hooks_, hooks::Phase::pre_sync)) {
      error("a PreSync hook failed: nothing else of the sync was applied, nothing was pruned");
      return false;
    }
    for (auto it = plan.waves.begin(); it != plan.waves.end(); ++it) {
      auto& [number, wave] = *it;
      if (context_.cancelled()) {
        error("stopped before all objects were applied; nothing was pruned");
        return false;
      }
      for (int stage = kDefinitions; stage < kStageCount; ++stage) {
        // Objects in new namespaces or of new kinds are validated now, before the rest is written.
        if (stage == kClusterWide && (!settle_definitions(wave.stages[kDefinitions]) || !send_applies(wave.later, true)))
          return false;
        if (!send_applies(wave.stages[stage], false)) return false;
      }
      if (hooks_due_ && !hooks.run(hooks_, hooks::Phase::sync, number)) return false;
      // A later wave starts once this one is healthy.
      if (std::next(it) != plan.waves.end() && s_.settings.wait && !wait_for_health(number)) return false;
    }
    report_created_namespaces();
    for (const auto& item : items_) report_.changes.push_back({item.entry.id(), item.action, {}});

    Inventory kept;
    for (const auto& item : items_) kept.insert(item.entry);
    prune(kept);
    if (failed()) return false;
    // A pipeline retired on purpose leaves no record behind once nothing is left.
    const bool retired = request_.allow_empty && kept.empty();
    if (auto r = retired ? s_.inventory.remove(s_.client) : s_.inventory.write(s_.client, kept); !r.ok()) {
      error("cannot " + std::string(retired ? "delete" : "record") + " the inventory " + s_.inventory.id() + ": " +
            r.error().message);
      return false;
    }
    publish();
    // PostSync hooks run once everything is healthy, as in Argo CD, even when the sink does not wait otherwise.
    const bool post_sync = hooks_due_ && std::any_of(hooks_.begin(), hooks_.end(), [](const Hook& hook) {
                             return hook.role.has(hooks::Phase::post_sync);
                           });
    if ((s_.settings.wait || post_sync) && !wait_for_health()) return false;
    return !post_sync || hooks.run(hooks_, hooks::Phase::post_sync);
  }
  void prune(Inventory& kept) {
    std::array<std::vector<const LiveLeftover*>, kStageCount> stages;
    for (const LiveLeftover* left : prune_candidates()) {
      ObjectChange change = prune_change(*left);
      if (!left->owner.empty() && left->owner != pipeline_label_value(s_.pipeline))
        s_.failures.push_back({left->entry, left->type.object_path(left->entry.namespace_name, left->entry.name),
                               kPruneRefused, left->entry.id() + " was not pruned: " + change.detail});
      if (change.action == ChangeAction::skipped) {
        if (!s_.settings.prune) kept.insert(left->entry);  // still ours, just not deleted
        report_.changes.push_back(std::move(change));
        continue;
      }
      stages[stage_of(left->entry.kind, left->type.namespaced)].push_back(left);
    }
    for (int stage = kStageCount - 1; stage >= kNamespaces; --stage) {
      std::vector<HttpRequest> deletes;
      std::vector<std::string> keys;
      for (const LiveLeftover* left : stages[stage]) keys.push_back(left->entry.key());
      if (!keys.empty()) s_.announce_deletes(keys);
      for (const LiveLeftover* left : stages[stage])
        deletes.push_back(s_.client.request("DELETE", left->type.object_path(left->entry.namespace_name, left->entry.name),
                                            R"({"propagationPolicy":"Background"})", "application/json"));
      auto responses = s_.client.send_all(std::move(deletes), s_.settings.concurrency);
      for (std::size_t i = 0; i < responses.size(); ++i) {
        const LiveLeftover& left = *stages[stage][i];
        const bool gone = responses[i].ok() && (responses[i]->status / 100 == 2 || responses[i]->status == 404);
        if (gone) {
          report_.changes.push_back({left.entry.id(), ChangeAction::pruned, {}});
          continue;
        }
        kept.insert(left.entry);
        const std::string message = "cannot prune " + left.entry.id() + ": " + failure_message(responses[i]);
        if (!ApiAnswer::of(responses[i]).cluster_unavailable())
          s_.failures.push_back({left.entry, left.type.object_path(left.entry.namespace_name, left.entry.name), kPruneFailed,
                                 message});
        error(message);
      }
      if (failed()) return;  // keep what depends on it (a CRD of undeleted resources)
    }
  }

  // True when the last applied state holds exactly these objects with these
  // hashes: publishing it again costs no copy of the objects.
  bool same_as_applied() const {
    if (!s_.applied || s_.applied->objects.size() != items_.size()) return false;
    for (const auto& item : items_) {
      auto it = s_.applied->objects.find(item.entry.key());
      if (it == s_.applied->objects.end() || it->second.hash != item.hash) return false;
    }
    return true;
  }

  void publish() const { s_.publish(applied_state()); }

  // The state the items make once written.
  std::shared_ptr<const AppliedState> applied_state() const {
    if (same_as_applied()) return s_.applied;
    auto state = std::make_shared<AppliedState>();
    // Items point into request_.objects; keeping them means sharing the core's
    // copy (or, when the core did not share it, taking one).
    state->desired = request_.shared_objects ? request_.shared_objects
                                             : std::make_shared<const std::vector<KubeObject>>(request_.objects);
    for (const auto& item : items_) {
      const ResourceType* t = s_.discovery->find(item.entry.api_version, item.entry.kind);
      const ResourceType& type = t ? *t : item.type;
      state->objects[item.entry.key()] = {item.entry, type.object_path(item.entry.namespace_name, item.entry.name),
                                          type.namespaced, &(*state->desired)[static_cast<std::size_t>(item.source - request_.objects.data())],
                                          item.hash};
      state->types.emplace(type.kind_key(), type);
    }
    return state;
  }

  // Waits for the objects (of one wave, when given) to be healthy.
  bool wait_for_health(std::optional<int> wave = std::nullopt) {
    std::vector<HealthTarget> targets;
    for (const auto& item : items_)
      if ((!wave || item.wave == *wave) &&
          (has_rollout(item.entry.kind) || (item.action != ChangeAction::unchanged && may_have_ready(item.type))))
        targets.push_back({item.entry.id(), item.path(), item.entry.key(), item.generation});
    if (targets.empty()) return true;
    context_.logger().info("waiting for health", {{"objects", std::to_string(targets.size())},
                                                  {"wave", wave ? std::to_string(*wave) : std::string("all")}});
    return waited_healthy(std::move(targets));
  }

  // Waits for health; a failure is an error on the object that did not get healthy.
  bool waited_healthy(std::vector<HealthTarget> targets) {
    HealthTarget unhealthy;
    auto r = wait_healthy(context_, s_.client, std::move(targets), s_.settings.health_timeout, s_.settings.concurrency,
                          &unhealthy, s_.live_states);
    if (r.ok()) return true;
    if (r.error().code != ErrorCode::cancelled)
      for (const auto& item : items_)
        if (item.entry.id() == unhealthy.id) s_.failures.push_back({item.entry, unhealthy.path, kHealthCheckFailed, r.error().message});
    error(r.error().message);
    return false;
  }

  Context& context_;
  SyncServices s_;
  const SinkRequest& request_;
  const bool apply_;
  SinkReport report_;
  std::vector<Item> items_;
  std::map<std::string, std::size_t> by_key_;
  Inventory inventory_;
  std::vector<LiveLeftover> leftovers_;
  std::vector<bool> present_leftovers_;
  std::map<const Item*, std::string> diffs_;
  std::vector<Hook> hooks_;  // run, not kept in sync: not in items_ nor the inventory
  std::string digest_;       // of the desired set, when it has hooks
  bool hooks_due_ = false;   // the set changed since its hooks last ran
  std::vector<std::string> absent_namespaces_;  // created first (createNamespaces)
  std::map<std::string, std::vector<std::string>> unchecked_namespaces_;  // namespace -> ids of new objects in it (no createNamespaces)
  std::set<std::string> missing_reported_;  // of those, the ones a refusal showed absent
};

}  // namespace

Value applied_object(const Value& desired, const std::string& pipeline, const std::string& namespace_name, bool namespaced,
                     const std::string& hash) {
  Value body = desired;
  Object& labels = labels_of(body);
  labels.set(kManagedByLabel, kManagedByValue);
  labels.set(kPipelineLabel, pipeline_label_value(pipeline));
  Object& metadata = body.as_object()["metadata"].as_object();
  if (namespaced) metadata.set("namespace", namespace_name);
  else metadata.erase("namespace");
  if (!hash.empty()) annotations_of(body).set(kHashAnnotation, hash);
  return body;
}

HttpRequest server_side_apply(const KubeClient& client, const std::string& path, const Value& body, bool force, bool dry_run,
                              bool want_object) {
  const std::string query = std::string("?fieldManager=") + kFieldManager + (force ? "&force=true" : "") +
                            (dry_run ? "&dryRun=All" : "");
  HttpRequest r = client.request("PATCH", path + query, to_json(body), "application/apply-patch+yaml");
  // Only the status matters when applying: the server then encodes metadata only.
  if (!want_object) r.headers.front().second = kMetadataWatchAccept;
  return r;
}

std::string managed_list_path(const std::string& collection, const std::string& continue_token, std::size_t limit) {
  const std::string selector = std::string(kManagedByLabel) + "=" + kManagedByValue;
  std::string path = collection + "?labelSelector=" + url_encode(selector) + "&limit=" + std::to_string(limit);
  if (!continue_token.empty()) path += "&continue=" + url_encode(continue_token);
  return path;
}

SinkReport reconcile(Context& context, SyncServices services, const SinkRequest& request) {
  return Reconciler(context, std::move(services), request).run();
}

}  // namespace driftless::kube
