// Reads the config file's structure with yaml-cpp (small files, and it gives
// line and column for every node). Plugin keys are checked later, against the
// plugins' own declared keys (plugin_blocks.cpp).
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "config/config.hpp"
#include "config/yaml_node.hpp"
#include "driftless/toolkit/files.hpp"
#include "log/logging.hpp"

namespace driftless::core {

const SourceSpec* Config::find_source(const std::string& name) const {
  for (const auto& s : sources)
    if (s.name == name) return &s;
  return nullptr;
}

namespace {

constexpr const char* kApiVersion = "driftless.dev/v1alpha1";
constexpr std::size_t kMaxLabelValue = 256;

bool label_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

// Where `key` of `map` is, or the map itself when the key is missing: the
// Mark() of a missing key's node throws (a pipeline without a name once
// crashed `driftless validate`).
YAML::Mark mark_of(const YAML::Node& map, const std::string& key) {
  const YAML::Node value = map[key];
  return value ? value.Mark() : map.Mark();
}

class ConfigReader {
 public:
  explicit ConfigReader(std::filesystem::path file) : file_(std::move(file)) {}

  ConfigLoad read(const std::string& text) {
    ConfigLoad out;
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      error(e.mark, "YAML syntax error: " + e.msg);
      out.diagnostics = std::move(diagnostics_);
      return out;
    }
    if (!root.IsMap()) {
      error(root.Mark(), "the config must be a mapping with apiVersion, kind, sources and pipelines");
      out.diagnostics = std::move(diagnostics_);
      return out;
    }
    Config config;
    config.file = std::filesystem::absolute(file_);
    // Configs written before plugin folders became a list name the old key: say what it became.
    if (root["pluginDir"])
      error(mark_of(root, "pluginDir"), "'pluginDir' is now 'pluginDirs', a list of folders searched after the bundled "
                                        "plugins: write pluginDirs: [" + root["pluginDir"].as<std::string>("...") + "]");
    allow_keys(root, "the config", {"apiVersion", "kind", "pluginDir", "pluginDirs", "stateDir", "listen", "api", "auditLog", "concurrency",
                                    "webhooks", "notifications", "highAvailability", "sources", "pipelines"});
    expect_value(root, "apiVersion", kApiVersion);
    expect_value(root, "kind", "Config");
    config.plugin_dirs = path_list(root, "pluginDirs");
    config.state_dir = path_value(root, "stateDir");
    config.audit_log = path_value(root, "auditLog");
    if (std::string listen = scalar(root, "listen", false, "the config"); !listen.empty()) {
      if (listen.rfind(':') == std::string::npos) error(mark_of(root, "listen"), "'listen' must be HOST:PORT, e.g. 127.0.0.1:9797");
      config.listen = listen;
    }
    if (std::string n = scalar(root, "concurrency", false, "the config"); !n.empty()) {
      if (n.find_first_not_of("0123456789") != std::string::npos || n.size() > 4 || std::stoi(n) < 1)
        error(mark_of(root, "concurrency"), "'concurrency' must be a whole number from 1 to 9999");
      else config.concurrency = static_cast<std::size_t>(std::stoi(n));
    }

    if (auto sources = root["sources"]; sources && !sources.IsNull()) {
      if (!sources.IsSequence()) error(sources.Mark(), "'sources' must be a list");
      else for (const auto& s : sources) read_source(s, config);
    }
    if (auto pipelines = root["pipelines"]; pipelines && !pipelines.IsNull()) {
      if (!pipelines.IsSequence()) error(pipelines.Mark(), "'pipelines' must be a list");
      else for (const auto& p : pipelines) read_pipeline(p, config);
    } else {
      error(root.Mark(), "the config has no 'pipelines'; add at least one pipeline");
    }
    read_list(root, "webhooks", [&](const YAML::Node& n) { read_webhook(n, config); });
    read_list(root, "notifications", [&](const YAML::Node& n) { read_notification(n, config); });
    if (auto ha = root["highAvailability"]; ha && !ha.IsNull()) read_high_availability(ha, config.high_availability);
    if (auto api = root["api"]; api && !api.IsNull()) read_api(api, config.api);
    if (!has_errors(diagnostics_)) out.config = std::move(config);
    out.diagnostics = std::move(diagnostics_);
    return out;
  }

