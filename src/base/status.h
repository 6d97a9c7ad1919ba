// Status and Result<T>: errors as values at module boundaries.
//
// A Status carries a Code that tells the caller what to do about the failure
// (retry, give up, treat the data as corrupt) and a one-line message that names
// the object and the cause. The CLI maps each Code to a stable exit code
// (docs/exit-codes.md); nothing below the CLI throws.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace lifeboat {

enum class Code {
  kOk = 0,
  kInvalidArgument,  // the caller asked for something malformed (usage error)
  kNotFound,         // a named object (snapshot, file, key) does not exist
  kAlreadyExists,    // refusing to overwrite
  kNotRepository,    // the location holds no repository
  kWrongPassword,    // no key file opens with the given password
  kLocked,           // another process holds a conflicting lock
  kCorrupt,          // stored data failed authentication, hashing or parsing
  kIoError,          // the operating system or a server failed an operation
  kNoSpace,          // the target ran out of space
  kUnavailable,      // a transient failure: retrying may help
  kAccessDenied,     // a server refused the credentials or the permission
  kIncomplete,       // the operation finished but skipped some items
  kArchived,         // stored data is in an archive tier (S3 Glacier) and must be restored first
  kInternal,         // a bug: an invariant did not hold
};

// Returns a short stable name for a code ("corrupt", "not found", ...).
std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "context: message".
  Status WithContext(std::string_view context) const;

  // Marks the status as inspected when the caller deliberately drops it.
  void IgnoreError() const {}

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return Status(Code::kInvalidArgument, std::move(m)); }
inline Status NotFound(std::string m) { return Status(Code::kNotFound, std::move(m)); }
inline Status AlreadyExists(std::string m) { return Status(Code::kAlreadyExists, std::move(m)); }
inline Status Corrupt(std::string m) { return Status(Code::kCorrupt, std::move(m)); }
inline Status IoError(std::string m) { return Status(Code::kIoError, std::move(m)); }
inline Status Internal(std::string m) { return Status(Code::kInternal, std::move(m)); }

// Builds a Status from errno: ENOSPC/EDQUOT become kNoSpace, ENOENT kNotFound,
// everything else kIoError. The message is "what: strerror(err)".
Status ErrnoStatus(std::string_view what, int err);

// Result<T> holds either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  // REQUIRES: ok()
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace lifeboat

#define LB_CONCAT_INNER(a, b) a##b
#define LB_CONCAT(a, b) LB_CONCAT_INNER(a, b)

#define LB_RETURN_IF_ERROR(expr)                 \
  do {                                           \
    ::lifeboat::Status lb_status_ = (expr);      \
    if (!lb_status_.ok()) return lb_status_;     \
  } while (0)

#define LB_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()

#define LB_ASSIGN_OR_RETURN(lhs, expr) \
  LB_ASSIGN_OR_RETURN_IMPL(LB_CONCAT(lb_result_, __LINE__), lhs, expr)
