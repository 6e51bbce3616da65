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

// Types `c` in `s` (appending to s.funcs or s.core_funcs); features the runtime cannot run yet
// are noted in `unsupported`.
Status resolve_canon(IndexSpaces& s, const ast::CanonDef& c, std::vector<std::string>* unsupported);

}  // namespace witserve::component