 private:
  Location where(const YAML::Mark& mark) const { return yaml_location(file_, mark); }

  void error(const YAML::Mark& mark, std::string message) {
    diagnostics_.push_back(located_error(file_, mark, std::move(message)));
  }

  void allow_keys(const YAML::Node& map, const std::string& what, std::set<std::string> keys) {
    for (const auto& kv : map) {
      std::string key = kv.first.Scalar();
      if (!keys.count(key)) {
        std::string allowed;
        for (const auto& k : keys) allowed += (allowed.empty() ? "" : ", ") + k;
        error(kv.first.Mark(), "unknown key '" + key + "' in " + what + " (allowed: " + allowed + ")");
      }
    }
  }

  std::string scalar(const YAML::Node& map, const std::string& key, bool required, const std::string& what) {
    YAML::Node n = map[key];
    if (!n || n.IsNull()) {
      if (required) error(map.Mark(), what + " needs '" + key + "'");
      return {};
    }
    if (!n.IsScalar()) {
      error(n.Mark(), "'" + key + "' in " + what + " must be a single value");
      return {};
    }
    return n.Scalar();
  }

  // Names end up in log lines and in the line-based state files.
  std::string name(const YAML::Node& map, const std::string& what) {
    std::string value = scalar(map, "name", true, what);
    if (!has_control_characters(value)) return value;
    error(map["name"].Mark(), "the name of " + what + " ('" + escape_control_characters(value) +
                                  "') holds a control character; names are written to logs and state files one per line");
    return escape_control_characters(value);
  }

  void expect_value(const YAML::Node& map, const std::string& key, const std::string& expected) {
    std::string got = scalar(map, key, true, "the config");
    if (!got.empty() && got != expected)
      error(mark_of(map, key), "'" + key + "' is '" + got + "'; this driftless reads '" + expected + "'");
  }

  std::string path_value(const YAML::Node& map, const std::string& key) {
    std::string value = scalar(map, key, false, "the config");
    return value.empty() ? value : beside_config(value);
  }

  // A path from the config: a relative one is relative to the config file's folder.
  std::string beside_config(const std::string& path) const {
    std::filesystem::path p(path);
    if (p.is_relative()) p = std::filesystem::absolute(file_).parent_path() / p;
    return p.lexically_normal().string();
  }

  std::vector<std::string> path_list(const YAML::Node& map, const std::string& key) {
    std::vector<std::string> out;
    YAML::Node list = map[key];
    if (!list || list.IsNull()) return out;
    if (!list.IsSequence()) {
      error(list.Mark(), "'" + key + "' must be a list of folders, e.g. [/usr/local/lib/driftless/plugins]");
      return out;
    }
    for (const auto& item : list) {
      if (!item.IsScalar() || item.Scalar().empty()) {
        error(item.Mark(), "each entry of '" + key + "' must be a folder");
        continue;
      }
      out.push_back(beside_config(item.Scalar()));
    }
    return out;
  }

  bool boolean(const YAML::Node& map, const std::string& key, const std::string& what) {
    const std::string text = scalar(map, key, false, what);
    if (text.empty() || text == "false") return false;
    if (text == "true") return true;
    error(mark_of(map, key), "'" + key + "' in " + what + " is '" + text + "'; write true or false");
    return false;
  }

  std::optional<std::chrono::milliseconds> duration(const YAML::Node& map, const std::string& what,
                                                    const std::string& key = "interval") {
    std::string text = scalar(map, key, false, what);
    if (text.empty()) return std::nullopt;
    auto d = parse_duration(text);
    if (!d) error(mark_of(map, key), "'" + key + "' in " + what + " is '" + text + "'; write a duration such as 30s, 5m or 1h");
    return d;
  }

