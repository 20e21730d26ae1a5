#include "driftless/value.hpp"

#include "json_tree.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace driftless {

const Value* Object::find(std::string_view key) const {
  for (const auto& [k, v] : members_)
    if (k == key) return &v;
  return nullptr;
}

Value* Object::find(std::string_view key) {
  for (auto& [k, v] : members_)
    if (k == key) return &v;
  return nullptr;
}

Value& Object::operator[](std::string_view key) {
  if (Value* v = find(key)) return *v;
  members_.emplace_back(std::string(key), Value());
  return members_.back().second;
}

void Object::set(std::string_view key, Value value) { (*this)[key] = std::move(value); }

void Object::append_new(std::string key, Value value) { members_.emplace_back(std::move(key), std::move(value)); }

bool Object::erase(std::string_view key) {
  auto it = std::find_if(members_.begin(), members_.end(), [&](const Member& m) { return m.first == key; });
  if (it == members_.end()) return false;
  members_.erase(it);
  return true;
}

bool Object::operator==(const Object& other) const {
  // Key order does not change what a JSON object means.
  if (size() != other.size()) return false;
  for (const auto& [k, v] : members_) {
    const Value* o = other.find(k);
    if (!o || !(*o == v)) return false;
  }
  return true;
}

const char* to_string(ValueType type) {
  switch (type) {
    case ValueType::null: return "null";
    case ValueType::boolean: return "boolean";
    case ValueType::integer: return "integer";
    case ValueType::number: return "number";
    case ValueType::string: return "string";
    case ValueType::array: return "list";
    case ValueType::object: return "mapping";
  }
  return "unknown";
}

double Value::as_double() const {
  return is_int() ? static_cast<double>(as_int()) : std::get<double>(data_);
}

const Value* Value::find(std::string_view key) const { return is_object() ? as_object().find(key) : nullptr; }
Value* Value::find(std::string_view key) { return is_object() ? as_object().find(key) : nullptr; }

const Value* Value::at_path(std::initializer_list<std::string_view> keys) const {
  const Value* v = this;
  for (auto key : keys) {
    v = v->find(key);
    if (!v) return nullptr;
  }
  return v;
}

std::string Value::string_or(std::string_view key, std::string_view fallback) const {
  const Value* v = find(key);
  return v && v->is_string() ? v->as_string() : std::string(fallback);
}

namespace {

// A float as Go's encoding/json writes it, so our JSON prints what kubectl
// prints: the shortest digits that read back the same, in plain notation
// padded with zeros ("12345678901234567000", not "1.2345678901234568e19",
// "...168" or "...000.0"), in exponent notation below 1e-6 and from 1e21 on,
// with "e-7" for "e-07".
std::string go_float_text(double d) {
  char buf[32];
  const std::string sci(buf, std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific).ptr);  // "-d.ddde+XX"
  const double magnitude = std::fabs(d);
  const auto e = sci.find('e');
  if (magnitude != 0 && (magnitude < 1e-6 || magnitude >= 1e21)) {
    std::string out = sci;
    if (out.size() - e == 4 && out[e + 1] == '-' && out[e + 2] == '0') out.erase(e + 2, 1);
    return out;
  }
  const bool negative = d < 0 || std::signbit(d);
  std::string digits = sci.substr(negative ? 1 : 0, e - (negative ? 1 : 0));
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  const int exponent = std::stoi(sci.substr(e + 1));
  std::string out = negative ? "-" : "";
  if (exponent < 0) return out + "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
  const auto point = static_cast<std::size_t>(exponent) + 1;
  if (digits.size() <= point) return out + digits + std::string(point - digits.size(), '0');
  return out + digits.substr(0, point) + "." + digits.substr(point);
}

template <class Writer>
void write(Writer& w, const Value& v) {
  switch (v.type()) {
    case ValueType::null: w.Null(); break;
    case ValueType::boolean: w.Bool(v.as_bool()); break;
    case ValueType::integer: w.Int64(v.as_int()); break;
    case ValueType::number: {
      double d = v.as_double();
      if (!std::isfinite(d)) {
        w.Null();  // JSON has no NaN/Inf
        break;
      }
      const std::string text = go_float_text(d);
      w.RawValue(text.data(), text.size(), rapidjson::kNumberType);
      break;
    }
    case ValueType::string: w.String(v.as_string().data(), static_cast<rapidjson::SizeType>(v.as_string().size())); break;
    case ValueType::array:
      w.StartArray();
      for (const auto& item : v.as_array()) write(w, item);
      w.EndArray();
      break;
    case ValueType::object:
      w.StartObject();
      for (const auto& [k, item] : v.as_object()) {
        w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
        write(w, item);
      }
      w.EndObject();
      break;
  }
}

}  // namespace

std::string to_json(const Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  write(writer, value);
  return std::string(buffer.GetString(), buffer.GetSize());
}

Result<Value> parse_json(std::string_view text) {
  json_detail::TreeBuilder builder;
  rapidjson::Reader reader;
  rapidjson::MemoryStream stream(text.data(), text.size());
  rapidjson::ParseResult ok = reader.Parse<rapidjson::kParseStopWhenDoneFlag>(stream, builder);
  if (!ok) {
    return fail(ErrorCode::invalid_input, std::string("invalid JSON at byte ") + std::to_string(ok.Offset()) + ": " +
                                              rapidjson::GetParseError_En(ok.Code()));
  }
  return builder.take();
}

}  // namespace driftless
