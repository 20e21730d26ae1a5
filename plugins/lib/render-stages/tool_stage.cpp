#include "tool_stage.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <sstream>

#include "driftless/toolkit/files.hpp"

namespace driftless::renderers {
namespace {

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (std::size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
}

// Absolute paths of the artifact mean nothing to a user: name files as the
// repository does.
std::string relative_paths(std::string text, const Artifact& artifact) {
  std::error_code ec;
  const auto canonical = std::filesystem::canonical(artifact.root, ec);
  if (!ec) replace_all(text, canonical.string() + "/", "");
  replace_all(text, artifact.root.string() + "/", "");
  return text;
}

// "NAME PATH (SIZE bytes, modified SECONDS)": a replaced binary has another.
std::string identity_of(const std::string& name, const std::filesystem::path& tool) {
  struct stat st {};
  if (::stat(tool.c_str(), &st) != 0) return name + " " + tool.string();
  return name + " " + tool.string() + " (" + std::to_string(st.st_size) + " bytes, modified " +
         std::to_string(st.st_mtim.tv_sec) + ")";
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

}  // namespace

const SettingsSchema<ToolLimits>& tool_limits_schema() {
  using L = ToolLimits;
  static const auto schema =
      SettingsSchema<L>()
          .key(ConfigKey("timeout", ConfigType::duration, "How long the tool may run before it is stopped.").default_to("2m"),
               &L::timeout, Minimum::positive())
          .key(ConfigKey("maxOutputSize", ConfigType::integer,
                         "Largest output (stdout, and separately stderr) in bytes; more stops the tool.")
                   .default_to(std::int64_t{64} * 1024 * 1024),
               &L::max_output, Minimum::positive())
          .key(ConfigKey("maxFileSize", ConfigType::integer, "Largest file read, in bytes; larger files are an error.")
                   .default_to(std::int64_t{16} * 1024 * 1024),
               &L::max_file_size, Minimum::positive())
          .key(ConfigKey("maxMemory", ConfigType::integer,
                         "Most memory the tool may allocate, in bytes (its data segment, RLIMIT_DATA); a render that needs "
                         "more fails with an error naming the limit.")
                   .default_to(static_cast<std::int64_t>(ProcessSpec{}.max_memory)),
               &L::max_memory, Minimum::positive());
  return schema;
}

std::optional<std::string> run_tool(Context& context, const Artifact& artifact, const ScratchDir& home, const ToolRun& run,
                                    RenderResult& out) {
  ProcessSpec spec;
  spec.argv.push_back(run.tool.string());
  spec.argv.insert(spec.argv.end(), run.args.begin(), run.args.end());
  spec.working_dir = artifact.root / run.working_folder;
  const std::string h = home.path().string();
  spec.env = {{"HOME", h}, {"XDG_CONFIG_HOME", h + "/config"}, {"XDG_CACHE_HOME", h + "/cache"},
              {"XDG_DATA_HOME", h + "/data"}, {"TMPDIR", h}};
  if (!run.allow_network) {
    // Nothing to reach: every proxy is a closed local port and git refuses
    // every transport, so no tool can fetch what the scan missed.
    for (const char* proxy : {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"})
      spec.env[proxy] = "http://127.0.0.1:9";
    spec.env["GIT_ALLOW_PROTOCOL"] = "none";
    spec.env["GIT_SSH_COMMAND"] = "/bin/false";
  } else {
    spec.inherit = {"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"};
  }
  spec.env["GIT_TERMINAL_PROMPT"] = "0";
  spec.env["GIT_CONFIG_NOSYSTEM"] = "1";
  for (const auto& [k, v] : run.env) spec.env[k] = v;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(context.deadline() - std::chrono::steady_clock::now());
  spec.timeout = std::max(std::chrono::milliseconds(1), std::min(run.limits.timeout, left));
  spec.max_output = run.limits.max_output;
  spec.max_memory = run.limits.max_memory;
  spec.max_file_size = run.max_written_file;
  spec.cancelled = [&context] { return context.cancelled(); };

  const std::string name = run.tool.filename().string();
  const auto started = std::chrono::steady_clock::now();
  auto result = run_process(spec);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  context.logger().debug("ran " + name, {{"file", run.file}, {"ms", std::to_string(millis.count())},
                                         {"exit", result.ok() ? std::to_string(result->exit_code) : to_string(result.error().code)}});
  if (!result.ok()) {
    out.diagnostics.push_back({Severity::error, result.error().message, run.file, 0, {}});
    return std::nullopt;
  }
  const std::string err = without_url_credentials(relative_paths(result->err, artifact));
  if (result->exit_code != 0) {
    std::string message = name + " failed (exit code " + std::to_string(result->exit_code) + ")";
    auto lines = run.report_stdout ? lines_of(without_url_credentials(relative_paths(result->out, artifact))) : std::vector<std::string>{};
    for (auto& line : lines_of(err)) lines.push_back(std::move(line));
    if (!lines.empty()) message += ": ";
    for (std::size_t i = 0; i < lines.size() && i < 20; ++i) message += (i ? "\n  " : "") + lines[i];
    out.diagnostics.push_back({Severity::error, message, run.file, 0, {}});
    return std::nullopt;
  }
  for (const auto& line : lines_of(err)) out.diagnostics.push_back({Severity::warning, name + ": " + line, run.file, 0, {}});
  return std::move(result->out);
}

bool check_tool_input(const Artifact& artifact, const std::string& folder, std::uintmax_t max_file_size,
                      const std::string& tool, std::vector<Diagnostic>& problems) {
  std::vector<Diagnostic> found;
  for (const auto& file : list_files(artifact.root, folder, {}, found)) {  // reports links out and loops
    std::error_code ec;
    const auto size = std::filesystem::file_size(artifact.root / file, ec);
    if (!ec && size > max_file_size)
      found.push_back({Severity::error, "file is " + std::to_string(size) + " bytes, over the limit of " +
                                            std::to_string(max_file_size) + " bytes (maxFileSize)", file, 0, {}});
  }
  const bool clean = !has_errors(found);
  for (auto& d : found) {
    if (d.severity == Severity::error) d.message += " (not handed to " + tool + ", which would read it)";
    problems.push_back(std::move(d));
  }
  return clean;
}

Result<std::string> describe_tool(const std::string& name, const std::string& configured, const std::string& config_key,
                                  const std::vector<std::string>& version_args) {
  auto tool = find_tool(name, configured, config_key);
  if (!tool.ok()) return tool.error();
  auto version = tool_version_line(*tool, version_args);
  if (!version.ok()) return version.error();
  return name + " " + *version;
}

Result<std::string> identify_tool(const std::string& name, const std::string& configured, const std::string& config_key) {
  auto tool = find_tool(name, configured, config_key);
  if (!tool.ok()) return tool.error();
  return identity_of(name, *tool);
}

std::string without_url_credentials(std::string text) {
  for (std::size_t scheme = text.find("://"); scheme != std::string::npos; scheme = text.find("://", scheme + 3)) {
    const std::size_t start = scheme + 3;
    const std::size_t end = text.find_first_of("/ \t\n'\"", start);
    const std::size_t at = text.rfind('@', end == std::string::npos ? text.size() : end);
    if (at != std::string::npos && at >= start) text.replace(start, at - start, "***");
  }
  return text;
}

std::string parent_folder(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string join(const std::string& folder, const std::string& name) { return folder.empty() ? name : folder + "/" + name; }

}  // namespace driftless::renderers