  // A plugin block: `type` plus the plugin's own keys (checked later).
  PluginBlock plugin_block(const YAML::Node& node, const std::string& what, std::set<std::string> core_keys) {
    PluginBlock block;
    block.location = where(node.Mark());
    if (node.IsScalar()) {  // shorthand: "- yaml"
      block.type = node.Scalar();
      block.node = std::make_shared<YAML::Node>(YAML::Node(YAML::NodeType::Map));
      return block;
    }
    if (!node.IsMap()) {
      error(node.Mark(), what + " must be a mapping with a 'type'");
      return block;
    }
    block.type = scalar(node, "type", true, what);
    YAML::Node own(YAML::NodeType::Map);
    for (const auto& kv : node) {
      std::string key = kv.first.Scalar();
      if (key != "type" && !core_keys.count(key)) own[kv.first] = kv.second;
    }
    block.node = std::make_shared<YAML::Node>(own);
    return block;
  }

  template <class F>
  void read_list(const YAML::Node& root, const std::string& key, F&& read) {
    YAML::Node list = root[key];
    if (!list || list.IsNull()) return;
    if (!list.IsSequence()) {
      error(list.Mark(), "'" + key + "' must be a list");
      return;
    }
    for (const auto& item : list) {
      if (!item.IsMap()) error(item.Mark(), "each entry of '" + key + "' must be a mapping");
      else read(item);
    }
  }

  void read_webhook(const YAML::Node& node, Config& config) {
    WebhookSpec hook;
    hook.location = where(node.Mark());
    allow_keys(node, "a webhook", {"name", "type", "secretFile", "sources"});
    hook.name = name(node, "a webhook");
    const std::string what = "webhook '" + hook.name + "'";
    hook.type = scalar(node, "type", true, what);
    if (!hook.type.empty() && hook.type != "github" && hook.type != "gitlab" && hook.type != "generic")
      error(mark_of(node, "type"), "'type' of " + what + " is '" + hook.type + "'; choose github, gitlab or generic");
    hook.secret_file = path_value(node, "secretFile");
    if (hook.secret_file.empty()) error(node.Mark(), what + " needs 'secretFile': unsigned webhooks are not accepted");
    if (auto sources = node["sources"]; sources && sources.IsSequence())
      for (const auto& s : sources) hook.sources.push_back(s.Scalar());
    for (const auto& s : hook.sources)
      if (!config.find_source(s) && !s.empty())
        error(mark_of(node, "sources"), what + " names source '" + s + "', which is not defined");
    for (const auto& other : config.webhooks)
      if (other.name == hook.name) error(mark_of(node, "name"), "a webhook named '" + hook.name + "' is already defined");
    config.webhooks.push_back(std::move(hook));
  }

  void read_notification(const YAML::Node& node, Config& config) {
    NotificationSpec n;
    n.location = where(node.Mark());
    allow_keys(node, "a notification", {"url", "format"});
    n.url = scalar(node, "url", true, "a notification");
    if (!n.url.empty() && n.url.rfind("http://", 0) != 0 && n.url.rfind("https://", 0) != 0)
      error(mark_of(node, "url"), "the notification url must start with http:// or https://");
    if (std::string format = scalar(node, "format", false, "a notification"); !format.empty()) {
      if (format != "json" && format != "slack") error(mark_of(node, "format"), "'format' must be json or slack");
      n.format = format;
    }
    config.notifications.push_back(std::move(n));
  }

  // A nested block such as 'api': a mapping of only these keys. False when it is no mapping.
  bool block_of(const YAML::Node& node, const std::string& what, const std::set<std::string>& keys) {
    if (!node.IsMap()) {
      std::string names;
      for (const auto& k : keys) names += (names.empty() ? "" : ", ") + k;
      error(node.Mark(), what + " must be a mapping of " + names);
      return false;
    }
    allow_keys(node, what, keys);
    return true;
  }

