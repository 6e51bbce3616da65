// External visibility of types (Explainer.md, "External Visibility of Types"): a resource,
// record, variant, enum or flags type used in the type of an import or export must have an
// externally visible name, i.e. be used through the type index that an import or export of that
// type introduced (an export names a new index, not the one passed to it); and imports cannot
// depend on names that exports introduced. Part of the resolver; one per resolution, any thread.
#pragma once

#include <string>
#include <unordered_set>

#include "witserve/component/types.h"

namespace witserve::component {

// Whether a type mentions a resource anywhere (own, borrow, a resource type, or inside a component
// or instance type): such a type may not be aliased into a nested component (outer-alias.wast).
bool refers_to_resources(TypeRef t);
bool refers_to_resources(const ExternType& t);

class Visibility {
 public:
  // The type an import or export of `t` introduces into the type index space: for a resource or
  // a record/variant/enum/flags type, a new identity that counts as named (a resource exported
  // at the component level becomes a new index of the same resource; see ResourceType::origin).
  // `by_export`: named by a component-level export (invisible to imports).
  ExternType name(const ExternType& t, bool by_export, TypeArena& arena);

  // Why an item of type `t` cannot be imported (`is_import`) or exported, or an empty string.
  std::string check(const ExternType& t, bool is_import) const;

  // An exported instance names the types it exports (and those of instances it exports), so
  // that an alias out of it is a visible name.
  void exported_instance(const InstanceType& t);

 private:
  // Types an instance's own type exports name, visible to its other exports.
  using Local = std::unordered_set<const void*>;
  bool named(const void* p, bool is_import, const Local& local) const {
    return local.count(p) || by_import_.count(p) || (!is_import && by_export_.count(p));
  }
  bool visible(TypeRef t, bool is_import, const Local& local) const;
  bool members_visible(TypeRef t, bool is_import, const Local& local) const;
  std::string check(const ExternType& t, bool is_import, const Local& local) const;

  std::unordered_set<const void*> by_import_, by_export_;
};

}  // namespace witserve::component
