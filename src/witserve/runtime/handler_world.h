// The handler world (wit/handler.wit) as the host sees it: the type a served component's
// `handle` export must fit, the checks a component passes before it may serve, the host imports
// (witserve:handler/host: log and get-config) bound to one route, and the typed call.
// Immutable after construction; any thread may read. Calls run on the instance's Store thread.
#pragma once

#include <map>
#include <optional>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "witserve/base/result.h"
#include "witserve/component/linker.h"
#include "witserve/component/typed.h"
#include "witserve/wasi/context.h"

namespace witserve::runtime {

// The records of wit/handler.wit, field for field, as the typed call path takes them.
using HeaderList = std::vector<std::tuple<std::string, std::string>>;
using WireRequest = std::tuple<std::string, std::string, HeaderList, std::vector<uint8_t>>;  // method, path, headers, body
using WireResponse = std::tuple<uint16_t, HeaderList, std::vector<uint8_t>>;                // status, headers, body
using HandleFunc = component::TypedFunc<WireResponse(WireRequest)>;

inline constexpr std::string_view kHostInterface = "witserve:handler/host";
inline constexpr std::string_view kHandleExport = "handle";

// What a route offers its handler through witserve:handler/host.
struct HostContext {
  std::string route;                          // the route's pattern, for log lines
  std::map<std::string, std::string> config;  // the route's config table
  std::shared_ptr<const wasi::Grants> grants = std::make_shared<wasi::Grants>();  // WASI: nothing by default
};

// Checks that `c` can be served as a handler-world component: it exports `handle` with a type
// that fits (structurally, whatever its package name), and imports only type-only interfaces,
// witserve:handler/host and the WASI 0.2.x interfaces witserve provides. The message of a refusal
// says what is wrong and names both types.
Status check_handler_world(const component::ResolvedComponent& c);

// How a component is served: through the handler world's `handle`, or as a wasi:http proxy
// through the named wasi:http/incoming-handler export.
struct ServedWorld {
  std::optional<std::string> http_export;  // set: wasi:http
};
// Checks that `c` is one or the other (a wasi:http component's imports are checked like a
// handler-world component's).
Result<ServedWorld> check_served_world(const component::ResolvedComponent& c);

// Describes the component's imports and exports in one line each, for the admin API and logs.
std::vector<std::string> describe_world(const component::ResolvedComponent& c);

// A Linker that provides witserve:handler/host and WASI for one route. Shared by every thread.
std::shared_ptr<const component::Linker> make_host_linker(std::shared_ptr<const HostContext> context);

}  // namespace witserve::runtime