  void read_api(const YAML::Node& node, ApiSpec& api) {
    const std::string what = "'api'";
    api.location = where(node.Mark());
    if (!block_of(node, what, {"tokenFile", "tokenEnv", "allowedHosts"})) return;
    api.token_file = path_value(node, "tokenFile");
    if (std::string env = scalar(node, "tokenEnv", false, what); !env.empty()) api.token_env = env;
    if (auto hosts = node["allowedHosts"]; hosts && !hosts.IsNull()) {
      if (!hosts.IsSequence()) error(hosts.Mark(), "'allowedHosts' in " + what + " must be a list of host names");
      else for (const auto& h : hosts) api.allowed_hosts.push_back(h.Scalar());
    }
  }

  void read_high_availability(const YAML::Node& node, HighAvailabilitySpec& ha) {
    const std::string what = "'highAvailability'";
    ha.location = where(node.Mark());
    if (!block_of(node, what, {"enabled", "mode", "membership", "identity", "leaseDuration", "renewInterval"})) return;
    ha.enabled = boolean(node, "enabled", what);
    if (std::string mode = scalar(node, "mode", false, what); mode == "shard") ha.mode = HaMode::shard;
    else if (!mode.empty() && mode != "standby")
      error(mark_of(node, "mode"), "'mode' in " + what + " is '" + mode + "'; write standby or shard");
    if (auto membership = node["membership"]; membership && !membership.IsNull()) {
      if (ha.mode != HaMode::shard) error(membership.Mark(), "'membership' in " + what + " is only for mode: shard");
      else ha.membership = plugin_block(membership, "'membership' in " + what, {});
    } else if (ha.mode == HaMode::shard) {
      error(node.Mark(), what + " with mode: shard needs 'membership': the sink that keeps the replicas' member leases, "
                                "e.g. {type: kube, kubeconfig: ..., leaseNamespace: driftless}");
    }
    ha.identity = scalar(node, "identity", false, what);
    if (auto d = duration(node, what, "leaseDuration")) ha.lease_duration = *d;
    if (auto d = duration(node, what, "renewInterval")) ha.renew_interval = *d;
    // Leases count whole seconds; a renewal must land well before expiry.
    if (ha.lease_duration < std::chrono::seconds(2))
      error(mark_of(node, "leaseDuration"), "'leaseDuration' in " + what + " must be at least 2s");
    else if (ha.renew_interval * 2 > ha.lease_duration)
      error(node.Mark(), "'renewInterval' in " + what + " must be at most half of 'leaseDuration', so one failed renewal "
                                                          "does not lose the lease");
  }

  void read_source(const YAML::Node& node, Config& config) {
    if (!node.IsMap()) {
      error(node.Mark(), "each source must be a mapping with name and type");
      return;
    }
    SourceSpec spec;
    spec.location = where(node.Mark());
    spec.name = name(node, "a source");
    const std::string what = "source '" + spec.name + "'";
    if (auto d = duration(node, what)) spec.interval = *d;
    spec.plugin = plugin_block(node, what, {"name", "interval"});
    if (!spec.name.empty() && config.find_source(spec.name))
      error(mark_of(node, "name"), "a source named '" + spec.name + "' is already defined; names must be unique");
    config.sources.push_back(std::move(spec));
  }

