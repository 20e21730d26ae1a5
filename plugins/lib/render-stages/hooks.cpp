#include "hooks.hpp"

#include <algorithm>
#include <utility>

#include "sync_role.hpp"

namespace driftless::renderers {
namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

// True when the object goes on: marked (a hook) or left as it is.
bool mark(KubeObject& object, std::vector<Diagnostic>& diagnostics) {
  const hooks::SyncRole role = hooks::sync_role(object);
  auto report = [&](Severity severity, std::string message) {
    diagnostics.push_back({severity, std::move(message), object.origin.file, object.origin.line, hooks::hook_id(object)});
  };
  if (!role.error.empty()) report(Severity::error, role.error);
  if (!role.skipped.empty()) {
    report(Severity::warning, "the object is a hook (" + role.hook + "); " + role.skipped + " and it is left out");
    return false;
  }
  if (!role.ignored.empty())
    report(Severity::warning, "the hook (" + role.hook + ") runs as " + hooks::phase_list(role.phases) +
                                  " only: driftless runs no " + joined(role.ignored) + " hooks");
  const Value* annotations = std::as_const(object.body).at_path({"metadata", "annotations"});
  const bool marked = annotations && annotations->is_object() && annotations->find(hooks::kHookMark);
  if (role.is_hook()) annotations_of(object.body).set(hooks::kHookMark, hooks::phase_list(role.phases));
  else if (marked)
    report(Severity::error, std::string("the annotation ") + hooks::kHookMark +
                                " is driftless's mark of a hook; make the object a hook with argocd.argoproj.io/hook "
                                "instead");
  return true;
}

}  // namespace

std::size_t mark_hooks(std::vector<KubeObject>& objects, std::vector<Diagnostic>& diagnostics, std::size_t from) {
  std::size_t kept = std::min(from, objects.size());
  const std::size_t total = objects.size();
  for (std::size_t i = kept; i < total; ++i) {
    if (!mark(objects[i], diagnostics)) continue;
    if (kept != i) objects[kept] = std::move(objects[i]);
    ++kept;
  }
  objects.erase(objects.begin() + static_cast<std::ptrdiff_t>(kept), objects.end());
  return total - kept;
}

}  // namespace driftless::renderers
