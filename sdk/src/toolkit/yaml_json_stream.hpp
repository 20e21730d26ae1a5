// Internal to the SDK: manifest streams that kubectl reads as JSON.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "driftless/toolkit/yaml.hpp"

namespace driftless::yaml_detail {

/// Byte length of the white space (Go's unicode.IsSpace) at `s[at]`; 0 for none.
std::size_t go_space_at(std::string_view s, std::size_t at);

/// kubectl (apimachinery's YAMLOrJSONDecoder) reads a stream whose first
/// character after white space is "{" as JSON values one after another.
bool starts_as_json(std::string_view text);

/// Reads the JSON values at the start of `text` into `result` as documents,
/// as kubectl does: when a value after the first fails to parse as JSON,
/// the rest is YAML (from the next line on), unless two or more values came
/// before it (then it is an error). Returns where the YAML starts
/// (text.size() when none is left), or npos after an error diagnostic.
std::size_t read_json_stream(std::string_view text, const std::string& file, const YamlLimits& limits,
                             YamlParseResult& result);

}  // namespace driftless::yaml_detail
