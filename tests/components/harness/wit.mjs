// A small WIT parser: enough of the language for the test corpus (one package per file, interfaces,
// worlds, use, type/record/variant/enum/flags/resource, functions). The reference harness uses it to
// convert JSON values to and from jco's JavaScript representation by WIT type.
//
// parseWit(text) -> { package, interfaces: Map<name, Scope>, worlds: Map<name, World> }
// Types are plain objects: { kind: 'u8' | ... | 'string' | 'list' | 'option' | 'result' | 'tuple' |
// 'record' | 'variant' | 'enum' | 'flags' | 'resource' | 'own' | 'borrow' | 'ref' ... }.

const PRIMS = new Set(['bool', 's8', 'u8', 's16', 'u16', 's32', 'u32', 's64', 'u64', 'f32', 'f64',
  'float32', 'float64', 'char', 'string']);

function tokenize(text) {
  const toks = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i++; continue; }
    if (text.startsWith('//', i)) { while (i < text.length && text[i] !== '\n') i++; continue; }
    if (text.startsWith('/*', i)) { const j = text.indexOf('*/', i + 2); i = j < 0 ? text.length : j + 2; continue; }
    if (text.startsWith('->', i)) { toks.push('->'); i += 2; continue; }
    if (/[A-Za-z%_]/.test(c)) {
      let j = i + 1;
      while (j < text.length && /[A-Za-z0-9\-_]/.test(text[j])) j++;
      toks.push(text.slice(i, j));
      i = j;
      continue;
    }
    if (/[0-9]/.test(c)) {  // versions: 0.2.0, 1.0.0-rc
      let j = i + 1;
      while (j < text.length && /[0-9A-Za-z.\-+]/.test(text[j])) j++;
      toks.push(text.slice(i, j));
      i = j;
      continue;
    }
    toks.push(c);
    i++;
  }
  return toks;
}

const unescapeId = (s) => (s.startsWith('%') ? s.slice(1) : s);

class Parser {
  constructor(text) {
    this.t = tokenize(text);
    this.i = 0;
  }
  peek(k = 0) { return this.t[this.i + k]; }
  next() {
    if (this.i >= this.t.length) throw new Error('WIT: unexpected end of input');
    return this.t[this.i++];
  }
  eat(tok) {
    if (this.peek() === tok) { this.i++; return true; }
    return false;
  }
  expect(tok) {
    const got = this.next();
    if (got !== tok) throw new Error(`WIT: expected '${tok}', got '${got}' (token ${this.i})`);
  }
  id() { return unescapeId(this.next()); }

  skipAttributes() {  // @since(version = 0.2.0), @unstable(feature = x), @deprecated(...)
    while (this.peek() === '@' && this.peek(1) !== undefined && /^[a-z]/.test(this.peek(1))) {
      this.next(); this.next();
      if (this.eat('(')) { let depth = 1; while (depth) { const t = this.next(); if (t === '(') depth++; if (t === ')') depth--; } }
    }
  }

  // path: `iface`, `ns:pkg/iface`, `ns:pkg/iface@1.0.0`
  path() {
    let s = this.id();
    if (this.eat(':')) { s += ':' + this.id(); this.expect('/'); s += '/' + this.id(); }
    if (this.eat('@')) s += '@' + this.next();
    return s;
  }

  type() {
    const name = this.id();
    switch (name) {
      case 'list': { this.expect('<'); const elem = this.type(); let length = null; if (this.eat(',')) length = Number(this.next()); this.expect('>'); return { kind: 'list', elem, length }; }
      case 'option': { this.expect('<'); const inner = this.type(); this.expect('>'); return { kind: 'option', inner }; }
      case 'result': {
        if (!this.eat('<')) return { kind: 'result', ok: null, err: null };
        let ok = null, err = null;
        if (this.eat('_')) { this.expect(','); err = this.type(); }
        else { ok = this.type(); if (this.eat(',')) err = this.type(); }
        this.expect('>');
        return { kind: 'result', ok, err };
      }
      case 'tuple': { this.expect('<'); const elems = [this.type()]; while (this.eat(',')) elems.push(this.type()); this.expect('>'); return { kind: 'tuple', elems }; }
      case 'borrow': { this.expect('<'); const r = this.id(); this.expect('>'); return { kind: 'borrow', res: { kind: 'ref', name: r } }; }
      case 'own': { this.expect('<'); const r = this.id(); this.expect('>'); return { kind: 'own', res: { kind: 'ref', name: r } }; }
      case 'future': case 'stream': {
        let inner = null;
        if (this.eat('<')) { inner = this.type(); this.expect('>'); }
        return { kind: name, inner };
      }
      default:
        if (PRIMS.has(name)) return { kind: name === 'float32' ? 'f32' : name === 'float64' ? 'f64' : name };
        return { kind: 'ref', name };
    }
  }