  void read_pipeline(const YAML::Node& node, Config& config) {
    if (!node.IsMap()) {
      error(node.Mark(), "each pipeline must be a mapping with name, source, renderers and sink");
      return;
    }
    PipelineSpec spec;
    spec.location = where(node.Mark());
    allow_keys(node, "a pipeline", {"name", "source", "path", "forEachFolder", "pruneOnFolderRemoval", "allowDeclaredSources",
                                      "declaredSourceAuth", "interval", "retryInterval", "labels", "renderers", "sink"});
    spec.name = name(node, "a pipeline");
    const std::string what = "pipeline '" + spec.name + "'";
    spec.source = scalar(node, "source", true, what);
    spec.path = scalar(node, "path", false, what);
    spec.for_each_folder = scalar(node, "forEachFolder", false, what);
    spec.interval = duration(node, what);
    spec.retry_interval = duration(node, what, "retryInterval");
    spec.prune_on_folder_removal = boolean(node, "pruneOnFolderRemoval", what);
    spec.allow_declared_sources = boolean(node, "allowDeclaredSources", what);
    read_list(node, "declaredSourceAuth", [&](const YAML::Node& n) { read_declared_source_auth(n, what, spec); });
    if (!spec.declared_source_auth.empty() && !spec.allow_declared_sources)
      error(mark_of(node, "declaredSourceAuth"), what + " sets 'declaredSourceAuth' without 'allowDeclaredSources: true'; "
                                                        "the credentials would never be used");
    if (auto labels = node["labels"]; labels && !labels.IsNull()) read_labels(labels, what, spec.labels);
    if (spec.prune_on_folder_removal && spec.for_each_folder.empty())
      error(mark_of(node, "pruneOnFolderRemoval"), what + " sets 'pruneOnFolderRemoval' without 'forEachFolder'; it only applies to folder pipelines");
    if (!spec.path.empty() && !spec.for_each_folder.empty())
      error(mark_of(node, "path"), what + " sets both 'path' and 'forEachFolder'; use one");
    // Normalised once, here: everything downstream compares these as strings.
    for (auto [key, value] : {std::pair<const char*, std::string*>{"path", &spec.path}, {"forEachFolder", &spec.for_each_folder}}) {
      if (auto normal = join_inside("", *value)) *value = *normal;
      else error(mark_of(node, key), "'" + std::string(key) + "' in " + what + " is '" + *value +
                                       "'; it must be a relative path that stays inside the source");
    }
    if (!spec.source.empty() && !config.find_source(spec.source))
      error(mark_of(node, "source"), what + " uses source '" + spec.source + "', which is not defined under 'sources'");
    if (!spec.for_each_folder.empty() && spec.name.find("{{folder}}") == std::string::npos)
      error(mark_of(node, "name"), what + " uses forEachFolder, so its name must contain {{folder}} to stay unique");
    if (auto renderers = node["renderers"]; renderers && !renderers.IsNull()) {
      if (!renderers.IsSequence() || renderers.size() == 0) error(renderers.Mark(), "'renderers' in " + what + " must be a non-empty list");
      else for (const auto& r : renderers) spec.renderers.push_back(plugin_block(r, "a renderer of " + what, {}));
    } else {
      // auto: plain YAML, kustomize, Helm charts, Flux and Argo CD objects, each where the folder holds them.
      PluginBlock automatic;
      automatic.type = "auto";
      automatic.node = std::make_shared<YAML::Node>(YAML::Node(YAML::NodeType::Map));
      automatic.location = spec.location;
      spec.renderers.push_back(std::move(automatic));
    }
    if (auto sink = node["sink"]; sink) spec.sink = plugin_block(sink, "the sink of " + what, {});
    else error(node.Mark(), what + " needs a 'sink'");
    for (const auto& other : config.pipelines)
      if (!spec.name.empty() && other.name == spec.name)
        error(mark_of(node, "name"), "a pipeline named '" + spec.name + "' is already defined; names must be unique");
    config.pipelines.push_back(std::move(spec));
  }

  // One entry of declaredSourceAuth: {type, urlPrefix, auth}; the auth block
  // is checked against the source plugin's own `auth` key with the other blocks.
  void read_declared_source_auth(const YAML::Node& node, const std::string& what, PipelineSpec& spec) {
    const std::string entry = "an entry of 'declaredSourceAuth' in " + what;
    DeclaredSourceAuth auth;
    auth.block = plugin_block(node, entry, {"urlPrefix"});
    auth.url_prefix = scalar(node, "urlPrefix", true, entry);
    const auto scheme = auth.url_prefix.find("://");
    if (!auth.url_prefix.empty() && (scheme == std::string::npos || scheme == 0 || scheme + 3 == auth.url_prefix.size()))
      error(mark_of(node, "urlPrefix"), "'urlPrefix' of " + entry + " is '" + auth.url_prefix +
                                            "'; it must be a URL with a scheme and a host, such as https://git.example.com/team/");
    if (!node["auth"]) error(node.Mark(), entry + " needs 'auth', the credentials to lend");
    spec.declared_source_auth.push_back(std::move(auth));
  }

