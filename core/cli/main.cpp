// driftless: the command line. Each subcommand is a thin layer over cli/commands.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/keygen.hpp"
#include "driftless/abi.hpp"
#include "log/logging.hpp"

using namespace driftless::core;

int main(int argc, char** argv) {
  CLI::App app{"driftless: keeps clusters equal to what Git says.\n"
               "Sources (git, s3, path) are fetched, rendered by a chain of renderers (yaml,\n"
               "kustomize, ...) and applied by a sink (kube, dir), all loaded as plugins."};
  app.set_version_flag("--version", "driftless " DRIFTLESS_SDK_VERSION " (plugin ABI " DRIFTLESS_STR(DRIFTLESS_ABI_VERSION) ")");
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the command

  GlobalOptions options;
  std::string log_format = "text";
  std::string log_level = "info";
  app.add_option("--config", options.config_file, "Pipeline config file (default: $DRIFTLESS_CONFIG, else ./driftless.yaml)")
      ->type_name("FILE");
  app.add_option("--plugin-dir", options.plugin_dirs,
                 "A folder of plugin .so files, read after the bundled plugins (lib/driftless/plugins beside the "
                 "binary, else " DRIFTLESS_DEFAULT_PLUGIN_DIR "); repeat for several (default: pluginDirs from the "
                 "config, else the ':'-separated $DRIFTLESS_PLUGIN_DIR)")
      ->type_name("DIR")
      ->allow_extra_args(false);  // one folder per flag: `--plugin-dir DIR render` is not a second folder
  app.add_option("--state-dir", options.state_dir,
                 "Where mirrors, caches and state are kept (default: stateDir from the config, else "
                 "$DRIFTLESS_STATE_DIR, else ~/.local/state/driftless)")
      ->type_name("DIR");
  app.add_option("--log-format", log_format, "Log lines as text or json")->check(CLI::IsMember({"text", "json"}));
  app.add_option("--log-level", log_level, "debug, info, warning or error")
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}));

  auto output_option = [&](CLI::App* sub, const char* choices_doc) {
    sub->add_option("--output,-o", options.output, choices_doc)->check(CLI::IsMember({"text", "table", "json"}));
  };
  std::optional<std::string> pipeline;
  auto pipeline_option = [&](CLI::App* sub, const char* doc) { sub->add_option("--pipeline,-p", pipeline, doc)->type_name("NAME"); };

  auto* plugins = app.add_subcommand("plugins", "List the loaded plugins (kind, name, version, tool, file) and refused files");
  plugins->add_option("--output,-o", options.output, "table (default), json, or markdown (the config reference of every plugin)")
      ->check(CLI::IsMember({"text", "table", "json", "markdown"}));

  auto* validate = app.add_subcommand("validate", "Check the config and every plugin block against the loaded plugins");
  output_option(validate, "text (default) or json");

  auto* render = app.add_subcommand("render", "Fetch and render, print the objects as YAML (nothing is applied)");
  pipeline_option(render, "Only this pipeline (default: all)");
  output_option(render, "yaml (default, as text) or json");

  auto* diff = app.add_subcommand("diff", "Show what apply would change; exit 0 no change, 1 changes, 2 error");
  pipeline_option(diff, "Only this pipeline (default: all)");
  output_option(diff, "text (default) or json");

  auto* apply = app.add_subcommand("apply", "Run one reconcile now and print what it did");
  pipeline_option(apply, "Only this pipeline (default: all)");
  output_option(apply, "text (default) or json");

  bool once = false;
  auto* run = app.add_subcommand("run", "Run the daemon: reconcile every pipeline on its interval until SIGTERM");
  run->add_flag("--once", once, "Reconcile every pipeline once and exit (0 all ok, 1 a pipeline failed)");
  output_option(run, "with --once: text (default) or json");

  std::string target;
  auto* status = app.add_subcommand("status", "Ask the running daemon how every pipeline is: revision, state, errors");
  output_option(status, "table (default) or json");
  std::vector<std::pair<std::string, CLI::App*>> controls;
  for (const auto& [action, doc] : {std::pair<std::string, std::string>{"reconcile", "Ask the daemon to reconcile a pipeline now"},
                                    {"suspend", "Ask the daemon to stop reconciling a pipeline (kept across restarts)"},
                                    {"resume", "Ask the daemon to reconcile a suspended pipeline again"}}) {
    auto* sub = app.add_subcommand(action, doc);
    sub->add_option("pipeline", target, "The pipeline's name (see `driftless status`)")->required();
    controls.emplace_back(action, sub);
  }
  app.add_option("--server", options.server,
                 "The daemon's HOST:PORT for status/reconcile/suspend/resume (default: listen from the config, else 127.0.0.1:9797)")
      ->type_name("ADDR");

  std::string key_file;
  std::string key_comment;
  auto* keygen = app.add_subcommand("keygen", "Write an ed25519 SSH key pair for a Git deploy key; print the public half");
  keygen->add_option("--out", key_file, "Private key file (the public key goes to FILE.pub); never overwritten")
      ->required()
      ->type_name("FILE");
  keygen->add_option("--comment", key_comment, "Comment of the public key (default: driftless@<hostname>)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return e.get_exit_code() == 0 ? 0 : (code == 0 ? 0 : 2);
  }
  if (options.output == "table") options.output = "text";
  LogFormat format = LogFormat::text;
  driftless::LogLevel level = driftless::LogLevel::info;
  parse_log_format(log_format, format);
  parse_log_level(log_level, level);
  init_logging(format, level);

  if (keygen->parsed()) return command_keygen(key_file, key_comment);
  if (plugins->parsed()) return command_plugins(options);
  if (validate->parsed()) return command_validate(options);
  if (render->parsed()) return command_render(options, pipeline);
  if (diff->parsed()) return command_diff(options, pipeline);
  if (apply->parsed()) return command_apply(options, pipeline);
  if (run->parsed()) return once ? command_apply(options, std::nullopt) : command_run(options);
  if (status->parsed()) return command_status(options);
  for (const auto& [action, sub] : controls)
    if (sub->parsed()) return command_control(options, action, target);
  return 2;
}
