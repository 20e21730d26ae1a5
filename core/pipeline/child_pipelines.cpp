#include "pipeline/child_pipelines.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "config/plugin_blocks.hpp"
#include "driftless/toolkit/files.hpp"
#include "driftless/toolkit/http.hpp"
#include "log/logging.hpp"

namespace driftless::core {
namespace {

// Checks a declared block against its plugin's keys, filling in defaults.
template <class Factory>
Result<void> check_block(PluginBlock& block, const Factory* factory, const std::string& what) {
  if (!factory) return fail(ErrorCode::invalid_input, what + " '" + block.type + "' is not a loaded plugin");
  auto checked = check_plugin_value(factory->config_keys(), block.config.is_null() ? Value(Object{}) : block.config,
                                    what + " '" + block.type + "'");
  if (!checked.ok()) return checked.error();
  block.config = std::move(*checked);
  return {};
}

// The sink keys a declaration asks for, checked as the config's are (a
// duration as milliseconds, like the parent's checked block it is laid
// over). Keys the sink does not have are left for narrow() to refuse.
Result<Value> checked_overlay(const Value& overlay, const std::vector<ConfigKey>& keys, const std::string& what) {
  if (overlay.is_null()) return Value(Object{});
  if (!overlay.is_object()) return fail(ErrorCode::invalid_input, "the keys for " + what + " must be a mapping");
  Object out;
  for (const auto& [name, value] : overlay.as_object()) {
    auto key = std::find_if(keys.begin(), keys.end(), [&name = name](const ConfigKey& k) { return k.name == name; });
    if (key == keys.end()) {
      out.set(name, value);
      continue;
    }
    Object one;
    one.set(name, value);
    auto checked = check_plugin_value({*key}, Value(std::move(one)), what);
    if (!checked.ok()) return checked.error();
    out.set(name, *checked->find(name));
  }
  return Value(std::move(out));
}

// What a declared source reads, for a message: its URL, endpoint and bucket
// (credentials never: a declaration carries none, and URLs lose their user info).
std::string describe_source(const Value& config) {
  std::string out;
  for (const char* key : {"url", "endpoint", "bucket", "path"})
    if (const Value* v = config.find(key); v && v->is_string()) out += (out.empty() ? "" : " ") + redact_url(v->as_string());
  return out.empty() ? "(no location)" : out;
}

// Whether `url` lies under `prefix` by whole path segments: a prefix
// https://git.example.com/team covers .../team and .../team/app.git, never
// .../team-b/app.
bool under_prefix(const std::string& url, const std::string& prefix) {
  if (prefix.empty() || url.compare(0, prefix.size(), prefix) != 0) return false;
  return url.size() == prefix.size() || prefix.back() == '/' || url[prefix.size()] == '/' ||
         url.compare(prefix.size(), std::string::npos, ".git") == 0;
}

// Gives a declared source the credentials of the longest urlPrefix of its
// type that covers its URL. The repository names only the URL; which
// credentials go where is the operator's choice in the config.
Result<void> lend_credentials(PluginBlock& source, const std::vector<DeclaredSourceAuth>& lent) {
  if (!source.config.is_object()) return {};
  if (source.config.find("auth"))
    return fail(ErrorCode::invalid_input, "the declaration carries credentials ('auth'), which only the config may give: "
                                          "list them under declaredSourceAuth of the configured pipeline");
  const Value* given = source.config.find("url");
  if (!given || !given->is_string()) return {};
  // As the prefixes are written: an scp-like address as its ssh:// URL.
  const std::string scp = ssh_url_of_scp_like(given->as_string());
  const std::string url = scp.empty() ? given->as_string() : scp;
  const DeclaredSourceAuth* best = nullptr;
  for (const auto& entry : lent)
    if (entry.block.type == source.type && under_prefix(url, entry.url_prefix) &&
        (!best || entry.url_prefix.size() > best->url_prefix.size()))
      best = &entry;
  if (best) {
    if (const Value* auth = best->block.config.find("auth")) source.config.as_object().set("auth", *auth);
  } else if (url.rfind("ssh://", 0) == 0) {
    return fail(ErrorCode::invalid_input, "it reads " + redact_url(url) + " over ssh, which needs a key: add a "
                                          "declaredSourceAuth entry (type: " + source.type + ") whose urlPrefix covers it");
  }
  return {};
}

// A declaration as a pipeline of `parent`: named under it, in its source,
// with checked renderer blocks and the sink config its sink allows.
Result<PipelineSpec> child_of(DeclaredPipeline declared, const PipelineSpec& parent, const std::string& parent_name,
                              const PluginRegistry& registry) {
  if (declared.name.empty() || declared.name.find('/') != std::string::npos || has_control_characters(declared.name))
    return fail(ErrorCode::invalid_input, "the declared pipeline name '" + escape_control_characters(declared.name) +
                                              "' must be one non-empty segment without '/' or control characters");
  auto path = join_inside("", declared.path);
  if (!path) return fail(ErrorCode::invalid_input, "the path '" + declared.path + "' leaves the source");
  PipelineSpec child;
  child.name = parent_name + "/" + declared.name;
  child.source = parent.source;
  child.path = *path;
  child.interval = declared.interval ? declared.interval : parent.interval;
  child.retry_interval = declared.retry_interval ? declared.retry_interval : parent.retry_interval;
  child.location = {declared.origin.file, declared.origin.line, 0};
  child.suspended = declared.suspended;
  child.declared_by = declared.declared_by;
  for (const auto& dependency : declared.depends_on) child.depends_on.push_back(parent_name + "/" + dependency);
  child.allow_declared_sources = parent.allow_declared_sources;
  child.declared_source_auth = parent.declared_source_auth;
  child.declared_source = parent.declared_source;  // what it declares reads the same files
  if (declared.source) {
    if (!parent.allow_declared_sources)
      return fail(ErrorCode::invalid_input, "it reads a source of its own (" + declared.source->type + " " +
                                                describe_source(declared.source->config) + "), which the configured "
                                                "pipeline does not allow: set allowDeclaredSources: true on it to fetch "
                                                "sources the repository names");
    PluginBlock block{declared.source->type, std::move(declared.source->config), nullptr, child.location};
    if (auto lent = lend_credentials(block, parent.declared_source_auth); !lent.ok()) return lent.error();
    if (auto checked = check_block(block, registry.source(block.type), "source"); !checked.ok()) return checked.error();
    child.declared_source = std::move(block);
  }
  if (declared.renderers.empty()) declared.renderers.push_back({"auto", Value(Object{})});
  for (auto& use : declared.renderers) {
    PluginBlock block{use.type, std::move(use.config), nullptr, child.location};
    if (auto checked = check_block(block, registry.renderer(block.type), "renderer"); !checked.ok()) return checked.error();
    child.renderers.push_back(std::move(block));
  }
  const SinkFactory* sink = registry.sink(parent.sink.type);
  if (!sink) return fail(ErrorCode::invalid_input, "sink '" + parent.sink.type + "' is not a loaded plugin");
  auto overlay = checked_overlay(declared.sink, sink->config_keys(), "sink '" + parent.sink.type + "'");
  if (!overlay.ok()) return overlay.error();
  auto narrowed = sink->narrow(parent.sink.config, *overlay, child.name);
  if (!narrowed.ok()) return fail(ErrorCode::invalid_input, "sink '" + parent.sink.type + "': " + narrowed.error().message);
  child.sink = PluginBlock{parent.sink.type, std::move(*narrowed), nullptr, child.location};
  return child;
}

// `children` with each after those it depends on (declaration order
// otherwise). A dependency on a name not declared beside it, or a cycle, is
// an error of each pipeline involved, which is left out.
std::vector<PipelineSpec> in_dependency_order(std::vector<PipelineSpec> children,
                                              const std::function<void(std::size_t, const std::string&)>& problem) {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < children.size(); ++i) index[children[i].name] = i;
  enum class Mark { none, visiting, done, bad };
  std::vector<Mark> marks(children.size(), Mark::none);
  std::vector<std::size_t> order;
  // Depth-first; returns false when `i` cannot run (a missing or cyclic dependency below it).
  std::function<bool(std::size_t)> visit = [&](std::size_t i) -> bool {
    if (marks[i] == Mark::done) return true;
    if (marks[i] == Mark::bad) return false;
    if (marks[i] == Mark::visiting) {
      problem(i, "pipeline '" + children[i].name + "' depends on itself through dependsOn");
      marks[i] = Mark::bad;
      return false;
    }
    marks[i] = Mark::visiting;
    for (const auto& dependency : children[i].depends_on) {
      auto it = index.find(dependency);
      if (it == index.end()) {
        problem(i, "pipeline '" + children[i].name + "' depends on '" + dependency + "', which is not declared beside it");
        marks[i] = Mark::bad;
        return false;
      }
      if (!visit(it->second)) {
        if (marks[i] != Mark::bad)
          problem(i, "pipeline '" + children[i].name + "' cannot run: its dependency '" + dependency + "' cannot");
        marks[i] = Mark::bad;
        return false;
      }
    }
    marks[i] = Mark::done;
    order.push_back(i);
    return true;
  };
  for (std::size_t i = 0; i < children.size(); ++i) visit(i);
  std::vector<PipelineSpec> out;
  for (std::size_t i : order) out.push_back(std::move(children[i]));
  return out;
}

}  // namespace