  // A pipeline's labels: label keys to strings of at most kMaxLabelValue bytes.
  void read_labels(const YAML::Node& node, const std::string& what, std::map<std::string, std::string>& labels) {
    if (!node.IsMap()) {
      error(node.Mark(), "'labels' in " + what + " must be a mapping of keys to strings, e.g. {team: web}");
      return;
    }
    for (const auto& kv : node) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
      if (std::string problem = label_key_problem(key); !problem.empty()) {
        error(kv.first.Mark(), "the label key '" + escape_control_characters(key) + "' of " + what + " " + problem);
        continue;
      }
      if (!kv.second.IsScalar()) {
        error(kv.second.Mark(), "the label '" + key + "' of " + what + " must be a string");
        continue;
      }
      const std::string& value = kv.second.Scalar();
      if (value.size() > kMaxLabelValue || has_control_characters(value)) {
        error(kv.second.Mark(), "the label '" + key + "' of " + what + " must be a string of at most " +
                                    std::to_string(kMaxLabelValue) + " bytes without control characters");
        continue;
      }
      labels[key] = value;
    }
  }

  std::filesystem::path file_;
  std::vector<Diagnostic> diagnostics_;
};

}  // namespace

ConfigLoad parse_config(const std::string& text, const std::filesystem::path& file) {
  return ConfigReader(file).read(text);
}

ConfigLoad load_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    ConfigLoad out;
    out.diagnostics.push_back({Severity::error,
                               "cannot read the config file; pass --config FILE or set DRIFTLESS_CONFIG",
                               file.string(), 0, {}});
    return out;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_config(buffer.str(), file);
}

std::string label_key_problem(std::string_view key) {
  const auto slash = key.rfind('/');
  const std::string_view prefix = slash == std::string_view::npos ? std::string_view() : key.substr(0, slash);
  const std::string_view name = slash == std::string_view::npos ? key : key.substr(slash + 1);
  if (name.empty() || name.size() > 63)
    return "must end in a name of 1 to 63 characters (an optional prefix and '/' before it)";
  if (!std::isalnum(static_cast<unsigned char>(name.front())) || !std::isalnum(static_cast<unsigned char>(name.back())) ||
      !std::all_of(name.begin(), name.end(), label_name_char))
    return "must end in a name of letters, digits, '-', '_' and '.' that starts and ends with a letter or digit";
  if (slash == std::string_view::npos) return "";
  auto lower_alnum = [](char c) { return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)); };
  if (prefix.empty() || prefix.size() > 253 || !lower_alnum(prefix.front()) || !lower_alnum(prefix.back()) ||
      !std::all_of(prefix.begin(), prefix.end(), [&](char c) { return lower_alnum(c) || c == '-' || c == '.'; }))
    return "has a prefix that is not a DNS subdomain (lowercase letters, digits, '-' and '.', at most 253)";
  return "";
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  // A sequence of <number><unit> with units h, m, s, ms (as Go's time.ParseDuration).
  long long total = 0;
  std::size_t i = 0;
  if (text.empty()) return std::nullopt;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start || i - start > 9) return std::nullopt;
    long long n = std::stoll(std::string(text.substr(start, i - start)));
    std::size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    if (unit == "ms") total += n;
    else if (unit == "s") total += n * 1000;
    else if (unit == "m") total += n * 60 * 1000;
    else if (unit == "h") total += n * 3600 * 1000;
    else return std::nullopt;
  }
  if (total <= 0) return std::nullopt;
  return std::chrono::milliseconds(total);
}

}  // namespace driftless::core