  params() {
    this.expect('(');
    const ps = [];
    while (!this.eat(')')) {
      const name = this.id(); this.expect(':');
      ps.push({ name, type: this.type() });
      this.eat(',');
    }
    return ps;
  }

  funcType() {  // after `func` (or `async func`)
    const params = this.params();
    let result = null;
    if (this.eat('->')) {
      if (this.peek() === '(') {  // old named results
        const rs = this.params();
        result = rs.length === 0 ? null : rs.length === 1 ? rs[0].type : { kind: 'tuple', elems: rs.map((r) => r.type) };
      } else {
        result = this.type();
      }
    }
    return { params, result };
  }

  // Items common to interfaces and worlds: use and type definitions. Returns true if consumed.
  typeItem(scope) {
    const kw = this.peek();
    if (kw === 'use') {
      this.next();
      const from = this.path();
      this.expect('.'); this.expect('{');
      while (!this.eat('}')) {
        const name = this.id();
        let as = name;
        if (this.eat('as')) as = this.id();
        scope.types.set(as, { kind: 'use', from, name });
        this.eat(',');
      }
      this.expect(';');
      return true;
    }
    if (kw === 'type') { this.next(); const name = this.id(); this.expect('='); scope.types.set(name, this.type()); this.expect(';'); return true; }
    if (kw === 'record') {
      this.next(); const name = this.id(); this.expect('{');
      const fields = [];
      while (!this.eat('}')) { this.skipAttributes(); const f = this.id(); this.expect(':'); fields.push({ name: f, type: this.type() }); this.eat(','); }
      scope.types.set(name, { kind: 'record', name, fields });
      return true;
    }
    if (kw === 'variant') {
      this.next(); const name = this.id(); this.expect('{');
      const cases = [];
      while (!this.eat('}')) {
        this.skipAttributes();
        const c = this.id(); let type = null;
        if (this.eat('(')) { type = this.type(); this.expect(')'); }
        cases.push({ name: c, type }); this.eat(',');
      }
      scope.types.set(name, { kind: 'variant', name, cases });
      return true;
    }
    if (kw === 'enum' || kw === 'flags') {
      this.next(); const name = this.id(); this.expect('{');
      const names = [];
      while (!this.eat('}')) { this.skipAttributes(); names.push(this.id()); this.eat(','); }
      scope.types.set(name, { kind: kw, name, names });
      return true;
    }
    if (kw === 'resource') {
      this.next(); const name = this.id();
      const res = { kind: 'resource', name, scope, funcs: [] };
      scope.types.set(name, res);
      if (this.eat(';')) return true;
      this.expect('{');
      while (!this.eat('}')) {
        this.skipAttributes();
        if (this.eat('constructor')) {
          const params = this.params(); let result = null;
          if (this.eat('->')) result = this.type();  // constructor(...) -> result<T, E>
          this.expect(';');
          res.funcs.push({ name: `[constructor]${name}`, params, result: result ?? { kind: 'own', res: { kind: 'ref', name } }, resource: name, ctor: true });
          continue;
        }
        const m = this.id(); this.expect(':');
        const isStatic = this.eat('static');
        this.eat('async');
        this.expect('func');
        const ft = this.funcType(); this.expect(';');
        if (isStatic) res.funcs.push({ name: `[static]${name}.${m}`, ...ft, resource: name, static: true, method: m });
        else res.funcs.push({ name: `[method]${name}.${m}`, params: [{ name: 'self', type: { kind: 'borrow', res: { kind: 'ref', name } } }, ...ft.params], result: ft.result, resource: name, method: m });
      }
      return true;
    }
    return false;
  }

  interfaceBody(scope) {
    this.expect('{');
    while (!this.eat('}')) {
      this.skipAttributes();
      if (this.typeItem(scope)) continue;
      const name = this.id(); this.expect(':'); this.eat('async'); this.expect('func');
      scope.funcs.push({ name, ...this.funcType() });
      this.expect(';');
    }
    for (const t of scope.types.values()) if (t.kind === 'resource') scope.funcs.push(...t.funcs);
  }

