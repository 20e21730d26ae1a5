// Field values as Flux objects write them, read once for the flux and
// helmrelease renderers: Go durations ("1h30m", "90s", "1.5m") and the data
// of a ConfigMap or Secret (Flux's valuesFrom, substituteFrom).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "driftless/object.hpp"
#include "driftless/result.hpp"

namespace driftless::renderers {

/// A Go duration (units h, m, s, ms; decimals allowed), or nullopt when `text` is not one.
std::optional<std::chrono::milliseconds> parse_go_duration(std::string_view text);

/// The string data of a Secret or ConfigMap ("data" decoded from base64 for a
/// Secret, "stringData" on top), or an error naming the bad key (never a value).
Result<std::map<std::string, std::string>> object_data(const KubeObject& object);

}  // namespace driftless::renderers
