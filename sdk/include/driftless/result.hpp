// Explicit results: plugins return errors as values, never as exceptions that
// cross the plugin boundary.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace driftless {

/// Broad class of a failure; the core's retry policy looks at it.
enum class ErrorCode {
  invalid_input,   ///< bad config or bad content: retrying will not help
  not_found,       ///< a named thing (ref, bucket, file, kind) does not exist
  unauthorized,    ///< credentials missing or rejected
  unavailable,     ///< network or server trouble: retry later
  timeout,         ///< a deadline passed
  cancelled,       ///< the core asked the work to stop
  internal,        ///< a bug or an unexpected state
};

/// Name of an error code as users see it ("invalid_input", ...).
const char* to_string(ErrorCode code);

/// A failure with a message that says what happened and what to do next.
struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
};

/// Either a value or an Error.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}      // NOLINT: implicit by design

  /// True when a value is held.
  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  /// The value; only when ok().
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  /// The error; only when !ok().
  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

/// Result of an operation that yields nothing but success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}      // NOLINT: implicit by design

  /// True on success.
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  /// The error; only when !ok().
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

/// Shorthand to build an Error result: `return fail(ErrorCode::not_found, "...")`.
inline Error fail(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

}  // namespace driftless
