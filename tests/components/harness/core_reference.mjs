// A second, much smaller reference host for what `jco transpile` cannot run: components whose
// canonical options use string-encoding=latin1+utf16 (jco 1.35 panics on them: "assertion failed:
// matches!(self.encoding, StringEncoding::UTF8 | StringEncoding::UTF16)").
//
// It takes the main core module out of the component (the first core module section, which is where
// wit-component puts it), instantiates it with Node's WebAssembly, and does the canonical ABI itself
// for a subset of WIT: bool, integers, char, string and list<T> of those, world-level exports only,
// synchronous, one memory. Strings are lowered as the spec's store_string_into_range does for the
// final outcome (for latin1+utf16: Latin-1 when every scalar value is below U+0100, else UTF-16
// with the length tagged by bit 31); the realloc call sequence is simplified to one exact-size call.
// Host imports are the corpus's (test:strings/host#host-echo returns its argument).
import { readFileSync } from 'node:fs';
import { resolveType } from './wit.mjs';

const UTF16_TAG = 0x80000000;

function readLeb(bytes, pos) {
  let result = 0, shift = 0, b;
  do { b = bytes[pos++]; result += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
  return [result, pos];
}

// The payload of the first core module section (id 1) of a component binary.
export function firstCoreModule(bytes) {
  if (bytes.readUInt32LE(0) !== 0x6d736100 || bytes[6] !== 1 || bytes[7] !== 0) throw new Error('not a component');
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos++];
    const [size, start] = readLeb(bytes, pos);
    if (id === 1) return bytes.subarray(start, start + size);
    pos = start + size;
  }
  throw new Error('no core module in the component');
}

