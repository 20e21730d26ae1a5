// Reading the fields of one object a renderer interprets rather than passes
// on (a Flux Kustomization, HelmRelease or source, an Argo CD Application):
// typed getters that report a field of the wrong type instead of dropping it,
// findings that name the object and where it was read, and a warning for
// every field nobody reads. One reader for the flux, helmrelease and argocd
// renderers, so their messages read alike.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "driftless/diagnostic.hpp"
#include "driftless/object.hpp"

namespace driftless::renderers {

class ObjectFields {
 public:
  ObjectFields(const KubeObject& object, std::vector<Diagnostic>& out) : object_(object), out_(out) {}

  const KubeObject& object() const { return object_; }

  /// A finding against the object, the message as given.
  void say(Severity severity, std::string message);
  void info(std::string message) { say(Severity::info, std::move(message)); }
  void warn(std::string message) { say(Severity::warning, std::move(message)); }
  void error(std::string message) { say(Severity::error, std::move(message)); }
  /// A finding about `field` ("spec.source.path": "text"); "" for the whole object.
  void info(const std::string& field, const std::string& text) { say(Severity::info, about(field, text)); }
  void warn(const std::string& field, const std::string& text) { say(Severity::warning, about(field, text)); }
  void error(const std::string& field, const std::string& text) { say(Severity::error, about(field, text)); }
  /// True once an error was reported.
  bool failed() const { return failed_; }

  /// Warns of every member of the mapping `block` (named `path`) not in
  /// `known`, so no field is dropped without the user hearing of it; `see`
  /// (a doc) is named in the warning when given.
  void warn_unknown(const Value* block, const std::string& path, std::initializer_list<std::string_view> known,
                    const std::string& see = {});

  // Each getter: the member `key` of the mapping `parent` (nullptr: none),
  // named `path` in messages; absent or null gives the fallback, a value of
  // another type an error and the fallback.
  const Value* object_at(const Value* parent, std::string_view key, const std::string& path);
  const Array& array_at(const Value* parent, std::string_view key, const std::string& path);
  std::string string_at(const Value* parent, std::string_view key, const std::string& path, std::string fallback = {});
  std::optional<bool> maybe_bool_at(const Value* parent, std::string_view key, const std::string& path);
  bool bool_at(const Value* parent, std::string_view key, const std::string& path, bool fallback = false) {
    return maybe_bool_at(parent, key, path).value_or(fallback);
  }
  /// A non-negative integer.
  std::int64_t int_at(const Value* parent, std::string_view key, const std::string& path, std::int64_t fallback);
  /// A Go duration as Flux writes them ("5m", "1h30m", "90s"), above zero.
  std::optional<std::chrono::milliseconds> duration_at(const Value* parent, std::string_view key, const std::string& path);
  /// The same in whole seconds, at least one.
  std::chrono::seconds seconds_at(const Value* parent, std::string_view key, const std::string& path,
                                  std::chrono::seconds fallback);

 private:
  static std::string about(const std::string& field, const std::string& text) {
    return field.empty() ? text : field + ": " + text;
  }

  const KubeObject& object_;
  std::vector<Diagnostic>& out_;
  bool failed_ = false;
};

}  // namespace driftless::renderers
