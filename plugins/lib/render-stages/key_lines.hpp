// The lines of a key file's text (age identities, armored OpenPGP keys), read
// in place: numbered from 1 for messages, trailing blanks and "\r" removed.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string_view>

namespace driftless::renderers {

class KeyLines {
 public:
  explicit KeyLines(std::string_view text) : text_(text) {}

  /// The next line, or nullopt after the last; number() is then its line number.
  std::optional<std::string_view> next() {
    if (pos_ >= text_.size()) return std::nullopt;
    const auto nl = std::min(text_.find('\n', pos_), text_.size());
    std::string_view line = text_.substr(pos_, nl - pos_);
    pos_ = nl + 1;
    ++number_;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    return line;
  }
  std::size_t number() const { return number_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t number_ = 0;
};

}  // namespace driftless::renderers
