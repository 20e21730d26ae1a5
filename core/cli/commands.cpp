#include "cli/commands.hpp"

#include <condition_variable>
#include <csignal>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "cli/output.hpp"
#include "driftless/yaml.hpp"
#include "log/logging.hpp"

namespace driftless::core {
namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop = true; }

bool json_output(const GlobalOptions& options) { return options.output == "json"; }

Value plugins_value(const Session& session) {
  Object root;
  root.set("pluginDir", session.plugin_dir.string());
  Array plugins;
  for (const auto& p : session.registry.plugins()) {
    Object o;
    o.set("name", p.name);
    o.set("kind", to_string(p.kind));
    o.set("version", p.version);
    o.set("description", p.description);
    o.set("sdkVersion", p.sdk_version);
    o.set("compiler", p.compiler);
    o.set("path", p.file.string());
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

EngineOptions engine_options(const Session& session) {
  EngineOptions o;
  o.state_dir = session.state_dir;
  o.stop = &g_stop;
  return o;
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
            << ", " << run.objects.size() << " objects, " << (run.sink.changes.size() - unchanged) << " changed, "
            << unchanged << " unchanged (" << run.duration.count() << " ms)\n";
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
  Engine engine(*session.config, session.registry, engine_options(session));
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
  } else {
    std::vector<std::vector<std::string>> rows{{"KIND", "NAME", "VERSION", "TOOL", "PATH"}};
    for (const auto& p : session.registry.plugins()) {
      auto tool = p.factory->tool_version();
      std::string tool_text = tool.ok() ? (tool->empty() ? "-" : *tool) : "MISSING";
      rows.push_back({to_string(p.kind), p.name, p.version, tool_text, p.file.string()});
      if (!tool.ok()) std::cerr << p.file.string() << ": warning: " << tool.error().message << "\n";
    }
    std::cout << "plugin directory: " << session.plugin_dir.string() << "\n" << table(rows);
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
            << " plugins from " << session.plugin_dir.string() << ")\n";
  return 0;
}

int command_render(const GlobalOptions& options, const std::optional<std::string>& pipeline) {
  Session session;
  if (!open_valid(session, options)) return 1;
  Engine engine(*session.config, session.registry, engine_options(session));
  auto runs = engine.run(RunStage::render, pipeline);
  bool ok = true;
  if (json_output(options)) {
    print_runs_json(runs, true);
    for (const auto& run : runs) ok = ok && run.ok();
    return ok ? 0 : 1;
  }
  for (const auto& run : runs) {
    for (const auto& object : run.objects) {
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
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  auto interval = std::chrono::milliseconds::max();
  for (const auto& p : session.config->pipelines) {
    auto source_interval = session.config->find_source(p.source)->interval;
    interval = std::min(interval, p.interval.value_or(source_interval));
  }
  Engine engine(*session.config, session.registry, engine_options(session));
  Logger& log = process_logger();
  log.info("driftless started", {{"pipelines", std::to_string(session.config->pipelines.size())},
                                 {"interval_ms", std::to_string(interval.count())}});
  // Drift found by a sink's watch wakes the loop to reconcile that pipeline now.
  std::mutex drift_mutex;
  std::condition_variable drift_signal;
  std::set<std::string> drifted;
  auto on_drift = [&](const std::string& pipeline, const std::string& reason) {
    log.info("drift detected", {{"pipeline", pipeline}, {"reason", reason}});
    std::lock_guard lock(drift_mutex);
    drifted.insert(pipeline);
    drift_signal.notify_one();
  };
  auto report = [&](const std::vector<PipelineRun>& runs) {
    for (const auto& run : runs) {
      LogFields fields{{"pipeline", run.pipeline}, {"revision", run.revision},
                       {"objects", std::to_string(run.objects.size())}, {"duration_ms", std::to_string(run.duration.count())}};
      if (run.ok()) {
        log.info("reconciled", fields);
      } else {
        for (const auto* set : {&run.diagnostics, &run.sink.diagnostics})
          for (const auto& d : *set) log.error(format(d), fields);
      }
    }
  };
  while (!g_stop) {
    report(engine.run(RunStage::apply));
    engine.start_watches(on_drift);
    const auto wake = std::chrono::steady_clock::now() + interval;
    while (!g_stop && std::chrono::steady_clock::now() < wake) {
      std::set<std::string> now;
      {
        std::unique_lock lock(drift_mutex);
        drift_signal.wait_for(lock, std::chrono::milliseconds(100), [&] { return !drifted.empty(); });
        now.swap(drifted);
      }
      for (const auto& pipeline : now) report(engine.run(RunStage::apply, pipeline));
    }
  }
  log.info("driftless stopped");
  return 0;
}

}  // namespace driftless::core
