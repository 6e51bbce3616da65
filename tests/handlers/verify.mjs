// Runs the handlers built by build.sh (and the examples built by scripts/build-examples) on the
// reference host, jco transpile on Node, with a JavaScript witserve:handler/host (log is recorded,
// get-config reads a table), and checks what each answers. Not run: loop.wasm (never returns; jco
// has no deadline), and alloc.wasm unless --slow is given (it grows the memory to 4 GiB: ~6 s).
//   usage: node tests/handlers/verify.mjs [--slow] DIR...   (checks every *.wasm it knows in each DIR)
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';

const jco = resolve(fileURLToPath(import.meta.url), '../../../tools/guest/node_modules/@bytecodealliance/jco/dist/api.js');
const { transpile } = await import(pathToFileURL(jco).href);
const enc = new TextEncoder();
const dec = new TextDecoder();

// A fresh instance of the component; `host.config` answers get-config, `host.logs` collects log.
async function load(file, config = {}) {
  const { files } = await transpile(readFileSync(file), {
    name: 'component', instantiation: 'async', noTypescript: true, quiet: true, noNodejsCompat: true,
  });
  const dir = mkdtempSync(join(tmpdir(), 'witserve-verify-'));
  try {
    for (const [name, bytes] of Object.entries(files)) if (!name.includes('/')) writeFileSync(join(dir, name), bytes);
    const mod = await import(pathToFileURL(join(dir, 'component.js')).href);
    const logs = [];
    const host = {
      log: (level, message) => logs.push([level, message]),
      getConfig: (key) => config[key],
    };
    const imports = new Proxy({ 'witserve:handler/host': host }, { get: (o, k) => o[k] ?? {} });
    const instance = await mod.instantiate((p) => WebAssembly.compile(files[p]), imports);
    return { logs, handle: (req) => instance.handle(request(req)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const request = ({ method = 'GET', path = '/', headers = [], body = '' } = {}) =>
  ({ method, path, headers, body: typeof body === 'string' ? enc.encode(body) : body });
const text = (res) => dec.decode(res.body);
const plain = [['content-type', 'text/plain; charset=utf-8']];

async function hello(file, name) {
  const h = await load(file);
  for (let i = 0; i < 3; i++) {  // the same instance again: post-return must have cleaned up
    const res = h.handle({ path: `/x${i}`, headers: [['accept', '*/*']], body: 'ignored' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.headers, [...plain, ['x-witserve-example', name]]);
    assert.equal(text(res), 'Hello, world!\n');
  }
}

const cases = {
  'hello-c.wasm': (f) => hello(f, 'hello-c'),
  'hello-rust.wasm': (f) => hello(f, 'hello-rust'),
  'hello-wat.wasm': (f) => hello(f, 'hello-wat'),
  'greet-c.wasm': async (f) => {
    let h = await load(f, { greeting: 'Howdy' });
    let res = h.handle({ path: '/greet/Ada', headers: [['X-Witserve-Param-Name', 'Ada']] });
    assert.equal(res.status, 200);
    assert.deepEqual(res.headers, plain);
    assert.equal(text(res), 'Howdy, Ada!\n');
    assert.deepEqual(h.logs, [['info', 'greeting Ada']]);
    h = await load(f);
    assert.equal(text(h.handle({ path: '/greet/' })), 'Hello, world!\n');
    assert.deepEqual(h.logs, [['info', 'greeting world']]);
    h = await load(f, { greeting: '' });
    assert.equal(text(h.handle({ headers: [['x-witserve-param-name', 'Zoë']] })), ', Zoë!\n');
  },
  'echo.wasm': async (f) => {
    const h = await load(f);
    const body = new Uint8Array([0, 1, 0xff, 10, 0x41]);
    let res = h.handle({ method: 'POST', path: '/echo?x=1', headers: [['Host', 'a'], ['x-empty', ''], ['host', 'b']], body });
    assert.equal(res.status, 200);
    assert.deepEqual(res.headers, [...plain, ['x-echo-body-length', '5']]);
    assert.deepEqual(res.body, new Uint8Array([...enc.encode('POST /echo?x=1\nHost: a\nx-empty: \nhost: b\n\n'), ...body]));
    res = h.handle({ method: '', path: '' });
    assert.deepEqual(res.headers, [...plain, ['x-echo-body-length', '0']]);
    assert.equal(text(res), ' \n\n');
    const big = 'y'.repeat(300000);
    res = h.handle({ headers: Array.from({ length: 100 }, (_, i) => [`h${i}`, `${i}`]), body: big });
    assert.equal(text(res).split('\n').length, 1 + 100 + 1 + 1);
    assert.ok(text(res).endsWith('\n\n' + big));
    assert.deepEqual(res.headers[1], ['x-echo-body-length', '300000']);
  },
  'trap.wasm': async (f) => {
    const h = await load(f);
    assert.throws(() => h.handle({}), /unreachable/);
  },
  'bad-status.wasm': async (f) => assert.equal((await load(f)).handle({}).status, 1000),
  'bad-header.wasm': async (f) => assert.deepEqual((await load(f)).handle({}).headers, [['bad name\r\n', 'value']]),
  'version-1.wasm': async (f) => assert.equal(text((await load(f)).handle({})), 'version 1\n'),
  'version-2.wasm': async (f) => assert.equal(text((await load(f)).handle({})), 'version 2\n'),
  'counter.wasm': async (f) => {
    const h = await load(f);
    assert.equal(text(h.handle({})), '1');
    assert.equal(text(h.handle({})), '2');  // the same instance counts on; a fresh one says 1
    assert.equal(text((await load(f)).handle({})), '1');
  },
  'big.wasm': async (f) => {
    const h = await load(f);
    const res = h.handle({ path: '/big' });
    assert.equal(res.body.length, 1 << 20);
    assert.ok(res.body.every((b) => b === 0x78));
    assert.equal(text(h.handle({ path: '/big?n=10' })), 'x'.repeat(10));
    assert.equal(h.handle({ path: '/big?a=n=3&n=0' }).body.length, 0);
  },
  'alloc.wasm': async (f) => {
    const h = await load(f);
    assert.throws(() => h.handle({}), /unreachable/);
  },
  'other-package.wasm': async (f) => {
    const res = (await load(f)).handle({ method: 'PUT', path: '/o?k=v' });
    assert.equal(res.status, 200);
    assert.equal(text(res), 'other:pkg PUT /o?k=v\n');
  },
  'loop.wasm': null,
};

const args = process.argv.slice(2);
const slow = args[0] === '--slow' ? args.shift() : null;
if (!slow) cases['alloc.wasm'] = null;
let failed = 0;
let checked = 0;
for (const dir of args) {
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.wasm')).sort()) {
    if (!(name in cases)) { console.error(`verify: ${name}: no cases`); failed++; continue; }
    if (!cases[name]) continue;
    const t0 = performance.now();
    try {
      await cases[name](join(dir, name));
      checked++;
      if (process.env.VERBOSE) console.log(`ok ${name} (${Math.round(performance.now() - t0)} ms)`);
    } catch (e) {
      console.error(`verify: ${name}: ${e.stack ?? e}`);
      failed++;
    }
  }
}
if (failed || !checked) { console.error(`verify: ${failed} failed, ${checked} passed`); process.exit(1); }
