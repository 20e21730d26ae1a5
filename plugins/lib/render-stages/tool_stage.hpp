// What the renderers that run an external tool (kustomize, helm) share: the
// timeout and output keys, and running the tool inside the artifact with no
// network, a private HOME, and its complaints turned into diagnostics.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "driftless/plugin.hpp"
#include "driftless/toolkit/process.hpp"
#include "driftless/toolkit/settings.hpp"

namespace driftless::renderers {

struct ToolLimits {
  std::chrono::milliseconds timeout{std::chrono::minutes(2)};
  std::size_t max_output = std::size_t{64} * 1024 * 1024;
  std::uintmax_t max_file_size = std::uintmax_t{16} * 1024 * 1024;
  std::size_t max_memory = ProcessSpec{}.max_memory;
};

/// The keys "timeout", "maxOutputSize", "maxFileSize" and "maxMemory", each
/// with the limit it sets; a stage takes them as a part of its own schema.
const SettingsSchema<ToolLimits>& tool_limits_schema();

/// One run of a tool for a render.
struct ToolRun {
  std::filesystem::path tool;
  std::vector<std::string> args;
  std::string working_folder;  ///< relative to the artifact root
  std::string file;            ///< what diagnostics name (the kustomization, the chart)
  ToolLimits limits;
  bool allow_network = false;
  std::map<std::string, std::string> env;  ///< added to the minimal environment
  std::uintmax_t max_written_file = 0;      ///< largest file the tool may write (downloads); 0 = no limit
  bool report_stdout = false;               ///< a failure's message shows stdout too (where helm reports download errors)
};

/// Runs the tool with HOME (and XDG dirs) in `home`, every proxy pointed at a
/// closed port and git unable to fetch unless allow_network, the working
/// folder inside the artifact, the context's deadline and cancellation, and
/// the limits' output and memory caps. Its
/// stdout on success; nullopt after adding an error diagnostic (its stderr,
/// with artifact paths made relative) to `out`. Warnings on stderr of a
/// successful run become warning diagnostics.
std::optional<std::string> run_tool(Context& context, const Artifact& artifact, const ScratchDir& home, const ToolRun& run,
                                    RenderResult& out);

/// Checks what a tool is about to read below `folder` (relative to the
/// artifact root): a symlink out of the artifact, a symlink loop or a file
/// over `max_file_size` is an error added to `problems`. True when clean.
bool check_tool_input(const Artifact& artifact, const std::string& folder, std::uintmax_t max_file_size,
                      const std::string& tool, std::vector<Diagnostic>& problems);

/// "NAME VERSION" from the tool's version command (asked once per process
/// and binary, see tool_version_line), or the Error of find_tool.
Result<std::string> describe_tool(const std::string& name, const std::string& configured, const std::string& config_key,
                                  const std::vector<std::string>& version_args);

/// "NAME PATH (SIZE bytes, modified SECONDS)" of the binary find_tool picks,
/// without running it: what identifies a tool where running it would cost
/// more than the work (a render that may not need it).
Result<std::string> identify_tool(const std::string& name, const std::string& configured, const std::string& config_key);

/// `text` with the user:password part of every URL in it replaced by "***"
/// ("https://u:p@host/x" -> "https://***@host/x"): messages never show secrets.
std::string without_url_credentials(std::string text);

/// The folder part of a '/'-separated path ("a/b/c.yaml" -> "a/b", "c" -> "").
std::string parent_folder(const std::string& path);
/// `folder` + "/" + `name`, or `name` when folder is "".
std::string join(const std::string& folder, const std::string& name);

}  // namespace driftless::renderers
