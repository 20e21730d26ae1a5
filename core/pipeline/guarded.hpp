// Small helpers every part of the engine uses when it calls plugin code.
#pragma once

#include <exception>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace driftless::core {

/// An error diagnostic at a place in the config file.
inline Diagnostic error_at(const Location& where, std::string message) {
  return Diagnostic{Severity::error, std::move(message), where.file, where.line, {}};
}

/// Runs plugin code; a C++ exception that escapes it becomes an error
/// diagnostic in `out` ("<what> failed unexpectedly: ..."). False then.
template <class F>
bool guarded(F&& call, const std::string& what, std::vector<Diagnostic>& out) {
  try {
    call();
    return true;
  } catch (const std::exception& e) {
    out.push_back({Severity::error, what + " failed unexpectedly: " + e.what(), {}, 0, {}});
  } catch (...) {
    out.push_back({Severity::error, what + " failed unexpectedly", {}, 0, {}});
  }
  return false;
}

}  // namespace driftless::core
