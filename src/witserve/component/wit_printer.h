// Prints a resolved component's imports and exports in WIT syntax, for `witserve inspect`:
// a world whose imports and exports are inline interfaces, named types printed as `type` and
// `resource` items and referred to by name, resource functions grouped under their resource.
// Any thread.
#pragma once

#include <string>

#include "witserve/component/resolver.h"

namespace witserve::component {

std::string print_wit(const ResolvedComponent& c);

}  // namespace witserve::component
