// The reference host: instantiates a component with `jco transpile` on Node, implements the host
// interfaces of the test corpus in JavaScript, and converts values between JSON (the conventions of
// ../README.md, by WIT type) and jco's JavaScript representation.
//
//   const ref = await Reference.load('out/values.wasm');        // finds out/components.json
//   const outcome = await ref.call('echo-u64', ['18446744073709551615']);
//   // -> { result: '18446744073709551615' }   or   { trap: 'message' }
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CoreReference } from './core_reference.mjs';
import { parseWit, resolveType, worldExports } from './wit.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const guestTools = resolve(here, '../../../tools/guest/node_modules');
const jcoApi = join(guestTools, '@bytecodealliance/jco/dist/api.js');
const jcoVersion = JSON.parse(readFileSync(join(guestTools, '@bytecodealliance/jco/package.json'))).version;

// ---- names as jco spells them ----
const camel = (s) => s.replace(/-([a-zA-Z0-9])/g, (_, c) => c.toUpperCase()).replace(/^[A-Z]/, (c) => c.toLowerCase());
const upperCamel = (s) => { const c = camel(s); return c[0].toUpperCase() + c.slice(1); };
const lowerWords = (s) => s.split('-').map((w, i) => (i === 0 ? w.toLowerCase() : w[0].toUpperCase() + w.slice(1).toLowerCase())).join('');
const jsName = (s) => (/[A-Z]/.test(s) ? lowerWords(s) : camel(s));

// ---- the host side of the corpus: what a host must implement (documented in ../README.md) ----
class PayloadError extends Error {  // jco turns a thrown `payload` into result::err
  constructor(payload) { super(typeof payload === 'string' ? payload : JSON.stringify(payload)); this.payload = payload; }
}