// `encoding` is the component's string-encoding option (components.json says it: "string-encoding").
export class CoreReference {
  static async load(wasmPath, types, encoding) {
    const core = firstCoreModule(readFileSync(wasmPath));
    const ref = new CoreReference(types, encoding);
    const module = await WebAssembly.compile(core);
    const imports = {};
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.kind !== 'function') throw new Error(`core reference: unsupported import ${imp.module} ${imp.name}`);
      imports[imp.module] ??= {};
      imports[imp.module][imp.name] = ref.hostFunction(imp.module, imp.name);
    }
    ref.instance = await WebAssembly.instantiate(module, imports);
    ref.instance.exports._initialize?.();
    return ref;
  }

  constructor(types, encoding) {
    this.types = types;
    this.encoding = encoding;  // 'utf8' | 'utf16' | 'latin1+utf16'
  }

  get mem() { return this.instance.exports.memory.buffer; }
  get view() { return new DataView(this.mem); }

  realloc(align, size) {
    const ptr = this.instance.exports.cabi_realloc(0, 0, align, size) >>> 0;
    if (ptr % align) throw new Error('realloc returned an unaligned pointer');
    if (ptr + size > this.mem.byteLength) throw new Error('realloc returned an out-of-bounds pointer');
    return ptr;
  }

  // ---- types ----
  kind(t, scope) { return resolveType(t, scope).type; }
  flat(t, scope) {
    const ty = this.kind(t, scope);
    switch (ty.kind) {
      case 's64': case 'u64': return ['i64'];
      case 'f32': return ['f32'];
      case 'f64': return ['f64'];
      case 'string': case 'list': return ['i32', 'i32'];
      default: return ['i32'];
    }
  }
  size(t, scope) {
    const ty = this.kind(t, scope);
    return { bool: 1, s8: 1, u8: 1, s16: 2, u16: 2, s32: 4, u32: 4, char: 4, s64: 8, u64: 8, f32: 4, f64: 8, string: 8, list: 8 }[ty.kind];
  }

  // ---- strings ----
  liftString(ptr, tagged) {
    const m = new Uint8Array(this.mem);
    if (this.encoding === 'utf8') return new TextDecoder('utf-8', { fatal: true }).decode(m.subarray(ptr, ptr + tagged));
    if (this.encoding === 'utf16' || (tagged & UTF16_TAG)) {
      const units = this.encoding === 'utf16' ? tagged : tagged & ~UTF16_TAG;
      if (ptr % 2) throw new Error('unaligned utf16 string');
      return new TextDecoder('utf-16le', { fatal: true }).decode(m.subarray(ptr, ptr + 2 * units));
    }
    return String.fromCharCode(...m.subarray(ptr, ptr + tagged));  // latin1
  }
  lowerString(s) {
    if (this.encoding === 'utf8') {
      const bytes = new TextEncoder().encode(s);
      const ptr = this.realloc(1, bytes.length);
      new Uint8Array(this.mem).set(bytes, ptr);
      return [ptr, bytes.length];
    }
    const latin1 = this.encoding === 'latin1+utf16' && [...s].every((c) => c.codePointAt(0) < 0x100);
    if (latin1) {
      const ptr = this.realloc(2, s.length);
      const m = new Uint8Array(this.mem);
      for (let i = 0; i < s.length; i++) m[ptr + i] = s.charCodeAt(i);
      return [ptr, s.length];
    }
    const ptr = this.realloc(2, 2 * s.length);
    const v = this.view;
    for (let i = 0; i < s.length; i++) v.setUint16(ptr + 2 * i, s.charCodeAt(i), true);
    return [ptr, this.encoding === 'latin1+utf16' ? (s.length | UTF16_TAG) >>> 0 : s.length];
  }

  // ---- values: JSON <-> flat/memory ----
  lowerFlat(j, t, scope) {
    const ty = this.kind(t, scope);
    switch (ty.kind) {
      case 'bool': return [j ? 1 : 0];
      case 's64': case 'u64': return [BigInt.asIntN(64, BigInt(j))];
      case 'f32': case 'f64': return [j];
      case 'char': return [j.codePointAt(0)];
      case 'string': return this.lowerString(j);
      case 'list': {
        const es = this.size(ty.elem, scope);
        const ptr = this.realloc(Math.min(es, 8), es * j.length);
        j.forEach((e, i) => this.store(e, ty.elem, scope, ptr + i * es));
        return [ptr, j.length];
      }
      default: return [j | 0];
    }
  }
  store(j, t, scope, ptr) {
    const ty = this.kind(t, scope);
    const v = this.view;
    switch (ty.kind) {
      case 'bool': case 's8': case 'u8': v.setUint8(ptr, Number(j) & 0xff); break;
      case 's16': case 'u16': v.setUint16(ptr, Number(j) & 0xffff, true); break;
      case 's64': case 'u64': v.setBigUint64(ptr, BigInt.asUintN(64, BigInt(j)), true); break;
      case 'f32': v.setFloat32(ptr, j, true); break;
      case 'f64': v.setFloat64(ptr, j, true); break;
      case 'string': case 'list': { const [p, l] = this.lowerFlat(j, t, scope); this.view.setUint32(ptr, p, true); this.view.setUint32(ptr + 4, l, true); break; }
      case 'char': v.setUint32(ptr, j.codePointAt(0), true); break;
      default: v.setUint32(ptr, Number(j) >>> 0, true);
    }
  }
  load(t, scope, ptr) {
    const ty = this.kind(t, scope);
    const v = this.view;
    switch (ty.kind) {
      case 'bool': return v.getUint8(ptr) !== 0;
      case 's8': return v.getInt8(ptr);
      case 'u8': return v.getUint8(ptr);
      case 's16': return v.getInt16(ptr, true);
      case 'u16': return v.getUint16(ptr, true);
      case 's32': return v.getInt32(ptr, true);
      case 'u32': return v.getUint32(ptr, true);
      case 's64': return String(v.getBigInt64(ptr, true));
      case 'u64': return String(v.getBigUint64(ptr, true));
      case 'f32': return v.getFloat32(ptr, true);
      case 'f64': return v.getFloat64(ptr, true);
      case 'char': return String.fromCodePoint(v.getUint32(ptr, true));
      case 'string': return this.liftString(v.getUint32(ptr, true), v.getUint32(ptr + 4, true));
      case 'list': {
        const p = v.getUint32(ptr, true), n = v.getUint32(ptr + 4, true), es = this.size(ty.elem, scope);
        return Array.from({ length: n }, (_, i) => this.load(ty.elem, scope, p + i * es));
      }
      default: throw new Error(`core reference: unsupported type ${ty.kind}`);
    }
  }
  liftFlat(vals, t, scope) {
    const ty = this.kind(t, scope);
    switch (ty.kind) {
      case 'string': return this.liftString(vals[0] >>> 0, vals[1] >>> 0);
      case 'list': {
        const es = this.size(ty.elem, scope);
        return Array.from({ length: vals[1] >>> 0 }, (_, i) => this.load(ty.elem, scope, (vals[0] >>> 0) + i * es));
      }
      case 'bool': return vals[0] !== 0;
      case 'u32': return vals[0] >>> 0;
      case 's64': return String(BigInt.asIntN(64, vals[0]));
      case 'u64': return String(BigInt.asUintN(64, vals[0]));
      case 'char': return String.fromCodePoint(vals[0] >>> 0);
      case 'u8': return vals[0] & 0xff;
      case 'u16': return vals[0] & 0xffff;
      case 's8': return (vals[0] << 24) >> 24;
      case 's16': return (vals[0] << 16) >> 16;
      default: return vals[0];
    }
  }

  // ---- host imports: only test:strings/host#host-echo ----
  hostFunction(module, name) {
    if (module === 'test:strings/host' && name === 'host-echo') {
      return (ptr, len, retptr) => {
        const s = this.liftString(ptr >>> 0, len >>> 0);
        const [p, l] = this.lowerString(s);
        this.view.setUint32(retptr, p, true);
        this.view.setUint32(retptr + 4, l, true);
      };
    }
    return () => { throw new Error(`core reference: no host function ${module}#${name}`); };
  }

  async call(name, args = []) {
    const info = this.types.exports.get(name);
    if (!info || name.includes('#')) throw new Error(`core reference: no world-level export '${name}'`);
    const { params, result } = info.func;
    if (args.length !== params.length) throw new Error(`${name}: ${params.length} arguments expected`);
    const e = this.instance.exports;
    let out;
    try {
      const flatArgs = params.flatMap((p, i) => this.lowerFlat(args[i], p.type, info.scope));
      if (flatArgs.length > 16) throw new Error('core reference: spilled params are not supported');
      const ret = e[name](...flatArgs);
      if (!result) out = null;
      else if (this.flat(result, info.scope).length > 1) out = this.load(result, info.scope, ret >>> 0);
      else out = this.liftFlat([ret], result, info.scope);
      e[`cabi_post_${name}`]?.(ret);
    } catch (err) {
      return { trap: String(err?.message ?? err) };
    }
    return { result: out };
  }

  drop() { throw new Error('core reference: no resources'); }
}