std::vector<PipelineSpec> declared_children(std::vector<DeclaredPipeline> declared, const PipelineSpec& parent,
                                            const std::string& parent_name, std::size_t depth,
                                            const PluginRegistry& registry, std::vector<Diagnostic>& out) {
  std::vector<PipelineSpec> children;
  std::vector<Provenance> origins;
  std::vector<std::string> declarers;
  std::set<std::string> names;
  auto problem_at = [&](const Provenance& origin, const std::string& declarer, const std::string& message) {
    out.push_back({Severity::error, message, origin.file, origin.line, declarer});
  };
  for (auto& declaration : declared) {
    const Provenance origin = declaration.origin;
    const std::string declarer = declaration.declared_by;
    if (depth + 1 >= kMaxPipelineDepth) {
      problem_at(origin, declarer,
                 "pipeline '" + parent_name + "' is nested " + std::to_string(depth) + " deep and may declare no more pipelines");
      continue;
    }
    if (children.size() == kMaxDeclaredPipelines) {
      problem_at(origin, declarer, "pipeline '" + parent_name + "' declares more than " +
                                       std::to_string(kMaxDeclaredPipelines) + " pipelines");
      break;
    }
    Result<PipelineSpec> child = child_of(std::move(declaration), parent, parent_name, registry);
    if (!child.ok()) {
      problem_at(origin, declarer, "the pipeline declared here cannot be run: " + child.error().message);
      continue;
    }
    if (!names.insert(child->name).second) {
      problem_at(origin, declarer, "pipeline '" + child->name + "' is declared twice");
      continue;
    }
    children.push_back(std::move(*child));
    origins.push_back(origin);
    declarers.push_back(declarer);
  }
  return in_dependency_order(std::move(children),
                             [&](std::size_t i, const std::string& message) { problem_at(origins[i], declarers[i], message); });
}

}  // namespace driftless::core