  file() {
    const wit = { package: null, interfaces: new Map(), worlds: new Map() };
    while (this.peek() !== undefined) {
      this.skipAttributes();
      const kw = this.next();
      if (kw === 'package') {
        let name = this.id(); this.expect(':'); name += ':' + this.id();
        if (this.eat('@')) name += '@' + this.next();
        wit.package = name;
        if (this.peek() === '{') throw new Error('WIT: nested package blocks are not supported');
        this.expect(';');
      } else if (kw === 'interface') {
        const name = this.id();
        const scope = { kind: 'interface', name, wit, types: new Map(), funcs: [] };
        this.interfaceBody(scope);
        wit.interfaces.set(name, scope);
      } else if (kw === 'world') {
        const name = this.id();
        const world = { kind: 'world', name, wit, types: new Map(), funcs: [], imports: [], exports: [] };
        this.expect('{');
        while (!this.eat('}')) {
          this.skipAttributes();
          if (this.typeItem(world)) continue;
          const dir = this.next();
          if (dir === 'include') { this.path(); this.expect(';'); continue; }
          if (dir !== 'import' && dir !== 'export') throw new Error(`WIT: unexpected '${dir}' in world ${name}`);
          const list = dir === 'import' ? world.imports : world.exports;
          if (this.peek(1) === ':' && (this.peek(2) === 'func' || this.peek(2) === 'async' || this.peek(2) === 'interface')) {
            const item = this.id(); this.expect(':');
            if (this.eat('interface')) {
              const scope = { kind: 'interface', name: item, wit, types: new Map(), funcs: [], inline: true };
              this.interfaceBody(scope);
              list.push({ kind: 'interface', name: item, scope });
            } else {
              this.eat('async'); this.expect('func');
              const f = { name: item, ...this.funcType() }; this.expect(';');
              list.push({ kind: 'func', func: f });
            }
          } else {
            list.push({ kind: 'interface', path: this.path() }); this.expect(';');
          }
        }
        wit.worlds.set(name, world);
      } else if (kw === 'use') {  // top-level `use ns:pkg/iface as x;`
        this.path(); if (this.eat('as')) this.id(); this.expect(';');
      } else {
        throw new Error(`WIT: unexpected '${kw}'`);
      }
    }
    return wit;
  }
}

export function parseWit(text) {
  return new Parser(text).file();
}

// The interface a path names, within the same package (other packages are unknown here).
function lookupInterface(wit, path) {
  let name = path.replace(/@.*$/, '');
  const pkg = wit.package?.replace(/@.*$/, '');
  if (name.includes('/')) {
    const [p, i] = name.split('/');
    if (p !== pkg) return null;
    name = i;
  }
  return wit.interfaces.get(name) ?? null;
}

// Resolves named types to their definitions (records etc. keep their identity).
export function resolveType(t, scope) {
  for (let guard = 0; guard < 100; guard++) {
    if (t.kind !== 'ref') return { type: t, scope };
    const def = scope.types.get(t.name);
    if (!def) throw new Error(`WIT: unknown type '${t.name}' in ${scope.name}`);
    if (def.kind === 'use') {
      const iface = lookupInterface(scope.wit, def.from);
      if (!iface) return { type: { kind: 'unknown', name: def.name }, scope };
      t = { kind: 'ref', name: def.name };
      scope = iface;
      continue;
    }
    return { type: def, scope };
  }
  throw new Error('WIT: type alias cycle');
}

// The exported functions of a world: Map from the harness's function name to { func, scope, iface }.
//   world-level function:          "NAME"
//   function of exported interface: "ns:pkg/iface#NAME" (resource functions: "[constructor]r",
//                                   "[method]r.m", "[static]r.s" as NAME)
export function worldExports(wit, worldName) {
  const world = worldName ? wit.worlds.get(worldName) : [...wit.worlds.values()][0];
  if (!world) throw new Error(`WIT: no world '${worldName}' (have: ${[...wit.worlds.keys()].join(', ')})`);
  const out = new Map();
  for (const e of world.exports) {
    if (e.kind === 'func') { out.set(e.func.name, { func: e.func, scope: world, iface: null }); continue; }
    const scope = e.scope ?? lookupInterface(wit, e.path);
    if (!scope) continue;
    const full = e.scope ? e.name : (e.path.includes(':') ? e.path : `${wit.package.replace(/@.*$/, '')}/${e.path}${wit.package.includes('@') ? '@' + wit.package.split('@')[1] : ''}`);
    for (const f of scope.funcs) out.set(`${full}#${f.name}`, { func: f, scope, iface: full });
  }
  return { world, exports: out };
}
