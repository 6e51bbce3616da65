// Splits component-model .wast files (tests/spec/*/**.wast) into what the spec-test runner
// (tests/spec/runner.cc) executes: one JSON file of directives per .wast, and a binary for every
// component in it, assembled in-process by jco's `parse` (wasm-tools; it does not validate, so
// invalid components reach witserve as the tests intend). Values of assert_return and invoke
// are rewritten in WAVE, which the runner parses against the function's types.
//
//   node wast2json.mjs OUT_DIR SPEC_DIR FILE.wast...   (FILE relative to SPEC_DIR)
//
// Run at build time by tests/CMakeLists.txt; single-threaded node script.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { parse } = await import(join(here, '../../tools/guest/node_modules/@bytecodealliance/jco/dist/api.js'));

// ---- s-expressions ----------------------------------------------------------------------------

// Tokens: '(' ')' atoms and strings, each with its offset in the text.
function tokenize(text) {
  const toks = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ';' && text[i + 1] === ';') { while (i < text.length && text[i] !== '\n') i++; continue; }
    if (c === '(' && text[i + 1] === ';') {
      let depth = 1; i += 2;
      while (i < text.length && depth > 0) {
        if (text[i] === '(' && text[i + 1] === ';') { depth++; i += 2; }
        else if (text[i] === ';' && text[i + 1] === ')') { depth--; i += 2; }
        else i++;
      }
      continue;
    }
    if (/\s/.test(c)) { i++; continue; }
    if (c === '(' || c === ')') { toks.push({ t: c, at: i }); i++; continue; }
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      toks.push({ t: 'str', raw: text.slice(i + 1, j), at: i, end: j + 1 });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < text.length && !/[\s()";]/.test(text[j])) j++;
    toks.push({ t: 'atom', v: text.slice(i, j), at: i, end: j });
    i = j;
  }
  return toks;
}

// A tree of {list: [...], at, end} / tokens.
function tree(toks) {
  let p = 0;
  function node() {
    const tok = toks[p++];
    if (tok.t !== '(') return tok;
    const list = [];
    while (p < toks.length && toks[p].t !== ')') list.push(node());
    const close = toks[p++];
    return { list, at: tok.at, end: close ? close.at + 1 : tok.at };
  }
  const out = [];
  while (p < toks.length) out.push(node());
  return out;
}

// A wast string literal's bytes (\hh, \n, \t, \\, \", \', \u{...}).
function strBytes(raw) {
  const out = [];
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== '\\') {
      const ch = String.fromCodePoint(raw.codePointAt(i));
      out.push(...Buffer.from(ch, 'utf8'));
      i += ch.length - 1;  // a surrogate pair is two UTF-16 units
      continue;
    }
    const n = raw[++i];
    if (/[0-9a-fA-F]/.test(n)) { out.push(parseInt(raw.substr(i, 2), 16)); i++; continue; }
    if (n === 'u') {
      const close = raw.indexOf('}', i);
      out.push(...Buffer.from(String.fromCodePoint(parseInt(raw.slice(i + 2, close), 16)), 'utf8'));
      i = close;
      continue;
    }
    out.push({ n: 10, t: 9, r: 13, '\\': 92, '"': 34, "'": 39 }[n] ?? n.charCodeAt(0));
  }
  return Buffer.from(out);
}
const strText = (raw) => strBytes(raw).toString('utf8');
const lineOf = (text, at) => text.slice(0, at).split('\n').length;
const head = (n) => n && n.list && n.list[0] && n.list[0].t === 'atom' ? n.list[0].v : null;

// ---- values as WAVE ---------------------------------------------------------------------------

function waveString(s, quote) {
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0);
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += `\\u{${cp.toString(16)}}`;
    else out += ch;
  }
  return out + quote;
}

function intText(v) {
  const neg = v.startsWith('-');
  const body = v.replace(/^[+-]/, '').replaceAll('_', '');
  const n = BigInt(body);  // handles 0x
  return (neg ? '-' : '') + n.toString();
}

function floatText(v) {
  v = v.replaceAll('_', '');
  if (/^[+-]?nan/.test(v)) return 'nan';
  if (/^[+-]?inf$/.test(v)) return v.startsWith('-') ? '-inf' : 'inf';
  if (/0x/i.test(v)) {
    const m = /^([+-]?)0x([0-9a-f]*)\.?([0-9a-f]*)(?:p([+-]?\d+))?$/i.exec(v);
    if (!m) throw new Error('float ' + v);
    const mant = parseInt((m[2] || '0') + (m[3] || ''), 16) / Math.pow(16, (m[3] || '').length);
    const x = mant * Math.pow(2, Number(m[4] || 0));
    return (m[1] === '-' ? '-' : '') + String(x);
  }
  const x = Number(v);
  if (Number.isNaN(x)) throw new Error('float ' + v);
  return String(x);
}

