// Checks the corpus built by build.sh against the reference host (see ../verify.sh, ../README.md).
//   node verify.mjs OUT_DIR [CASES_DIR]
// 1. Every cases/*.json file: its steps run in order on one instance of each listed component and
//    each outcome must match: "expect" (a value), "expect_by_component" (component file -> value),
//    "expect_trap": true (any trap). Objects with "$resource" match on the keys the case gives.
// 2. The strings components built for utf8 and utf16 also run under the core reference
//    (core_reference.mjs) and must give the same outcomes as under jco: the core reference is what
//    checks strings-compact-utf16.wasm, so it is cross-checked where jco can run too.
// 3. Every malformed/*.wasm must be rejected by jco transpile (wasm-tools' parser and validator),
//    while the component it was derived from is accepted.
// 4. Shape checks: js-values, rust-values and as-values import nothing; every component in
//    components.json has cases.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Reference, runBatch } from './reference.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] ?? '');
const casesDir = resolve(process.argv[3] ?? join(here, '../cases'));
if (!process.argv[2]) { process.stderr.write('usage: verify.mjs OUT_DIR [CASES_DIR]\n'); process.exit(2); }
process.env.WITSERVE_REFERENCE_CACHE ??= join(out, 'reference-cache');

const manifest = JSON.parse(readFileSync(join(out, 'components.json'), 'utf8'));
let failures = 0, checks = 0;
const fail = (msg) => { failures++; process.stdout.write(`FAIL ${msg}\n`); };

function matches(expected, actual) {
  if (expected && typeof expected === 'object' && !Array.isArray(expected) && '$resource' in expected) {
    return actual && typeof actual === 'object' && Object.keys(expected).every((k) => matches(expected[k], actual[k]));
  }
  if (Array.isArray(expected)) return Array.isArray(actual) && expected.length === actual.length && expected.every((e, i) => matches(e, actual[i]));
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return false;
    const ek = Object.keys(expected), ak = Object.keys(actual);
    return ek.length === ak.length && ek.every((k) => k in actual && matches(expected[k], actual[k]));
  }
  return Object.is(expected, actual);
}
const short = (v) => { const s = JSON.stringify(v); return s && s.length > 160 ? `${s.slice(0, 160)}...` : s; };

function checkOutcomes(label, steps, outcomes, component) {
  steps.forEach((step, i) => {
    checks++;
    const o = outcomes[i];
    const what = `${label} step ${i} ${step.func ?? `drop ${step.drop}`}(${short(step.args ?? [])})`;
    if ('error' in o) return fail(`${what}: harness error: ${o.error}`);
    if (step.drop !== undefined) { if (!('dropped' in o)) fail(`${what}: ${short(o)}`); return; }
    if (step.expect_trap) { if (!('trap' in o)) fail(`${what}: expected a trap, got ${short(o)}`); return; }
    if ('trap' in o) return fail(`${what}: trap: ${o.trap}`);
    const expected = step.expect_by_component ? step.expect_by_component[component] : step.expect;
    if (expected === undefined && !('expect' in step)) return;  // no expectation: just must not trap
    if (!matches(expected, o.result)) fail(`${what}: expected ${short(expected)}, got ${short(o.result)}`);
  });
}

// 1 + 2: the cases
const covered = new Set();
for (const file of readdirSync(casesDir).filter((f) => f.endsWith('.json')).sort()) {
  const suite = JSON.parse(readFileSync(join(casesDir, file), 'utf8'));
  for (const component of suite.components) {
    covered.add(component);
    const path = join(out, component);
    let outcomes;
    try {
      const ref = await Reference.load(path);
      outcomes = await runBatch(ref, suite.steps);
    } catch (e) {
      fail(`${file} ${component}: could not run: ${e?.stack ?? e}`);
      continue;
    }
    checkOutcomes(`${file} ${component}`, suite.steps, outcomes, component);
    const encoding = manifest.components[component]?.['string-encoding'];
    if (manifest.components[component]?.world === 'strings' && manifest.components[component]?.reference !== 'core') {
      const core = await runBatch(await Reference.load(path, { coreEncoding: encoding }), suite.steps);
      suite.steps.forEach((step, i) => {
        checks++;
        if (!matches(outcomes[i], core[i])) fail(`${file} ${component} step ${i}: jco gave ${short(outcomes[i])}, the core reference ${short(core[i])}`);
      });
    }
  }
}
for (const c of Object.keys(manifest.components)) if (!covered.has(c)) fail(`${c} has no cases in ${casesDir}`);

// 3: malformed binaries
const { transpile } = await import(pathToFileURL(join(here, '../../../tools/guest/node_modules/@bytecodealliance/jco/dist/api.js')).href);
const accepts = async (bytes) => {
  try { await transpile(bytes, { name: 'x', instantiation: 'async', noTypescript: true, quiet: true }); return null; } catch (e) {
    const lines = String(e?.message ?? e).split('\n').map((l) => l.trim()).filter(Boolean);
    const i = lines.indexOf('Caused by:');
    return (i >= 0 ? lines[i + 1] : lines[0]) ?? 'rejected';
  }
};
checks++;
const goodError = await accepts(readFileSync(join(out, 'handmade.wasm')));
if (goodError) fail(`handmade.wasm (the source of malformed/) is rejected: ${goodError}`);
for (const file of Object.keys(manifest.malformed)) {
  checks++;
  const error = await accepts(readFileSync(join(out, file)));
  if (!error) fail(`${file} (${manifest.malformed[file]}) is accepted by jco`);
  else if (process.env.VERBOSE) process.stdout.write(`ok   ${file}: ${error}\n`);
}

// 4: shape. js-values, rust-values and as-values must import nothing but types (world-level types
// become type imports).
function readLeb(b, pos) {
  let r = 0, shift = 0, x;
  do { x = b[pos++]; r += (x & 0x7f) * 2 ** shift; shift += 7; } while (x & 0x80);
  return [r, pos];
}
function importKinds(bytes) {  // the externdesc sort of every top-level import (0x03: type)
  const kinds = [];
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos++];
    let size;
    [size, pos] = readLeb(bytes, pos);
    if (id === 10) {
      let p = pos, n, len;
      [n, p] = readLeb(bytes, p);
      for (let i = 0; i < n; i++) {
        const form = bytes[p++];
        [len, p] = readLeb(bytes, p); p += len;
        if (form === 0x01) { [len, p] = readLeb(bytes, p); p += len; }
        const kind = bytes[p++];
        kinds.push(kind);
        if (kind !== 0x03) break;  // only types are expected; stop at anything else
        const bound = bytes[p++];  // 0x00 eq typeidx | 0x01 sub resource
        if (bound === 0x00) [, p] = readLeb(bytes, p);
      }
    }
    pos += size;
  }
  return kinds;
}
for (const file of ['js-values.wasm', 'rust-values.wasm', 'as-values.wasm']) {
  checks++;
  const kinds = importKinds(readFileSync(join(out, file)));
  if (kinds.some((k) => k !== 0x03)) fail(`${file} imports more than types (externdesc sorts ${kinds}): WASI crept in?`);
}

process.stdout.write(`verify: ${checks} checks, ${failures} failed\n`);
process.exit(failures ? 1 : 0);
