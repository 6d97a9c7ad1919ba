#include "base/status.h"

#include <cerrno>
#include <cstring>

namespace lifeboat {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid argument";
    case Code::kNotFound: return "not found";
    case Code::kAlreadyExists: return "already exists";
    case Code::kNotRepository: return "not a repository";
    case Code::kWrongPassword: return "wrong password";
    case Code::kLocked: return "locked";
    case Code::kCorrupt: return "corrupt";
    case Code::kIoError: return "I/O error";
    case Code::kNoSpace: return "no space";
    case Code::kUnavailable: return "unavailable";
    case Code::kAccessDenied: return "access denied";
    case Code::kIncomplete: return "incomplete";
    case Code::kArchived: return "archived";
    case Code::kInternal: return "internal error";
  }
  return "unknown";
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string m(context);
  m += ": ";
  m += message_;
  return Status(code_, std::move(m));
}

Status ErrnoStatus(std::string_view what, int err) {
  std::string m(what);
  m += ": ";
  m += std::strerror(err);
  Code code = Code::kIoError;
  if (err == ENOSPC || err == EDQUOT) code = Code::kNoSpace;
  if (err == ENOENT) code = Code::kNotFound;
  return Status(code, std::move(m));
}

}  // namespace lifeboat
