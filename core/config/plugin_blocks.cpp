#include "config/plugin_blocks.hpp"

#include "config/yaml_node.hpp"
#include "driftless/capabilities.hpp"
#include "driftless/toolkit/yaml.hpp"

namespace driftless::core {
namespace {

// A URL with a secret in its user part: "https://TOKEN@host/...",
// "https://user:password@host/...", "ssh://git:password@host/...". An ssh
// user alone ("ssh://git@host/...") names an account, not a secret.
bool url_with_credentials(std::string_view text) {
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return false;
  std::string scheme(text.substr(0, scheme_end));
  for (char& c : scheme) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return false;
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::string_view authority = text.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  const auto at = authority.rfind('@');
  if (at == std::string_view::npos) return false;
  const bool ssh = scheme == "ssh" || scheme == "git+ssh" || scheme == "sftp";
  return !ssh || authority.substr(0, at).find(':') != std::string_view::npos;
}

// Converts and checks one block against a table of keys.
class BlockChecker {
 public:
  /// `block` is where the block starts, for messages about the whole block
  /// (a missing key): the config reader hands over a plugin's own keys as a
  /// new node, which has no place in the file.
  BlockChecker(std::string file, std::vector<Diagnostic>& out, YAML::Mark block = YAML::Mark::null_mark())
      : file_(std::move(file)), out_(out), block_(block) {}

  Value check(const YAML::Node& node, const std::vector<ConfigKey>& keys, const std::string& what) {
    Object result;
    std::vector<std::string> written;  // given, even when refused: not also reported missing
    for (const auto& kv : node) {
      const std::string name = kv.first.Scalar();
      const ConfigKey* key = find(keys, name);
      if (!key) {
        error(kv.first.Mark(), "unknown key '" + name + "' in " + what + " (accepted: " + list(keys) + ")");
        continue;
      }
      if (!key->retired_because.empty()) {
        error(kv.first.Mark(), "'" + name + "' is no longer a key of " + what + ": " + key->retired_because);
        continue;
      }
      if (!kv.second.IsNull()) written.push_back(name);
      Value v = convert(kv.second, *key, what);
      if (!v.is_null()) result.set(name, std::move(v));
    }
    for (const auto& key : keys) {
      if (std::find(written.begin(), written.end(), key.name) != written.end()) continue;
      if (key.is_required) error(node.Mark().is_null() ? block_ : node.Mark(), what + " needs '" + key.name + "': " + key.doc);
      else if (!key.default_value.is_null()) result.set(key.name, default_of(key));
    }
    return Value(std::move(result));
  }

 private:
  static const ConfigKey* find(const std::vector<ConfigKey>& keys, const std::string& name) {
    for (const auto& k : keys)
      if (k.name == name) return &k;
    return nullptr;
  }

  // A duration default is written as text ("2m") and delivered, like a
  // configured one, as milliseconds.
  static Value default_of(const ConfigKey& key) {
    if (key.type != ConfigType::duration || !key.default_value.is_string()) return key.default_value;
    auto d = parse_duration(key.default_value.as_string());
    return d ? Value(static_cast<std::int64_t>(d->count())) : key.default_value;
  }

  static std::string list(const std::vector<ConfigKey>& keys) {
    std::string out;
    for (const auto& k : keys)
      if (k.retired_because.empty()) out += (out.empty() ? "" : ", ") + k.name;
    return out.empty() ? "no keys" : out;
  }

  void error(const YAML::Mark& mark, std::string message) { out_.push_back(located_error(file_, mark, std::move(message))); }

  // Credentials in a URL end up in logs and messages; the value is not repeated here.
  bool holds_credentials(const YAML::Node& n, const ConfigKey& key, const std::string& what) {
    if (!url_with_credentials(n.Scalar())) return false;
    error(n.Mark(), "'" + key.name + "' in " + what + " is a URL with credentials before '@'; remove them and give them "
                    "through the plugin's auth keys (a file or a variable, e.g. auth.tokenFile)");
    return true;
  }

  Value mismatch(const YAML::Node& n, const ConfigKey& key, const std::string& what) {
    error(n.Mark(), "'" + key.name + "' in " + what + " must be of type " + to_string(key.type));
    return Value();
  }

  // Any YAML value as JSON, with Kubernetes scalar rules.
  static Value generic(const YAML::Node& n) {
    if (n.IsScalar()) return n.Tag() == "!" ? Value(n.Scalar()) : yaml_plain_scalar(n.Scalar());
    if (n.IsSequence()) {
      Array a;
      for (const auto& item : n) a.push_back(generic(item));
      return Value(std::move(a));
    }
    if (n.IsMap()) {
      Object o;
      for (const auto& kv : n) o.set(kv.first.Scalar(), generic(kv.second));
      return Value(std::move(o));
    }
    return Value();
  }