// A value expression, as (head args...) given as an array of nodes.
function wave(h, args) {
  switch (h) {
    case 'bool.const': return args[0].v;
    case 'u8.const': case 'u16.const': case 'u32.const': case 'u64.const':
    case 's8.const': case 's16.const': case 's32.const': case 's64.const':
    case 'i32.const': case 'i64.const':
      return intText(args[0].v);
    case 'f32.const': case 'f64.const': return floatText(args[0].v);
    case 'char.const': return waveString(strText(args[0].raw), "'");
    case 'str.const': return waveString(strText(args[0].raw), '"');
    case 'list.const': return '[' + args.map(value).join(', ') + ']';
    case 'tuple.const': return '(' + args.map(value).join(', ') + ')';
    case 'record.const':
      return '{' + args.map((f) => {
        if (head(f) !== 'field') throw new Error('record field');
        const [, name, vh, ...rest] = f.list;
        return strText(name.raw) + ': ' + (vh.list ? value(vh) : wave(vh.v, rest));
      }).join(', ') + '}';
    case 'variant.const': {
      const name = strText(args[0].raw);
      return args.length > 1 ? `${name}(${value(args[1])})` : name;
    }
    case 'enum.const': return strText(args[0].raw);
    case 'flags.const': return '{' + args.map((a) => strText(a.raw)).join(', ') + '}';
    case 'option.none': return 'none';
    case 'option.some': return `some(${value(args[0])})`;
    case 'result.ok': return args.length ? `ok(${value(args[0])})` : 'ok';
    case 'result.err': return args.length ? `err(${value(args[0])})` : 'err';
  }
  throw new Error('no WAVE form for value ' + h);
}
const value = (n) => wave(head(n), n.list.slice(1));

// ---- directives -------------------------------------------------------------------------------

async function convert(rel, specDir, outDir) {
  const text = readFileSync(join(specDir, rel), 'utf8');
  const base = rel.replace(/\.wast$/, '').replaceAll('/', '-');
  const directives = [];
  let nwasm = 0;

  // A (component ...) form: its binary, or why the text could not be assembled.
  async function component(n) {
    const items = n.list;
    let i = 1;
    const out = {};
    if (items[i] && items[i].t === 'atom' && items[i].v === 'definition') { out.definition = true; i++; }
    if (items[i] && items[i].t === 'atom' && items[i].v.startsWith('$')) { out.name = items[i].v; i++; }
    let bytes;
    try {
      if (items[i] && items[i].t === 'atom' && items[i].v === 'binary') {
        bytes = Buffer.concat(items.slice(i + 1).map((s) => strBytes(s.raw)));
      } else if (items[i] && items[i].t === 'atom' && items[i].v === 'quote') {
        const src = items.slice(i + 1).map((s) => strText(s.raw)).join(' ');
        bytes = Buffer.from(await parse(`(component ${src})`));
      } else {
        const inner = i < items.length ? text.slice(items[i].at, n.end - 1) : '';
        bytes = Buffer.from(await parse(`(component ${out.name ?? ''} ${inner})`));
      }
    } catch (e) {
      out.text_error = String(e.message ?? e).split('\n')[0].slice(0, 300);
      return out;
    }
    out.wasm = `${base}.${nwasm++}.wasm`;
    writeFileSync(join(outDir, out.wasm), bytes);
    return out;
  }

  function invoke(n) {
    const items = n.list.slice(1);
    const out = {};
    if (items[0].t === 'atom' && items[0].v.startsWith('$')) out.instance = items.shift().v;
    out.name = strText(items.shift().raw);
    out.args = items.map(value);
    return out;
  }

  for (const n of tree(tokenize(text))) {
    const d = { line: lineOf(text, n.at) };
    const h = head(n);
    try {
      if (h === 'component') {
        const second = n.list[1];
        if (second && second.t === 'atom' && second.v === 'instance') {
          Object.assign(d, { kind: 'instance', name: n.list[2].v, of: n.list[3].v });
        } else {
          Object.assign(d, { kind: 'component' }, await component(n));
        }
      } else if (h === 'assert_invalid' || h === 'assert_malformed' || h === 'assert_unlinkable') {
        Object.assign(d, { kind: h }, await component(n.list[1]));
        d.message = n.list[2] ? strText(n.list[2].raw) : '';
      } else if (h === 'assert_return') {
        Object.assign(d, { kind: h, invoke: invoke(n.list[1]), results: n.list.slice(2).map(value) });
      } else if (h === 'assert_trap') {
        d.kind = h;
        d.message = strText(n.list[2].raw);
        if (head(n.list[1]) === 'invoke') d.invoke = invoke(n.list[1]);
        else Object.assign(d, await component(n.list[1]));
      } else if (h === 'invoke') {
        Object.assign(d, { kind: 'invoke', invoke: invoke(n) });
      } else {
        Object.assign(d, { kind: 'unknown', reason: `directive '${h}' is not supported by the runner` });
      }
    } catch (e) {
      Object.assign(d, { kind: 'unknown', reason: String(e.message ?? e) });
    }
    directives.push(d);
  }
  writeFileSync(join(outDir, `${base}.json`), JSON.stringify({ file: rel, directives }, null, 1));
}

const [outDir, specDir, ...files] = process.argv.slice(2);
mkdirSync(outDir, { recursive: true });
for (const f of files) await convert(f, specDir, outDir);
