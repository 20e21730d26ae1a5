#include "cli/commands.hpp"

#include <httplib.h>

#include <algorithm>
#include <iostream>

#include "cli/output.hpp"
#include "cli/reference.hpp"
#include "daemon/api_access.hpp"
#include "daemon/daemon.hpp"
#include "driftless/toolkit/yaml.hpp"
#include "log/logging.hpp"

namespace driftless::core {
namespace {

std::atomic<bool> g_stop{false};  // one-shot commands are not stopped early

bool json_output(const GlobalOptions& options) { return options.output == "json"; }

Value plugins_value(const Session& session) {
  Object root;
  Array dirs;
  for (const auto& dir : session.plugin_dirs) dirs.emplace_back(dir.string());
  root.set("pluginDirs", std::move(dirs));
  Array plugins;
  for (const auto* plugin : session.registry.by_kind()) {
    const LoadedPlugin& p = *plugin;
    Object o;
    o.set("name", p.name);
    o.set("kind", to_string(p.kind));
    o.set("version", p.version);
    o.set("description", p.description);
    o.set("sdkVersion", p.sdk_version);
    o.set("compiler", p.compiler);
    o.set("path", p.file.string());
    o.set("configKeys", config_keys_value(p.factory->config_keys()));
    auto tool = p.factory->tool_version();
    if (!tool.ok()) o.set("toolError", tool.error().message);
    else if (!tool->empty()) o.set("tool", *tool);
    plugins.emplace_back(std::move(o));
  }
  root.set("plugins", std::move(plugins));
  Array problems;
  for (const auto& p : session.registry.problems()) {
    Object o;
    o.set("file", p.file.string());
    o.set("message", p.message);
    problems.emplace_back(std::move(o));
  }
  root.set("problems", std::move(problems));
  return Value(std::move(root));
}

// "/usr/lib/driftless/plugins, /opt/team-plugins": the folders plugins were read from, in order.
std::string folders_text(const Session& session) {
  std::string out;
  for (const auto& dir : session.plugin_dirs) out += (out.empty() ? "" : ", ") + dir.string();
  return out;
}

void print_plugin_problems(const Session& session) {
  for (const auto& p : session.registry.problems()) std::cerr << p.file.string() << ": error: " << p.message << "\n";
}

// Opens a session that needs a valid config; prints why not and returns false.
bool open_valid(Session& session, const GlobalOptions& options) {
  open_session(session, options, true);
  if (session.config) return true;
  print_plugin_problems(session);
  print_diagnostics(session.diagnostics);
  std::cerr << "driftless: the config " << session.config_file.string() << " has errors; nothing was done\n";
  return false;
}

void print_run_text(const PipelineRun& run) {
  for (const auto& c : run.sink.changes) {
    if (c.action == ChangeAction::unchanged) continue;
    std::cout << run.pipeline << ": " << to_string(c.action) << " " << c.id << "\n";
    if (!c.detail.empty()) std::cout << c.detail << (c.detail.back() == '\n' ? "" : "\n");
  }
  std::size_t unchanged = 0;
  for (const auto& c : run.sink.changes) unchanged += c.action == ChangeAction::unchanged;
  std::cout << run.pipeline << ": " << (run.ok() ? "ok" : "failed") << " at " << (run.revision.empty() ? "-" : run.revision)
            << ", " << run.objects().size() << " objects, " << (run.sink.changes.size() - unchanged) << " changed, "
            << unchanged << " unchanged"
            << (run.declared > 0 ? ", " + std::to_string(run.declared) + " declared pipeline(s)" : std::string())
            << " (" << run.duration.count() << " ms)\n";
  print_diagnostics(run.diagnostics);
  print_diagnostics(run.sink.diagnostics);
}

bool has_changes(const PipelineRun& run) {
  for (const auto& c : run.sink.changes)
    if (c.action != ChangeAction::unchanged && c.action != ChangeAction::skipped) return true;
  return false;
}

void print_runs_json(const std::vector<PipelineRun>& runs, bool with_objects) {
  Array list;
  for (const auto& run : runs) list.push_back(to_value(run, with_objects));
  Object root;
  root.set("pipelines", std::move(list));
  std::cout << to_json(Value(std::move(root))) << "\n";
}

// Shared by diff, apply and run --once.
std::vector<PipelineRun> reconcile(const Session& session, RunStage stage, const std::optional<std::string>& pipeline,
                                   const GlobalOptions& options) {
  Engine engine(*session.config, session.registry, session.engine_options(&g_stop));
  auto runs = engine.run(stage, pipeline);
  if (json_output(options)) print_runs_json(runs, false);
  else for (const auto& run : runs) print_run_text(run);
  return runs;
}

}  // namespace

int command_plugins(const GlobalOptions& options) {
  Session session;
  open_session(session, options, false);
  if (json_output(options)) {
    std::cout << to_json(plugins_value(session)) << "\n";
  } else if (options.output == "markdown") {
    std::cout << config_reference_markdown(session.registry);
  } else {
    std::vector<std::vector<std::string>> rows{{"KIND", "NAME", "VERSION", "TOOL", "PATH"}};
    for (const auto* p : session.registry.by_kind()) {
      auto tool = p->factory->tool_version();
      std::string tool_text = tool.ok() ? (tool->empty() ? "-" : *tool) : "MISSING";
      rows.push_back({to_string(p->kind), p->name, p->version, tool_text, p->file.string()});
      if (!tool.ok()) std::cerr << p->file.string() << ": warning: " << tool.error().message << "\n";
    }
    std::cout << "plugin folders: " << folders_text(session) << "\n" << table(rows);
    print_plugin_problems(session);
  }
  return session.registry.problems().empty() ? 0 : 1;
}

int command_validate(const GlobalOptions& options) {
  Session session;
  open_session(session, options, true);
  const bool ok = session.config && session.registry.problems().empty();
  if (json_output(options)) {
    Object root;
    root.set("config", session.config_file.string());
    root.set("valid", ok);
    Array diagnostics;
    for (const auto& d : session.diagnostics) diagnostics.push_back(to_value(d));
    for (const auto& p : session.registry.problems())
      diagnostics.push_back(to_value(Diagnostic{Severity::error, p.message, p.file.string(), 0, {}}));
    root.set("diagnostics", std::move(diagnostics));
    std::cout << to_json(Value(std::move(root))) << "\n";
    return ok ? 0 : 1;
  }
  print_plugin_problems(session);
  print_diagnostics(session.diagnostics);
  if (!ok) {
    std::cerr << "driftless: " << session.config_file.string() << " is not valid\n";
    return 1;
  }
  std::cout << session.config_file.string() << ": valid (" << session.config->sources.size() << " sources, "
            << session.config->pipelines.size() << " pipelines, " << session.registry.plugins().size()
            << " plugins from " << folders_text(session) << ")\n";
  return 0;
}

int command_render(const GlobalOptions& options, const std::optional<std::string>& pipeline) {
  Session session;
  if (!open_valid(session, options)) return 1;
  Engine engine(*session.config, session.registry, session.engine_options(&g_stop));
  auto runs = engine.run(RunStage::render, pipeline);
  bool ok = true;
  if (json_output(options)) {
    print_runs_json(runs, true);
    for (const auto& run : runs) ok = ok && run.ok();
    return ok ? 0 : 1;
  }
  for (const auto& run : runs) {
    for (const auto& object : run.objects()) {
      std::cout << "---\n# pipeline: " << run.pipeline << ", source: " << object.origin.file << "\n";
      std::cout << to_yaml(object.body);
    }
    print_diagnostics(run.diagnostics);
    ok = ok && run.ok();
  }
  return ok ? 0 : 1;
}

int command_diff(const GlobalOptions& options, const std::optional<std::string>& pipeline) {
  Session session;
  if (!open_valid(session, options)) return 2;
  auto runs = reconcile(session, RunStage::diff, pipeline, options);
  bool changes = false;
  for (const auto& run : runs) {
    if (!run.ok()) return 2;
    changes = changes || has_changes(run);
  }
  return changes ? 1 : 0;
}

int command_apply(const GlobalOptions& options, const std::optional<std::string>& pipeline) {
  Session session;
  if (!open_valid(session, options)) return 1;
  auto runs = reconcile(session, RunStage::apply, pipeline, options);
  for (const auto& run : runs)
    if (!run.ok()) return 1;
  return 0;
}

int command_run(const GlobalOptions& options) {
  Session session;
  if (!open_valid(session, options)) return 1;
  return Daemon(session).run();
}

namespace {

// What the commands that talk to the daemon need from the config: `listen`
// and `api`. Only the config's structure is read: no plugin needs loading.
Config client_config(const GlobalOptions& options) {
  const auto file = config_file_of(options);
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return Config();
  ConfigLoad load = load_config(file);
  return load.config ? *load.config : Config();
}

// The daemon's address: --server, else `listen` from the config, else the default.
std::string daemon_address(const GlobalOptions& options, const Config& config) {
  return options.server.empty() ? config.listen : options.server;
}

std::string base_url(const std::string& address) {
  return address.rfind("http://", 0) == 0 ? address : "http://" + address;
}

}  // namespace

int command_status(const GlobalOptions& options) {
  const std::string address = daemon_address(options, client_config(options));
  httplib::Client client(base_url(address));
  client.set_connection_timeout(5);
  auto res = client.Get("/api/v1/pipelines");
  if (!res || res->status != 200) {
    std::cerr << "driftless: no daemon answers at " << address
              << " (start it with `driftless run`, or pass --server HOST:PORT)\n";
    return 2;
  }
  if (json_output(options)) {
    std::cout << res->body;
    return 0;
  }
  auto parsed = parse_json(res->body);
  if (!parsed.ok()) {
    std::cerr << "driftless: unexpected answer from " << address << "\n";
    return 2;
  }
  // With highAvailability: which replica this is, its fellows, and who acts on each pipeline.
  const Value* replica = parsed->find("replica");
  if (replica && replica->is_object()) {
    std::cout << "replica " << replica->string_or("identity") << " (mode " << replica->string_or("mode") << ") acts on "
              << replica->find("leads")->as_int() << " pipeline(s)";
    if (replica->string_or("mode") == "shard") {
      std::string members;
      for (const auto& m : replica->find("members")->as_array()) members += (members.empty() ? "" : ", ") + m.as_string();
      std::cout << "; " << replica->find("memberCount")->as_int() << " member(s): " << members;
    }
    std::cout << "\n\n";
  }
  const Array& pipelines = parsed->find("pipelines")->as_array();
  // Where each pipeline's sink writes, when any sink says.
  const bool clusters = std::any_of(pipelines.begin(), pipelines.end(), [](const Value& p) { return !p.string_or("cluster").empty(); });
  std::vector<std::vector<std::string>> rows{{"PIPELINE", "STATE", "REVISION", "OBJECTS", "LAST ATTEMPT", "MESSAGE"}};
  if (replica) rows.front().insert(rows.front().begin() + 2, "REPLICA");
  if (clusters) rows.front().insert(rows.front().begin() + 2, "CLUSTER");
  std::vector<std::vector<std::string>> items{{"PIPELINE", "ITEM", "STATE", "DETAIL", "ERROR"}};
  bool all_ready = true;
  for (const auto& p : pipelines) {
    const auto& errors = p.find("errors")->as_array();
    rows.push_back({p.string_or("name"), p.string_or("state"), p.string_or("revision", "-"),
                    std::to_string(p.find("objects")->as_int()), p.string_or("lastAttempt", "-"),
                    errors.empty() ? p.string_or("message") : errors.front().as_string()});
    if (replica) rows.back().insert(rows.back().begin() + 2, p.string_or("replica", "-"));
    if (clusters) rows.back().insert(rows.back().begin() + 2, p.string_or("cluster").empty() ? "-" : p.string_or("cluster"));
    // A removed folder's pipeline is finished, not failing; its message says what became of its objects.
    const std::string state = p.string_or("state");
    all_ready = all_ready && (state == "ready" || state == "suspended" || state == "standby" || state == "removed");
    if (const Value* list = p.find("items"); list && list->is_array())
      for (const auto& item : list->as_array())
        items.push_back({p.string_or("name"), item.string_or("id"), item.string_or("state"), item.string_or("detail"),
                         item.string_or("error")});
  }
  std::cout << table(rows);
  // Things the pipelines keep besides plain objects (Helm releases), one per line.
  if (items.size() > 1) std::cout << "\n" << table(items);
  return all_ready ? 0 : 1;
}

int command_control(const GlobalOptions& options, const std::string& action, const std::string& pipeline) {
  const Config config = client_config(options);
  const std::string address = daemon_address(options, config);
  const std::string token = read_api_token(config.api);
  httplib::Client client(base_url(address));
  client.set_connection_timeout(5);
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  auto res = client.Post(("/api/v1/pipelines/" + pipeline + "/" + action).c_str(), headers, "{}", "application/json");
  if (!res) {
    std::cerr << "driftless: no daemon answers at " << address << " (pass --server HOST:PORT)\n";
    return 2;
  }
  auto parsed = parse_json(res->body);
  const std::string text = parsed.ok() ? parsed->string_or("message") : res->body;
  (res->status < 300 ? std::cout : std::cerr) << text << "\n";
  if (res->status == 401 && token.empty())
    std::cerr << "driftless: no API token here: set api.tokenFile in the config (--config), or the variable "
              << config.api.token_env << "\n";
  return res->status < 300 ? 0 : 1;
}

}  // namespace driftless::core
