// Runs the handlers built by build.sh (and the examples built by scripts/build-examples) on the
// reference host, jco transpile on Node, with a JavaScript witserve:handler/host (log is recorded,
// get-config reads a table), and checks what each answers. Not run: loop.wasm (never returns; jco
// has no deadline), and alloc.wasm unless --slow is given (it grows the memory to 4 GiB: ~6 s).
// Components that import WASI run with preview2-shim as the WASI host: the handler-world ones in a
// child process (wasi-call.mjs, so their stdout and stderr can be checked), the wasi:http ones on
// `jco serve` (~10 s each to start), driven over HTTP.
//   usage: node tests/handlers/verify.mjs [--slow] DIR...   (checks every *.wasm it knows in each DIR)
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';

const here = resolve(fileURLToPath(import.meta.url), '..');
const jco = resolve(here, '../../tools/guest/node_modules/@bytecodealliance/jco/dist/api.js');
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

// ---- components that import WASI ----

// Runs `requests` through one instance of a handler-world component on preview2-shim
// (wasi-call.mjs, a child process); returns the responses and what the handler wrote to stdout
// and stderr.
function wasiCall(file, requests, { env = {}, preopens = {} } = {}) {
  const input = JSON.stringify({
    env, preopens,
    requests: requests.map(({ body = '', ...r }) => ({ ...r, body: Buffer.from(body).toString('base64') })),
  });
  const r = spawnSync(process.execPath, [join(here, 'wasi-call.mjs'), file], { input, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`wasi-call.mjs ${basename(file)} failed (${r.status}): ${r.stderr}`);
  const responses = JSON.parse(r.output[3]).map((res) => (res.error ? res : { ...res, body: Buffer.from(res.body, 'base64') }));
  return { responses, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

// The examples that answer "GREETING, world!\npath: PATH\n" and print "NAME: METHOD PATH".
function greetWasi(file, name) {
  let { responses: [res], stdout } = wasiCall(file, [{ path: '/p?x=1' }], { env: { GREETING: 'Howdy' } });
  assert.equal(res.status, 200);
  assert.deepEqual(res.headers, [...plain, ['x-witserve-example', name]]);
  assert.equal(text(res), 'Howdy, world!\npath: /p?x=1\n');
  assert.equal(stdout, `${name}: GET /p?x=1\n`);
  ({ responses: [res], stdout } = wasiCall(file, [{ method: 'POST', path: '/' }]));
  assert.equal(text(res), 'Hello, world!\npath: /\n');
  assert.equal(stdout, `${name}: POST /\n`);
}

async function freePort() {
  const server = createServer();
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  await new Promise((ok) => server.close(ok));
  return port;
}

async function until(what, condition, ms) {
  for (const end = Date.now() + ms; !condition(); await new Promise((ok) => setTimeout(ok, 50))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  }
}

// A wasi:http component on `jco serve` (tools/guest/jco) on a free loopback port, with `env` added to
// the environment it passes the guest. `out` collects the server's stdout and stderr (the guest's;
// jco's own "Server listening" goes to stderr).
async function serve(file, env = {}) {
  const port = await freePort();
  // Its own process group: jco serve runs the component in a child process of its own.
  const child = spawn(join(here, '../../tools/guest/jco'), ['serve', file, '--port', String(port), '--host', '127.0.0.1'],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => { out.stdout += d; });
  child.stderr.on('data', (d) => { out.stderr += d; });
  const close = () => { try { process.kill(-child.pid, 'SIGKILL'); } catch {} };
  try {
    await until(`jco serve ${basename(file)}`, () => out.stderr.includes('Server listening') || child.exitCode !== null, 60000);
    assert.equal(child.exitCode, null, `jco serve exited: ${out.stderr}`);
  } catch (e) {
    close();
    throw e;
  }
  return { url: `http://127.0.0.1:${port}`, out, close };
}

// The body of a fetch() response read chunk by chunk: [{ms after the first, text}].
async function chunks(res) {
  const reader = res.body.getReader();
  const got = [];
  let t0;
  for (let r; !(r = await reader.read()).done;) {
    t0 ??= performance.now();
    got.push({ ms: performance.now() - t0, text: dec.decode(r.value) });
  }
  return got;
}

async function wasiHttpTest(file) {
  const upstream = createServer((req, res) => {
    res.writeHead(req.url === '/hi' ? 200 : 404, { 'content-type': 'text/plain' });
    res.end(req.url === '/hi' ? 'hello from upstream' : 'not here');
  });
  await new Promise((ok) => upstream.listen(0, '127.0.0.1', ok));
  const up = `http://127.0.0.1:${upstream.address().port}`;
  const closed = `http://127.0.0.1:${await freePort()}`;
  const s = await serve(file, { GREETING: 'verify' });
  try {
    const get = (path, init) => fetch(s.url + path, init);
    // /echo: the body back, the request's parts in headers.
    const body = new Uint8Array(300000).map((_, i) => (i * 7) & 0xff);
    let res = await get('/echo?a=1&b=%20', { method: 'PUT', body, headers: { 'x-test': 'one' } });
    assert.equal(res.status, 200);
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), body);
    assert.equal(res.headers.get('x-method'), 'PUT');
    assert.equal(res.headers.get('x-path'), '/echo?a=1&b=%20');
    assert.equal(res.headers.get('x-authority'), s.url.slice('http://'.length));
    assert.equal(res.headers.get('x-scheme'), 'http');
    assert.match(res.headers.get('x-header-count'), /^[1-9][0-9]*$/);
    assert.equal(res.headers.get('x-test'), 'one');
    res = await get('/echo');
    assert.equal(res.headers.get('x-method'), 'GET');
    assert.equal(res.headers.get('x-test'), null);
    assert.equal((await res.arrayBuffer()).byteLength, 0);
    // /stream: chunks written with pauses arrive with pauses; no content-length.
    res = await get('/stream?n=4&ms=300');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), null);
    const got = await chunks(res);
    assert.equal(got.map((c) => c.text).join(''), 'chunk 0\nchunk 1\nchunk 2\nchunk 3\n');
    assert.ok(got.length >= 2 && got.at(-1).ms >= 800, `chunks at ${got.map((c) => Math.round(c.ms))} ms`);
    // /big: K KiB of "0123456789abcdef".
    res = await get('/big?kb=300');
    const big = dec.decode(await res.arrayBuffer());
    assert.equal(res.headers.get('content-length'), null);
    assert.equal(big, '0123456789abcdef'.repeat(300 * 64));
    assert.equal((await (await get('/big')).arrayBuffer()).byteLength, 1 << 20);
    // /fetch through wasi:http/outgoing-handler.
    res = await get(`/fetch?url=${encodeURIComponent(up + '/hi')}`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'upstream 200: hello from upstream');
    assert.equal(await (await get(`/fetch?url=${encodeURIComponent(up + '/x')}`)).text(), 'upstream 404: not here');
    res = await get(`/fetch?url=${encodeURIComponent(closed + '/')}`);
    assert.equal(res.status, 502);
    const [first, json] = (await res.text()).split('\n');
    assert.equal(first, 'error: connection-refused');
    assert.deepEqual(JSON.parse(json), { tag: 'connection-refused' });
    assert.equal((await get('/fetch?url=nonsense')).status, 400);
    // /env: jco serve passes its whole environment.
    assert.ok((await (await get('/env')).text()).split('\n').includes('GREETING=verify'));
    // /log: to the server's stdout and stderr.
    assert.equal(await (await get('/log')).text(), 'logged');
    await until('the /log lines', () => s.out.stdout.includes('out line 1\nout line 2\n') && s.out.stderr.includes('err line\n'), 5000);
    res = await get('/no/such/path');
    assert.equal(res.status, 404);
    assert.equal(await res.text(), 'no such test path');
    // /never, last: it keeps jco's only instance busy for good.
    const abort = new AbortController();
    res = await get('/never', { signal: abort.signal });
    assert.equal(res.status, 200);
    const reader = res.body.getReader();
    let never = '';
    while (!never.includes('tick\ntick\n')) never += dec.decode((await reader.read()).value);
    assert.ok(never.startsWith('started\ntick\n'), never);
    abort.abort();
  } finally {
    s.close();
    upstream.close();
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
  'wasi-sleep.wasm': (f) => {
    const start = Date.now();
    const { responses } = wasiCall(f, [{ path: '/s?ms=300' }]);
    assert.ok(Date.now() - start >= 300, 'it waited 300 ms');
    assert.equal(responses[0].status, 200);
    assert.equal(text(responses[0]), 'slept 300 ms\n');
  },
  // Key-value and config need a host with stores and config (jco has none): checked on witserve by
  // tests/integration/keyvalue_test.cc and server_test.cc.
  'kv.wasm': null,
  'counter-js.wasm': null,
  'printf-c.wasm': (f) => greetWasi(f, 'printf-c'),
  'hello-rust-wasi.wasm': (f) => greetWasi(f, 'hello-rust-wasi'),
  'hello-js.wasm': async (f) => {
    const { responses, stdout } = wasiCall(f, [{ path: '/x0' }, { method: 'POST', path: '/x1?q', body: 'ignored' }]);
    for (const res of responses) {  // one instance: the second call works too
      assert.equal(res.status, 200);
      assert.deepEqual(res.headers, [...plain, ['x-witserve-example', 'hello-js']]);
      assert.equal(text(res), 'Hello, world!\n');
    }
    assert.equal(stdout, 'hello-js: GET /x0\nhello-js: POST /x1?q\n');
  },
  'wasi-fs-c.wasm': async (f) => {
    const root = mkdtempSync(join(tmpdir(), 'witserve-verify-fs-'));
    try {
      mkdirSync(join(root, 'sub'));
      writeFileSync(join(root, 'sub/f.txt'), 'data');
      const { responses, stdout, stderr } = wasiCall(f, [
        { path: '/read?f=/sub/f.txt' },
        { path: '/read?f=/missing' },
        { method: 'PUT', path: '/write?f=/new%20file.txt', body: 'written' },
        { path: '/list?d=/' },
        { path: '/write?f=/../outside.txt', body: 'x' },
        { path: '/write?f=/sub', body: 'x' },
        { path: '/env' },
        { path: '/print' },
        { path: '/other' },
      ], { env: { GREETING: 'Hi', OTHER: '1' }, preopens: { '/': root } });
      const answers = responses.map((r) => [r.status, text(r)]);
      assert.deepEqual(answers, [
        [200, 'data'],
        [404, 'errno 44: No such file or directory\n'],
        [201, 'wrote 7 bytes\n'],
        [200, 'new file.txt\nsub\n'],
        [403, 'errno 63: Operation not permitted\n'],
        [500, 'errno 31: Is a directory\n'],
        [200, 'GREETING=Hi\nvariables: 2\n'],
        [200, 'printed\n'],
        [404, 'no such test path\n'],
      ]);
      assert.equal(readFileSync(join(root, 'new file.txt'), 'utf8'), 'written');
      assert.equal(stdout, 'wasi-fs-c: stdout line 1\nwasi-fs-c: stdout line 2\n');
      assert.equal(stderr, 'wasi-fs-c: stderr line\n');
      // No preopens, no environment.
      const bare = wasiCall(f, [{ path: '/read?f=/sub/f.txt' }, { path: '/env' }]).responses;
      assert.equal(bare[0].status, 404);
      assert.equal(text(bare[1]), 'GREETING=(unset)\nvariables: 0\n');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
  'wasi-http-test.wasm': wasiHttpTest,
  'http-js.wasm': async (f) => {
    const s = await serve(f);
    try {
      let res = await fetch(`${s.url}/hello?x=1`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
      assert.equal(res.headers.get('x-witserve-example'), 'http-js');
      assert.equal(await res.text(), 'Hello from JavaScript on wasi:http!\nmethod: GET\npath: /hello?x=1\n');
      res = await fetch(s.url, { method: 'POST', body: 'ignored' });
      assert.equal(await res.text(), 'Hello from JavaScript on wasi:http!\nmethod: POST\npath: /\n');
    } finally {
      s.close();
    }
  },
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