function makeHost(state) {
  class HostThing {
    #value;
    constructor(v) { this.#value = v >>> 0; state.thingsCreated++; }
    value() { return this.#value; }
    [Symbol.dispose]() { state.thingsDropped++; }
    toJSON() { return this.#value; }
  }
  const echo = (x) => x;
  return {
    'test:values/host': {
      hostEchoString: echo,
      hostEchoRecord: echo,
      hostEchoListString: echo,
      hostEchoVariant: echo,
      hostEchoOption: echo,
      hostEchoResult: (r) => { if (r.tag === 'err') throw new PayloadError(r.val); return r.val; },
      hostSum20: (...ps) => ps.reduce((a, p) => a + BigInt(p), 0n),
    },
    'test:strings/host': { hostEcho: echo },
    'test:resources/host': { HostThing, thingsDropped: () => state.thingsDropped },
    // Host resource classes by WIT resource name, for {"$new": NAME, "args": [...]}.
    $resources: { 'host-thing': HostThing },
  };
}

// ---- JSON <-> jco values by WIT type ----
const INTS = { s8: [-128, 127], u8: [0, 255], s16: [-32768, 32767], u16: [0, 65535], s32: [-(2 ** 31), 2 ** 31 - 1], u32: [0, 2 ** 32 - 1] };
const TYPED = { s8: Int8Array, u8: Uint8Array, s16: Int16Array, u16: Uint16Array, s32: Int32Array, u32: Uint32Array, s64: BigInt64Array, u64: BigUint64Array, f32: Float32Array, f64: Float64Array };

function floatFromJson(j) {
  if (typeof j === 'number') return j;
  const specials = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };
  if (typeof j === 'string' && j in specials) return specials[j];
  throw new TypeError(`not a float: ${JSON.stringify(j)}`);
}
function floatToJson(v) {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (Object.is(v, -0)) return '-0';
  return v;
}
const isOptionType = (t, scope) => resolveType(t, scope).type.kind === 'option';

export class Reference {
  // Options: wit/world (else from components.json next to the component), cacheDir, and
  // coreEncoding: use CoreReference with that string encoding instead of jco (else as
  // components.json says: "reference": "core").
  static async load(wasmPath, { wit, world, cacheDir, coreEncoding } = {}) {
    wasmPath = resolve(wasmPath);
    const bytes = readFileSync(wasmPath);
    const manifestPath = join(dirname(wasmPath), 'components.json');
    const entry = existsSync(manifestPath)
      ? JSON.parse(readFileSync(manifestPath, 'utf8')).components?.[basename(wasmPath)] : null;
    if (!wit && entry?.wit) { wit = resolve(dirname(manifestPath), entry.wit); world ??= entry.world; }
    if (!coreEncoding && entry?.reference === 'core') coreEncoding = entry['string-encoding'];
    const types = wit ? worldExports(parseWit(readFileSync(wit, 'utf8')), world) : null;
    if (coreEncoding) {
      if (!types) throw new Error('the core reference needs the WIT types (--wit)');
      return CoreReference.load(wasmPath, types, coreEncoding);
    }
    const dir = await transpileCached(bytes, cacheDir);
    const mod = await import(pathToFileURL(join(dir, 'component.js')).href);
    const state = { thingsDropped: 0, thingsCreated: 0 };
    const host = makeHost(state);
    const imports = new Proxy(host, { get: (h, k) => h[k] ?? {} });  // types-only imports get {}
    const getCoreModule = (p) => WebAssembly.compile(readFileSync(join(dir, p)));
    const instance = await mod.instantiate(getCoreModule, imports);
    return new Reference(instance, types, host, state);
  }

  constructor(instance, types, host, state) {
    this.instance = instance;
    this.types = types;
    this.host = host;
    this.state = state;
    this.slots = new Map();  // resource references by name ("#1", "#2", ... or a `save` name)
    this.nextSlot = 1;
  }

  // The JS callable for a harness function name (see wit.mjs worldExports).
  #target(name, info) {
    const hash = name.indexOf('#');
    let ns = this.instance;
    let fname = name;
    if (hash >= 0) {
      const iface = name.slice(0, hash);
      fname = name.slice(hash + 1);
      const short = iface.replace(/@.*$/, '').split('/').pop();
      ns = this.instance[iface] ?? this.instance[iface.replace(/@.*$/, '')] ?? this.instance[camel(short)];
      if (!ns) throw new Error(`no exported interface ${iface}`);
    }
    let m;
    if ((m = /^\[constructor\](.+)$/.exec(fname))) {
      const cls = ns[upperCamel(m[1])];
      return (...args) => new cls(...args);
    }
    if ((m = /^\[method\](.+)\.(.+)$/.exec(fname))) {
      const method = jsName(m[2]);
      return (self, ...args) => self[method](...args);
    }
    if ((m = /^\[static\](.+)\.(.+)$/.exec(fname))) {
      const cls = ns[upperCamel(m[1])];
      return (...args) => cls[jsName(m[2])](...args);
    }
    const f = ns[jsName(fname)];
    if (typeof f !== 'function') throw new Error(`no exported function ${name}`);
    return f;
  }

  // Calls an export. args: JSON values. Returns { result: JSON } or { trap: message }.
  async call(name, args = [], { save } = {}) {
    const info = this.types?.exports.get(name) ?? null;
    if (this.types && !info) throw new Error(`no export '${name}' in the WIT world (have: ${[...this.types.exports.keys()].join(', ')})`);
    const fn = this.#target(name, info);
    const params = info ? info.func.params : args.map(() => null);
    if (args.length !== params.length) throw new Error(`${name}: ${params.length} arguments expected, got ${args.length}`);
    const jsArgs = args.map((a, i) => (params[i] ? this.toJs(a, params[i].type, info.scope) : a));
    const resultType = info?.func.result ?? null;
    const returnsResult = info && resultType && resolveType(resultType, info.scope).type.kind === 'result';
    let ret;
    try {
      ret = fn(...jsArgs);
      if (ret instanceof Promise) ret = await ret;
      if (returnsResult) ret = { tag: 'ok', val: ret };
    } catch (e) {
      if (returnsResult && e && Object.prototype.hasOwnProperty.call(e, 'payload')) ret = { tag: 'err', val: e.payload };
      else return { trap: String(e?.message ?? e) };
    }
    if (!info) return { result: genericToJson(ret) };
    if (!resultType) return { result: null };
    const result = this.toJson(ret, resultType, info.scope, save);
    return { result };
  }

  // Ends the harness's reference to a resource: exported resources are dropped (the guest's
  // destructor runs), host resources are destroyed (host-thing counts as dropped).
  drop(ref) {
    const obj = this.slots.get(ref);
    if (!obj) throw new Error(`no resource '${ref}'`);
    this.slots.delete(ref);
    for (const [k, v] of this.slots) if (v === obj) this.slots.delete(k);
    obj[Symbol.dispose]?.();
  }

  slotFor(obj, save) {
    if (save) { this.slots.set(save, obj); return save; }
    for (const [k, v] of this.slots) if (v === obj) return k;
    const name = `#${this.nextSlot++}`;
    this.slots.set(name, obj);
    return name;
  }

  toJs(j, t, scope) {
    const { type, scope: s } = resolveType(t, scope);
    switch (type.kind) {
      case 'bool': if (typeof j !== 'boolean') throw new TypeError(`bool expected: ${JSON.stringify(j)}`); return j;
      case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': {
        const n = typeof j === 'string' ? Number(j) : j;
        const [lo, hi] = INTS[type.kind];
        if (!Number.isInteger(n) || n < lo || n > hi) throw new TypeError(`${type.kind} expected: ${JSON.stringify(j)}`);
        return n;
      }
      case 's64': case 'u64': return BigInt(j);
      case 'f32': case 'f64': return floatFromJson(j);
      case 'char': case 'string': return j;
      case 'list': {
        if (!Array.isArray(j)) throw new TypeError(`list expected: ${JSON.stringify(j)}`);
        const et = resolveType(type.elem, s).type.kind;
        if (!type.length && TYPED[et]) return TYPED[et].from(j.map((e) => this.toJs(e, type.elem, s)));
        return j.map((e) => this.toJs(e, type.elem, s));
      }
      case 'tuple': return type.elems.map((et, i) => this.toJs(j[i], et, s));
      case 'record': return Object.fromEntries(type.fields.map((f) => [jsName(f.name), this.toJs(j[f.name], f.type, s)]));
      case 'variant': {
        const c = type.cases.find((c) => c.name === j.tag);
        if (!c) throw new TypeError(`no case ${j.tag} in variant ${type.name}`);
        return c.type ? { tag: c.name, val: this.toJs(j.val, c.type, s) } : { tag: c.name };
      }
      case 'enum': return j;
      case 'flags': return Object.fromEntries(type.names.map((n) => [jsName(n), j.includes(n)]));
      case 'option': {
        const inner = j.tag === 'some' ? this.toJs(j.val, type.inner, s) : undefined;
        if (isOptionType(type.inner, s)) return j.tag === 'some' ? { tag: 'some', val: inner } : { tag: 'none' };
        if (j.tag !== 'some' && j.tag !== 'none') throw new TypeError(`option expected: ${JSON.stringify(j)}`);
        return inner;
      }
      case 'result': {
        const pt = j.tag === 'ok' ? type.ok : type.err;
        if (j.tag !== 'ok' && j.tag !== 'err') throw new TypeError(`result expected: ${JSON.stringify(j)}`);
        return { tag: j.tag, val: pt ? this.toJs(j.val, pt, s) : undefined };
      }
      case 'own': case 'borrow': {
        if (j && typeof j === 'object' && '$new' in j) {
          const cls = this.host.$resources[j.$new];
          if (!cls) throw new Error(`no host resource '${j.$new}'`);
          return new cls(...(j.args ?? []));
        }
        const obj = this.slots.get(j?.$ref);
        if (!obj) throw new Error(`no resource '${j?.$ref}'`);
        return obj;
      }
      case 'resource': return this.toJs(j, { kind: 'own', res: t }, scope);
      default: return j;
    }
  }

  toJson(v, t, scope, save) {
    const { type, scope: s } = resolveType(t, scope);
    switch (type.kind) {
      case 's64': case 'u64': return String(v);
      case 'f32': case 'f64': return floatToJson(v);
      case 'list': return Array.from(v, (e) => this.toJson(e, type.elem, s));
      case 'tuple': return type.elems.map((et, i) => this.toJson(v[i], et, s));
      case 'record': return Object.fromEntries(type.fields.map((f) => [f.name, this.toJson(v[jsName(f.name)], f.type, s)]));
      case 'variant': {
        const c = type.cases.find((c) => c.name === v.tag);
        return c?.type ? { tag: v.tag, val: this.toJson(v.val, c.type, s) } : { tag: v.tag };
      }
      case 'flags': return type.names.filter((n) => v[jsName(n)]);
      case 'option': {
        if (isOptionType(type.inner, s)) return v.tag === 'some' ? { tag: 'some', val: this.toJson(v.val, type.inner, s) } : { tag: 'none' };
        return v === undefined || v === null ? { tag: 'none' } : { tag: 'some', val: this.toJson(v, type.inner, s) };
      }
      case 'result': {
        const pt = v.tag === 'ok' ? type.ok : type.err;
        return pt ? { tag: v.tag, val: this.toJson(v.val, pt, s) } : { tag: v.tag };
      }
      case 'own': case 'borrow': case 'resource': {
        const res = type.kind === 'resource' ? type : resolveType(type.res, s).type;
        const out = { $resource: res.name, $ref: this.slotFor(v, save) };
        if (res.name === 'host-thing') out.value = v.value();
        return out;
      }
      default: return v === undefined ? null : v;
    }
  }
}