  Value convert(const YAML::Node& n, const ConfigKey& key, const std::string& what) {
    if (n.IsNull()) return Value();
    switch (key.type) {
      case ConfigType::string: {
        if (!n.IsScalar()) return mismatch(n, key, what);
        if (holds_credentials(n, key, what)) return Value();
        if (!key.choices.empty() && std::find(key.choices.begin(), key.choices.end(), n.Scalar()) == key.choices.end()) {
          std::string allowed;
          for (const auto& c : key.choices) allowed += (allowed.empty() ? "" : ", ") + c;
          error(n.Mark(), "'" + key.name + "' in " + what + " is '" + n.Scalar() + "'; choose one of: " + allowed);
          return Value();
        }
        return Value(n.Scalar());
      }
      case ConfigType::path: {
        if (!n.IsScalar()) return mismatch(n, key, what);
        // Empty is unset (the plugin's default), not the folder of the config file.
        if (n.Scalar().empty()) return Value(std::string());
        std::filesystem::path p(n.Scalar());
        if (p.is_relative())
          p = std::filesystem::absolute(std::filesystem::path(file_).parent_path() / p);
        return Value(p.lexically_normal().string());
      }
      case ConfigType::integer: {
        Value v = n.IsScalar() ? yaml_plain_scalar(n.Scalar()) : Value();
        return v.is_int() ? v : mismatch(n, key, what);
      }
      case ConfigType::boolean: {
        Value v = n.IsScalar() ? yaml_plain_scalar(n.Scalar()) : Value();
        return v.is_bool() ? v : mismatch(n, key, what);
      }
      case ConfigType::duration: {
        auto d = n.IsScalar() ? parse_duration(n.Scalar()) : std::nullopt;
        if (!d) {
          error(n.Mark(), "'" + key.name + "' in " + what + " must be a duration such as 30s, 5m or 1h");
          return Value();
        }
        return Value(static_cast<std::int64_t>(d->count()));
      }
      case ConfigType::string_list: {
        if (!n.IsSequence()) return mismatch(n, key, what);
        Array a;
        for (const auto& item : n) {
          if (!item.IsScalar()) return mismatch(item, key, what);
          if (holds_credentials(item, key, what)) return Value();
          a.emplace_back(item.Scalar());
        }
        return Value(std::move(a));
      }
      case ConfigType::map: {
        if (!n.IsMap()) return mismatch(n, key, what);
        Object o;
        for (const auto& kv : n) {
          if (!kv.second.IsScalar()) return mismatch(kv.second, key, what);
          o.set(kv.first.Scalar(), kv.second.Scalar());
        }
        return Value(std::move(o));
      }
      case ConfigType::object:
        if (!n.IsMap()) return mismatch(n, key, what);
        return check(n, key.children, "'" + key.name + "' of " + what);
      case ConfigType::any:
        return generic(n);
    }
    return Value();
  }

