// The resolver's typing of canonical definitions (resolver_canon.cc): checks a canon lift,
// lower or resource built-in against the index spaces built so far and adds what it defines.
// Internal to the resolver. Any thread.
#pragma once

#include <string>
#include <vector>

#include "witserve/base/result.h"
#include "witserve/component/ast.h"
#include "witserve/component/resolver.h"

namespace witserve::component {

// Helpers the resolver's files share: refusals and checked index-space lookups.
namespace resolver_detail {
inline Error invalid(const std::string& what) { return Error(ErrorKind::kInvalidArgument, what); }

inline std::string idx(const char* what, uint32_t i) { return std::string(what) + " " + std::to_string(i); }

// Entry `i` of an index space, or an error naming it when out of range.
template <typename T>
Result<T> at(const std::vector<T>& v, uint32_t i, const char* what) {
  if (i >= v.size())
    return invalid(idx(what, i) + " is out of range (there are " + std::to_string(v.size()) + ")");
  return v[i];
}
}  // namespace resolver_detail

// Types `c` in `s` (appending to s.funcs or s.core_funcs); features the runtime cannot run yet
// are noted in `unsupported`.
Status resolve_canon(IndexSpaces& s, const ast::CanonDef& c, std::vector<std::string>* unsupported);

}  // namespace witserve::component
