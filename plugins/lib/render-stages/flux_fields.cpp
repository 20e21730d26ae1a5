#include "flux_fields.hpp"

#include <cctype>
#include <cstdlib>

#include "driftless/toolkit/hash.hpp"
#include "driftless/value.hpp"

namespace driftless::renderers {

std::optional<std::chrono::milliseconds> parse_go_duration(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  double total_ms = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    const std::size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    const std::string number(text.substr(start, unit_start - start));
    const std::string_view unit = text.substr(unit_start, i - unit_start);
    const double scale = unit == "h" ? 3600000 : unit == "m" ? 60000 : unit == "s" ? 1000 : unit == "ms" ? 1 : -1;
    char* parsed_to = nullptr;
    const double amount = number.empty() ? 0 : std::strtod(number.c_str(), &parsed_to);
    if (number.empty() || parsed_to != number.c_str() + number.size() || scale < 0) return std::nullopt;
    total_ms += amount * scale;
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(total_ms + 0.5));
}

Result<std::map<std::string, std::string>> object_data(const KubeObject& object) {
  std::map<std::string, std::string> out;
  const bool secret = object.kind() == "Secret";
  if (const Value* data = object.body.find("data"); data && data->is_object()) {
    for (const auto& [key, value] : data->as_object()) {
      if (!value.is_string()) return fail(ErrorCode::invalid_input, object.id() + ": data." + key + " is not a string");
      if (!secret) {
        out[key] = value.as_string();
        continue;
      }
      auto decoded = base64_decode(value.as_string());
      if (!decoded) return fail(ErrorCode::invalid_input, object.id() + ": data." + key + " is not valid base64");
      out[key] = std::move(*decoded);
    }
  }
  if (const Value* data = object.body.find("stringData"); secret && data && data->is_object())
    for (const auto& [key, value] : data->as_object())
      if (value.is_string()) out[key] = value.as_string();
  return out;
}

}  // namespace driftless::renderers