  std::string file_;
  std::vector<Diagnostic>& out_;
  YAML::Mark block_;
};

std::string describe(const std::string& type, PluginKind kind, const std::string& owner) {
  return std::string("the ") + to_string(kind) + " '" + type + "' of " + owner;
}

YAML::Mark block_mark(const Location& location) {
  YAML::Mark mark;
  mark.line = location.line - 1;
  mark.column = location.column - 1;
  return mark;
}

template <class Factory>
void check_block(PluginBlock& block, PluginKind kind, const Factory* factory, const PluginRegistry& registry,
                 const std::string& owner, const std::string& file, std::vector<Diagnostic>& out) {
  if (block.type.empty()) return;  // already reported by the config reader
  if (!factory) {
    std::string available;
    for (const auto& n : registry.names(kind)) available += (available.empty() ? "" : ", ") + n;
    out.push_back({Severity::error,
                   owner + " uses " + to_string(kind) + " type '" + block.type + "', but no such plugin is loaded (loaded: " +
                       (available.empty() ? "none" : available) + "); check --plugin-dir and `driftless plugins`",
                   file, block.location.line, {}, block.location.column});
    return;
  }
  const std::size_t before = out.size();
  BlockChecker checker(file, out, block_mark(block.location));
  block.config = checker.check(*block.node, factory->config_keys(), describe(block.type, kind, owner));
  if (out.size() != before) return;
  // Let the plugin check the values; templates get a sample folder name.
  auto created = factory->create(expand_templates(block.config, "example", "clusters/example"));
  if (!created.ok())
    out.push_back({Severity::error, describe(block.type, kind, owner) + ": " + created.error().message, file,
                   block.location.line, {}, block.location.column});
}

// highAvailability.membership: a sink that keeps member leases, one place for the whole fleet.
void check_membership(PluginBlock& block, const PluginRegistry& registry, const std::string& file,
                      std::vector<Diagnostic>& out) {
  const std::size_t before = out.size();
  const std::string owner = "'membership' in 'highAvailability'";
  check_block(block, PluginKind::sink, registry.sink(block.type), registry, owner, file, out);
  if (out.size() != before) return;
  auto error = [&](std::string message) {
    out.push_back({Severity::error, owner + ": " + std::move(message), file, block.location.line, {}, block.location.column});
  };
  if (expand_templates(block.config, "", "") != block.config)
    return error("{{folder}} and {{path}} mean nothing here: every replica must name the same place");
  auto created = registry.sink(block.type)->create(block.config);
  if (created.ok() && !capability_of<Membership>(**created))
    error("sink '" + block.type + "' keeps no member leases (it has no Membership capability); use one that does, "
          "such as kube");
}

// A declaredSourceAuth entry: a loaded source type, and its `auth` block
// checked against that source's own `auth` key (paths made absolute).
void check_declared_source_auth(DeclaredSourceAuth& entry, const PluginRegistry& registry, const std::string& owner,
                                const std::string& file, std::vector<Diagnostic>& out) {
  PluginBlock& block = entry.block;
  if (block.type.empty()) return;  // reported by the config reader
  const std::string what = "'declaredSourceAuth' of " + owner;
  const SourceFactory* factory = registry.source(block.type);
  const auto keys = factory ? factory->config_keys() : std::vector<ConfigKey>{};
  auto auth = std::find_if(keys.begin(), keys.end(), [](const ConfigKey& key) { return key.name == "auth"; });
  if (auth == keys.end()) {
    out.push_back({Severity::error,
                   what + " names source type '" + block.type + "', " +
                       (factory ? "which takes no credentials (it has no 'auth' key)" : "but no such plugin is loaded"),
                   file, block.location.line, {}, block.location.column});
    return;
  }
  BlockChecker checker(file, out, block_mark(block.location));
  block.config = checker.check(*block.node, {*auth}, describe(block.type, PluginKind::source, what));
}

// A renderer whose after-apply work needs a target kind the pipeline's sink does not give.
void check_after_apply(const PipelineSpec& pipeline, const PluginRegistry& registry, const std::string& file,
                       std::vector<Diagnostic>& out) {
  const SinkFactory* sink = registry.sink(pipeline.sink.type);
  if (!sink) return;  // reported by check_block
  const std::string offered = sink->target_kind();
  for (const auto& renderer : pipeline.renderers) {
    const RendererFactory* factory = registry.renderer(renderer.type);
    const std::string needed = factory ? factory->after_apply_target() : "";
    if (needed.empty() || needed == offered) continue;
    out.push_back({Severity::error,
                   "pipeline '" + pipeline.name + "': renderer '" + renderer.type + "' works on the sink's '" + needed +
                       "' target after apply, but sink '" + pipeline.sink.type + "' " +
                       (offered.empty() ? "gives after-apply work no target" : "has a '" + offered + "' target") +
                       "; use a sink whose target is '" + needed + "' (for 'kubernetes': type: kube)",
                   file, renderer.location.line, {}, renderer.location.column});
  }
}

}  // namespace

std::vector<Diagnostic> validate_plugin_blocks(Config& config, const PluginRegistry& registry) {
  std::vector<Diagnostic> out;
  const std::string file = config.file.string();
  for (auto& source : config.sources)
    check_block(source.plugin, PluginKind::source, registry.source(source.plugin.type), registry,
                "source '" + source.name + "'", file, out);
  for (auto& pipeline : config.pipelines) {
    const std::string owner = "pipeline '" + pipeline.name + "'";
    for (auto& renderer : pipeline.renderers)
      check_block(renderer, PluginKind::renderer, registry.renderer(renderer.type), registry, owner, file, out);
    check_block(pipeline.sink, PluginKind::sink, registry.sink(pipeline.sink.type), registry, owner, file, out);
    for (auto& auth : pipeline.declared_source_auth) check_declared_source_auth(auth, registry, owner, file, out);
    check_after_apply(pipeline, registry, file, out);
  }
  if (auto& membership = config.high_availability.membership) check_membership(*membership, registry, file, out);
  return out;
}

Result<Value> check_plugin_value(const std::vector<ConfigKey>& keys, const Value& spec, const std::string& what) {
  std::vector<Diagnostic> problems;
  YAML::Node node;
  try {
    node = YAML::Load(to_yaml(spec));
  } catch (const YAML::Exception& e) {
    return fail(ErrorCode::invalid_input, what + ": " + e.msg);
  }
  Value checked = BlockChecker("", problems).check(node, keys, what);
  if (!problems.empty()) return fail(ErrorCode::invalid_input, problems.front().message);
  return checked;
}

std::string expand_templates(const std::string& text, const std::string& folder, const std::string& path) {
  std::string out = text;
  for (const auto& [placeholder, value] : {std::pair<std::string, std::string>{"{{folder}}", folder}, {"{{path}}", path}}) {
    for (auto pos = out.find(placeholder); pos != std::string::npos; pos = out.find(placeholder, pos + value.size()))
      out.replace(pos, placeholder.size(), value);
  }
  return out;
}

Value expand_templates(const Value& value, const std::string& folder, const std::string& path) {
  switch (value.type()) {
    case ValueType::string: return Value(expand_templates(value.as_string(), folder, path));
    case ValueType::array: {
      Array a;
      for (const auto& item : value.as_array()) a.push_back(expand_templates(item, folder, path));
      return Value(std::move(a));
    }
    case ValueType::object: {
      Object o;
      for (const auto& [k, v] : value.as_object()) o.set(k, expand_templates(v, folder, path));
      return Value(std::move(o));
    }
    default: return value;
  }
}

}  // namespace driftless::core
