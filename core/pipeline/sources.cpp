#include "pipeline/sources.hpp"

#include "pipeline/guarded.hpp"

namespace driftless::core {

Sources::Sources(const Config& config, const PluginRegistry& registry, const ContextServices& services,
                 std::chrono::seconds timeout)
    : config_(config), registry_(registry), services_(services), timeout_(timeout) {}

Sources::State& Sources::state(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto& slot = states_[name];
  if (!slot) slot = std::make_unique<State>();
  return *slot;
}

FetchOutcome Sources::fetch(const std::string& name) {
  const SourceSpec* spec = config_.find_source(name);
  if (!spec) {
    FetchOutcome outcome;
    outcome.source = name;
    outcome.error = fail(ErrorCode::not_found, "no source named '" + name + "'");
    return outcome;
  }
  return fetch_with(name, spec->plugin, "source '" + name + "'");
}

std::string Sources::declared_key(const PluginBlock& plugin) {
  // Kept apart from the configured sources by the prefix; one state per plugin and config.
  return "declared " + plugin.type + " " + to_json(plugin.config);
}

FetchOutcome Sources::fetch_declared(const PluginBlock& plugin) {
  return fetch_with(declared_key(plugin), plugin, "the " + plugin.type + " source of a declared pipeline");
}

FetchOutcome Sources::fetch_with(const std::string& key, const PluginBlock& plugin, const std::string& label) {
  const auto started = std::chrono::steady_clock::now();
  FetchOutcome outcome;
  outcome.source = key;
  State& source = state(key);
  std::lock_guard fetching(source.fetching);
  std::shared_ptr<const Artifact> previous;
  {
    std::lock_guard lock(mutex_);
    previous = source.last_good;
  }
  Result<Artifact> artifact = fail(ErrorCode::internal, "no result");
  if (!source.instance) {
    auto created = registry_.source(plugin.type)->create(plugin.config);
    if (created.ok()) source.instance = std::move(*created);
    else artifact = created.error();
  }
  if (source.instance) {
    CoreContext context(services_, "", plugin.type, timeout_);
    std::vector<Diagnostic> crash;
    guarded([&] { artifact = source.instance->fetch(context, previous.get()); }, label, crash);
    if (!crash.empty()) artifact = fail(ErrorCode::internal, crash.front().message);
  }
  std::lock_guard lock(mutex_);
  if (artifact.ok()) {
    outcome.changed = !previous || previous->revision != artifact->revision;
    // The same revision in the same place keeps its artifact, and with it the
    // pipelines expanded from it: an unchanged fetch lists no folders again.
    if (outcome.changed || previous->root != artifact->root)
      source.last_good = std::make_shared<const Artifact>(std::move(*artifact));
    source.last_error.reset();
  } else {
    source.last_error = artifact.error();
    outcome.error = artifact.error();
  }
  if (source.last_good) {
    outcome.revision = source.last_good->revision;
    outcome.metadata = source.last_good->metadata;
  }
  outcome.duration = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  return outcome;
}

Sources::Current Sources::current(const std::string& name) {
  State& source = state(name);
  std::lock_guard lock(mutex_);
  return {source.last_good, source.last_error};
}

std::shared_ptr<const Artifact> Sources::last_good(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = states_.find(name);
  return it == states_.end() ? nullptr : it->second->last_good;
}

}  // namespace driftless::core
