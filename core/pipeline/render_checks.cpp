#include "pipeline/render_checks.hpp"

#include <map>

#include "driftless/toolkit/files.hpp"
#include "driftless/toolkit/manifests.hpp"
#include "log/logging.hpp"
#include "pipeline/metadata_check.hpp"

namespace driftless::core {
namespace {

// "199990" -> "199,990": counts people read at a glance.
std::string grouped(std::size_t n) {
  std::string digits = std::to_string(n);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<std::size_t>(i), ",");
  return digits;
}

std::string plural(std::size_t n, const std::string& word) { return grouped(n) + " " + word + (n == 1 ? "" : "s"); }

// A renderer marks the hooks it keeps (plugins/lib/sync-hooks): the sink
// creates those, and the server gives a hook with generateName its name.
bool is_marked_hook(const KubeObject& object) {
  const Value* mark = object.body.at_path({"metadata", "annotations", "driftless.dev/hook"});
  return mark && mark->is_string() && !mark->as_string().empty();
}

}  // namespace

void check_objects(const std::vector<KubeObject>& objects, std::vector<Diagnostic>& out) {
  std::map<std::string, const KubeObject*> seen;
  for (const auto& object : objects) {
    auto problem = [&](std::string message, std::string id) {
      out.push_back({Severity::error, std::move(message), object.origin.file, object.origin.line, std::move(id)});
    };
    if (!object.body.is_object()) {
      problem("the document is not a mapping", {});
      continue;
    }
    // A manifest encrypted with sops keeps a top-level `sops` block until a
    // stage decrypts it; applied as it is, its values would be ciphertext.
    if (const Value* sops = object.body.find("sops"); sops && sops->is_object() && sops->find("mac")) {
      const std::string id = object.id();
      problem("the object is still SOPS-encrypted (it has a top-level sops block): add a renderer that decrypts it "
              "after the stage that read it (renderers: [yaml, sops]); nothing is applied",
              id.find("ENC[") == std::string::npos ? id : std::string());
      continue;
    }
    if (object.api_version().empty() || object.kind().empty()) {
      problem("the object has no apiVersion or kind", {});
      continue;
    }
    const Value* generate = object.body.at_path({"metadata", "generateName"});
    const std::string generate_name = generate && generate->is_string() ? generate->as_string() : "";
    if (object.name().empty() && (generate_name.empty() || !is_marked_hook(object))) {
      if (!generate_name.empty())
        problem("the " + object.kind() + " has metadata.generateName '" + generate_name +
                    "' but no metadata.name: server-side apply needs a fixed name, so only a hook "
                    "(argocd.argoproj.io/hook) may have one; give it a metadata.name",
                {});
      else problem("the " + object.kind() + " has no metadata.name", {});
      continue;
    }
    // Object ids reach log lines and the sinks' records, one per line.
    if (has_control_characters(object.id() + generate_name)) {
      problem("the object's kind, namespace or name holds a control character", escape_control_characters(object.id()));
      continue;
    }
    for (auto& message : string_map_problems(object)) problem(std::move(message), object.id());
    std::string key = object.api_version() + "|" + object.id() + (object.name().empty() ? "|" + generate_name : "");
    auto [it, inserted] = seen.emplace(key, &object);
    if (!inserted)
      problem("the object is defined twice; the other one is in " + place_of(it->second->origin), object.id());
  }
}

void check_not_empty(const Artifact& artifact, const std::string& folder, bool allowed, std::vector<Diagnostic>& out) {
  if (allowed) return;
  std::vector<Diagnostic> unreadable;  // the renderers reported these already
  const std::size_t files = walk_files(artifact.root, folder, FileFilter{}, unreadable).size();
  if (files == 0) return;
  out.push_back({Severity::error,
                 (folder.empty() ? std::string("the source's root folder") : "the folder '" + folder + "'") + " holds " +
                     plural(files, "file") +
                     ", but no objects were rendered from them; nothing is applied. Check the pipeline's path and the "
                     "warnings about files not read, or set allowEmpty: true on the sink if an empty set is intended",
                 folder, 0, {}});
}

std::size_t cap_diagnostics(std::vector<Diagnostic>& diagnostics, std::size_t max) {
  if (diagnostics.size() <= max) return 0;
  std::vector<bool> keep(diagnostics.size(), false);
  std::size_t kept = 0;
  for (Severity severity : {Severity::error, Severity::warning, Severity::info})
    for (std::size_t i = 0; i < diagnostics.size() && kept < max; ++i)
      if (diagnostics[i].severity == severity) {
        keep[i] = true;
        ++kept;
      }
  std::vector<Diagnostic> out;
  out.reserve(max + 1);
  std::size_t errors = 0, warnings = 0;
  for (std::size_t i = 0; i < diagnostics.size(); ++i) {
    if (keep[i]) out.push_back(std::move(diagnostics[i]));
    else if (diagnostics[i].severity == Severity::error) ++errors;
    else if (diagnostics[i].severity == Severity::warning) ++warnings;
  }
  const std::size_t dropped = diagnostics.size() - kept;
  out.push_back({errors > 0 ? Severity::error : Severity::warning,
                 "and " + grouped(dropped) + " more not shown (" + plural(errors, "error") + ", " +
                     plural(warnings, "warning") + "); fix the ones above first",
                 {}, 0, {}});
  diagnostics = std::move(out);
  return dropped;
}

}  // namespace driftless::core