function genericToJson(v) {
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'number') return floatToJson(v);
  if (v === undefined) return null;
  if (ArrayBuffer.isView(v)) return Array.from(v, genericToJson);
  if (Array.isArray(v)) return v.map(genericToJson);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, genericToJson(x)]));
  return v;
}

// jco transpile output, cached by the component's hash (and jco's version).
async function transpileCached(bytes, cacheDir) {
  cacheDir ??= process.env.WITSERVE_REFERENCE_CACHE ?? join(tmpdir(), 'witserve-reference-cache');
  const key = createHash('sha256').update(bytes).update(jcoVersion).digest('hex').slice(0, 32);
  const dir = join(cacheDir, key);
  if (existsSync(join(dir, 'component.js'))) return dir;
  const { transpile } = await import(pathToFileURL(jcoApi).href);
  const { files } = await transpile(bytes, { name: 'component', instantiation: 'async', noTypescript: true, quiet: true, noNodejsCompat: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(tmp, file)), { recursive: true });
    writeFileSync(join(tmp, file), content);
  }
  try { renameSync(tmp, dir); } catch (e) { rmSync(tmp, { recursive: true, force: true }); if (!existsSync(dir)) throw e; }
  return dir;
}

// Runs a batch of steps against one instance. Steps:
//   { "func": NAME, "args": [...], "save": "c1"? }  -> { "result": JSON } | { "trap": message }
//   { "drop": "c1" }                                 -> { "dropped": "c1" }
export async function runBatch(ref, steps) {
  const out = [];
  for (const step of steps) {
    if (step.drop !== undefined) {
      try { ref.drop(step.drop); out.push({ dropped: step.drop }); } catch (e) { out.push({ trap: String(e?.message ?? e) }); }
      continue;
    }
    try {
      out.push(await ref.call(step.func, step.args ?? [], { save: step.save }));
    } catch (e) {
      out.push({ error: String(e?.message ?? e) });  // a harness error (bad name, bad JSON), not a trap
    }
  }
  return out;
}
