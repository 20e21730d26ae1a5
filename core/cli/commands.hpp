// The driftless commands. Each returns the process exit code.
#pragma once

#include <optional>
#include <string>

#include "session/session.hpp"

namespace driftless::core {

/// Options shared by all commands: where the session is, and how to talk.
struct GlobalOptions : SessionOptions {
  std::string output = "text";  ///< --output text|json (table is an alias of text)
  std::string server;           ///< --server: the daemon's HOST:PORT for status, reconcile, ...
};

/// `driftless plugins`: what was loaded, from where; 1 when a file was refused.
int command_plugins(const GlobalOptions& options);
/// `driftless validate`: config and plugins; 0 valid, 1 problems.
int command_validate(const GlobalOptions& options);
/// `driftless render`: rendered objects as YAML (or JSON); 0 ok, 1 problems.
int command_render(const GlobalOptions& options, const std::optional<std::string>& pipeline);
/// `driftless diff`: 0 no change, 1 changes, 2 error.
int command_diff(const GlobalOptions& options, const std::optional<std::string>& pipeline);
/// `driftless apply` and `driftless run --once`: one reconcile; 0 ok, 1 problems.
int command_apply(const GlobalOptions& options, const std::optional<std::string>& pipeline);
/// `driftless run`: the daemon, until SIGTERM/SIGINT.
int command_run(const GlobalOptions& options);
/// `driftless status`: asks the daemon; 0 all ready, 1 some not, 2 no daemon.
int command_status(const GlobalOptions& options);
/// `driftless reconcile|suspend|resume NAME`: asks the daemon; 0 accepted, 1 refused, 2 no daemon.
int command_control(const GlobalOptions& options, const std::string& action, const std::string& pipeline);

}  // namespace driftless::core
