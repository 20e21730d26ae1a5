#include "yaml_json_stream.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>

#include <algorithm>

#include "json_tree.hpp"
#include "yaml_scalar.hpp"

namespace driftless::yaml_detail {
namespace {

bool json_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// 1-based line numbers of offsets asked for in increasing order.
class Lines {
 public:
  explicit Lines(std::string_view text) : text_(text) {}
  int at(std::size_t offset) {
    line_ += static_cast<int>(std::count(text_.begin() + static_cast<long>(counted_), text_.begin() + static_cast<long>(offset), '\n'));
    counted_ = offset;
    return line_;
  }

 private:
  std::string_view text_;
  std::size_t counted_ = 0;
  int line_ = 1;
};

}  // namespace

std::size_t go_space_at(std::string_view s, std::size_t at) {
  const auto byte = [&](std::size_t k) { return at + k < s.size() ? static_cast<unsigned char>(s[at + k]) : 0u; };
  const unsigned c = byte(0);
  if (c == ' ' || (c >= '\t' && c <= '\r')) return 1;
  if (c == 0xc2 && (byte(1) == 0x85 || byte(1) == 0xa0)) return 2;
  if (c == 0xe1 && byte(1) == 0x9a && byte(2) == 0x80) return 3;  // U+1680
  if (c == 0xe2 && byte(1) == 0x80 && (byte(2) <= 0x8a || byte(2) == 0xa8 || byte(2) == 0xa9 || byte(2) == 0xaf)) return 3;
  if (c == 0xe2 && byte(1) == 0x81 && byte(2) == 0x9f) return 3;  // U+205F
  if (c == 0xe3 && byte(1) == 0x80 && byte(2) == 0x80) return 3;  // U+3000
  return 0;
}

bool starts_as_json(std::string_view text) {
  std::size_t at = 0;
  while (std::size_t n = go_space_at(text, at)) at += n;
  return at < text.size() && text[at] == '{';
}

std::size_t read_json_stream(std::string_view text, const std::string& file, const YamlLimits& limits,
                             YamlParseResult& result) {
  Lines lines(text);
  std::size_t consumed = 0;
  int count = 0;
  for (;;) {
    std::size_t at = consumed;
    while (at < text.size() && json_space(text[at])) ++at;
    if (at == text.size()) return text.size();
    json_detail::TreeBuilder builder(limits.max_depth, yaml_detail::number_value);
    rapidjson::Reader reader;
    rapidjson::MemoryStream stream(text.data() + at, text.size() - at);
    constexpr unsigned kFlags = rapidjson::kParseStopWhenDoneFlag | rapidjson::kParseIterativeFlag |
                                rapidjson::kParseValidateEncodingFlag;
    const rapidjson::ParseResult ok = reader.Parse<kFlags>(stream, builder);
    const int line = lines.at(at);
    if (ok) {
      Value value = builder.take();
      if (!value.is_null()) result.documents.push_back({std::move(value), count, line});
      ++count;
      consumed = at + stream.Tell();
      continue;
    }
    const auto fail = [&](const std::string& message) {
      result.diagnostics.push_back({Severity::error, message, file, lines.at(at + ok.Offset()), {}});
      return std::string_view::npos;
    };
    if (builder.too_deep()) return fail("JSON nesting deeper than " + std::to_string(limits.max_depth) + " levels");
    if (ok.Code() == rapidjson::kParseErrorNumberTooBig)
      return fail("a JSON number is too large for a float64 (Kubernetes refuses it); quote it to make it a string");
    if (count > 1) return fail(std::string("invalid JSON: ") + rapidjson::GetParseError_En(ok.Code()));
    // Not JSON after all: kubectl reads the rest as YAML, from the end of
    // the last JSON value's line.
    std::size_t yaml = consumed;
    while (std::size_t n = go_space_at(text, yaml)) {
      yaml += n;
      if (text[yaml - 1] == '\n') break;
    }
    return yaml;
  }
}

}  // namespace driftless::yaml_detail
