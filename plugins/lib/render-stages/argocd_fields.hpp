// Reading the fields of one Argo CD object: every finding names the field,
// the object and where it was read; a field nobody reads is a warning.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "driftless/diagnostic.hpp"
#include "driftless/object.hpp"

namespace driftless::renderers {

class ArgocdFields {
 public:
  ArgocdFields(const KubeObject& object, std::vector<Diagnostic>& out) : object_(object), out_(out) {}

  const KubeObject& object() const { return object_; }
  /// A finding about `field` ("spec.source.path"); "" for the whole object.
  void info(const std::string& field, const std::string& text) { add(Severity::info, field, text); }
  void warn(const std::string& field, const std::string& text) { add(Severity::warning, field, text); }
  void error(const std::string& field, const std::string& text) {
    add(Severity::error, field, text);
    failed_ = true;
  }
  /// Warns of every member of the mapping `at` (named `field`) not in `read`.
  void unread(const Value* at, const std::string& field, std::initializer_list<const char*> read);
  /// The string at `field` of `at`; an error when it is there but not a string.
  std::string string(const Value* at, const std::string& name, const std::string& field);
  /// True once an error was reported.
  bool failed() const { return failed_; }

 private:
  void add(Severity severity, const std::string& field, const std::string& text);

  const KubeObject& object_;
  std::vector<Diagnostic>& out_;
  bool failed_ = false;
};

}  // namespace driftless::renderers
