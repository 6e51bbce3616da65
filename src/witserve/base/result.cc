// String forms of ErrorKind and Error. Any thread.
#include "witserve/base/result.h"

namespace witserve {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument: return "invalid argument";
    case ErrorKind::kMalformed: return "malformed";
    case ErrorKind::kLink: return "link error";
    case ErrorKind::kTrap: return "trap";
    case ErrorKind::kInterrupted: return "interrupted";
    case ErrorKind::kHost: return "host error";
    case ErrorKind::kNotFound: return "not found";
    case ErrorKind::kIo: return "i/o error";
    case ErrorKind::kUnsupported: return "unsupported";
    case ErrorKind::kInternal: return "internal error";
  }
  return "error";
}

std::string Error::to_string() const {
  std::string out(witserve::to_string(kind_));
  out += ": ";
  out += message_;
  return out;
}

}  // namespace witserve
