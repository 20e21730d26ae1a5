// Out-of-line definitions: anchors for the vtables of the SDK interfaces, so
// their type information lives once, in the SDK library.
#include <algorithm>

#include "driftless/artifact.hpp"
#include "driftless/context.hpp"
#include "driftless/diagnostic.hpp"
#include "driftless/after_apply.hpp"
#include "driftless/capabilities.hpp"
#include "driftless/plugin.hpp"

namespace driftless {

Logger::~Logger() = default;
Context::~Context() = default;
Source::~Source() = default;
Renderer::~Renderer() = default;
Sink::~Sink() = default;
AfterApply::~AfterApply() = default;
ClusterFacts::~ClusterFacts() = default;
DriftWatch::~DriftWatch() = default;
Leases::~Leases() = default;
Membership::~Membership() = default;
FailureReports::~FailureReports() = default;
TargetAccess::~TargetAccess() = default;
PluginFactory::~PluginFactory() = default;

Result<std::string> PluginFactory::tool_version() const { return std::string(); }
std::string RendererFactory::after_apply_target() const { return {}; }
std::string SinkFactory::target_kind() const { return {}; }
std::string SinkFactory::target(const Value&) const { return {}; }

Result<Value> SinkFactory::narrow(const Value& parent, const Value& overlay, const std::string& pipeline) const {
  if (overlay.is_object() && !overlay.as_object().empty())
    return fail(ErrorCode::invalid_input, "this sink lets no declared pipeline change its config ('" +
                                              overlay.as_object().begin()->first + "' for pipeline '" + pipeline + "')");
  return parent;
}

void* Sink::capability(std::string_view) { return nullptr; }

long Context::seconds_left() const {
  auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline() - std::chrono::steady_clock::now()).count();
  return std::max<long>(1, static_cast<long>(left));
}

const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_input: return "invalid_input";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::unauthorized: return "unauthorized";
    case ErrorCode::unavailable: return "unavailable";
    case ErrorCode::timeout: return "timeout";
    case ErrorCode::cancelled: return "cancelled";
    case ErrorCode::internal: return "internal";
  }
  return "internal";
}

const char* to_string(Severity severity) {
  switch (severity) {
    case Severity::info: return "info";
    case Severity::warning: return "warning";
    case Severity::error: return "error";
  }
  return "error";
}

const char* to_string(ChangeAction action) {
  switch (action) {
    case ChangeAction::created: return "created";
    case ChangeAction::configured: return "configured";
    case ChangeAction::unchanged: return "unchanged";
    case ChangeAction::pruned: return "pruned";
    case ChangeAction::skipped: return "skipped";
  }
  return "unchanged";
}

const char* to_string(ConfigType type) {
  switch (type) {
    case ConfigType::string: return "string";
    case ConfigType::path: return "path";
    case ConfigType::integer: return "integer";
    case ConfigType::boolean: return "boolean";
    case ConfigType::duration: return "duration";
    case ConfigType::string_list: return "list of strings";
    case ConfigType::object: return "mapping";
    case ConfigType::map: return "map of strings";
    case ConfigType::any: return "any";
  }
  return "any";
}

std::string format(const Diagnostic& d) {
  std::string out;
  if (!d.file.empty()) {
    out += d.file;
    if (d.line > 0) out += ":" + std::to_string(d.line);
    if (d.line > 0 && d.column > 0) out += ":" + std::to_string(d.column);
    out += ": ";
  }
  out += to_string(d.severity);
  out += ": ";
  out += d.message;
  if (!d.object.empty()) out += " (" + d.object + ")";
  return out;
}

bool has_errors(const std::vector<Diagnostic>& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& d) { return d.severity == Severity::error; });
}

}  // namespace driftless
