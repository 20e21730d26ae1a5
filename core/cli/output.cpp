#include "cli/output.hpp"

#include <algorithm>
#include <iostream>

namespace driftless::core {

void print_diagnostics(const std::vector<Diagnostic>& diagnostics) {
  for (const auto& d : diagnostics) std::cerr << format(d) << "\n";
}

Value to_value(const Diagnostic& d) {
  Object o;
  o.set("severity", to_string(d.severity));
  o.set("message", d.message);
  if (!d.file.empty()) o.set("file", d.file);
  if (d.line > 0) o.set("line", d.line);
  if (!d.object.empty()) o.set("object", d.object);
  return Value(std::move(o));
}

Value to_value(const PipelineRun& run, bool with_objects) {
  Object o;
  o.set("pipeline", run.pipeline);
  o.set("revision", run.revision);
  o.set("ok", run.ok());
  o.set("durationMs", static_cast<std::int64_t>(run.duration.count()));
  if (run.declared > 0) o.set("declaredPipelines", static_cast<std::int64_t>(run.declared));
  Array changes;
  for (const auto& c : run.sink.changes) {
    Object change;
    change.set("object", c.id);
    change.set("action", to_string(c.action));
    if (!c.detail.empty()) change.set("detail", c.detail);
    changes.emplace_back(std::move(change));
  }
  o.set("changes", std::move(changes));
  Array diagnostics;
  for (const auto* set : {&run.diagnostics, &run.sink.diagnostics})
    for (const auto& d : *set) diagnostics.push_back(to_value(d));
  o.set("diagnostics", std::move(diagnostics));
  if (run.diagnostics_dropped > 0) o.set("diagnosticsDropped", static_cast<std::int64_t>(run.diagnostics_dropped));
  if (with_objects) {
    Array objects;
    for (const auto& object : run.objects()) objects.push_back(object.body);
    o.set("objects", std::move(objects));
  }
  return Value(std::move(o));
}

std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], row[i].size());
    }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace driftless::core
