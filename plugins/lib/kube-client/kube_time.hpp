// Timestamps as the Kubernetes API writes them: RFC 3339 in UTC, with
// microseconds for MicroTime fields (Lease renewTime).
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace driftless::kube {

/// "2026-11-24T10:00:00Z" or "2026-11-24T10:00:00.123456Z" (UTC); nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(const std::string& text);

/// "2026-11-24T10:00:00Z" (metav1.Time).
std::string rfc3339(std::chrono::system_clock::time_point time);

/// "2026-11-24T10:00:00.123456Z" (metav1.MicroTime).
std::string rfc3339_micro(std::chrono::system_clock::time_point time);

}  // namespace driftless::kube
