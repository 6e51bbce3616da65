// An asc transform (`asc --transform kebab-exports.mjs`): AssemblyScript can only export functions
// under their identifiers, and the canonical ABI needs the WIT names (wit-component's legacy core
// names: `count-bytes`, `cabi_post_reverse-bytes`). After compilation this renames every function
// export from camelCase to kebab-case: countBytes -> count-bytes, cabi_post_reverseBytes ->
// cabi_post_reverse-bytes; names without capitals (add, cabi_realloc, memory) stay.
// A plain class: asc instantiates it with `this.binaryen` set.
export default class KebabExports {
  afterCompile(module) {
    const binaryen = this.binaryen;
    const renames = [];
    for (let i = 0; i < module.getNumExports(); i++) {
      const info = binaryen.getExportInfo(module.getExportByIndex(i));
      if (info.kind !== binaryen.ExternalFunction) continue;
      const kebab = info.name.replace(/([a-z0-9])([A-Z])/g, (_, a, b) => `${a}-${b.toLowerCase()}`);
      if (kebab !== info.name) renames.push([info.name, info.value, kebab]);
    }
    for (const [name, internal, kebab] of renames) {
      module.removeExport(name);
      module.addFunctionExport(internal, kebab);
    }
  }
}
