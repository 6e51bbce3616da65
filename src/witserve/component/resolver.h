// Resolves a decoded component: walks its definitions in order, builds every index space (types,
// funcs, core funcs, modules, instances, ...), turns the AST's index-based types into resolved
// types with their canonical ABI layout, and checks what can be checked before running anything:
// indices in range, sorts that match, core signatures of canon lift/lower, canonical options,
// instantiation arguments against imports. The result is the component's type (its imports and
// exports) plus the per-index types the linker needs. Done once per component; the result is
// immutable and shared by every thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "witserve/base/result.h"
#include "witserve/component/ast.h"
#include "witserve/component/types.h"

namespace witserve::component {

// A core item's type inside a component: a core func's signature or a table/memory/global type.
using CoreExternType = engine::ExternType;

struct CoreInstanceType {
  std::vector<std::pair<std::string, CoreExternType>> exports;
  const CoreExternType* find(std::string_view name) const;
};

// The index spaces of one component scope, in definition order, as the resolver typed them.
struct IndexSpaces {
  std::vector<ExternType> types;                 // value, resource, func, instance, component types
  std::vector<const FuncType*> funcs;
  std::vector<const InstanceType*> instances;
  std::vector<const ComponentType*> components;
  std::vector<TypeRef> values;
  std::vector<engine::FuncType> core_funcs;
  std::vector<engine::TableType> core_tables;
  std::vector<engine::MemoryType> core_memories;
  std::vector<engine::GlobalType> core_globals;
  std::vector<const CoreModuleType*> core_modules;
  std::vector<CoreInstanceType> core_instances;
  std::vector<std::variant<engine::FuncType, const CoreModuleType*>> core_types;
};

struct ResolvedComponent {
  std::shared_ptr<const ast::Component> ast;
  std::shared_ptr<TypeArena> arena;          // owns every type below (shared with nested ones)
  const ComponentType* type = nullptr;       // imports and exports
  IndexSpaces spaces;
  std::vector<std::shared_ptr<const ResolvedComponent>> nested;  // in definition order
  // Names given to value and resource types by type imports/exports, for printing.
  std::vector<std::pair<const void*, std::string>> type_names;
  // Features the component uses that the runtime does not run yet (async built-ins, start
  // functions, value definitions), for a clear refusal at instantiation.
  std::vector<std::string> unsupported;
};

Result<std::shared_ptr<const ResolvedComponent>> resolve(std::shared_ptr<const ast::Component> c);

// Decodes and resolves in one step.
Result<std::shared_ptr<const ResolvedComponent>> load_component(std::vector<uint8_t> bytes);

}  // namespace witserve::component
