// Runs requests through one instance of a handler-world component that imports WASI, on the
// reference host: jco transpile on Node, with preview2-shim as the WASI host (environment and
// preopens as given, nothing else of the host's) and a JavaScript witserve:handler/host that
// ignores log and has no config. verify.mjs runs it as a child process, to see what the handler
// writes to stdout and stderr (preview2-shim writes them to file descriptors 1 and 2).
//   usage: node tests/handlers/wasi-call.mjs COMPONENT.wasm 3>responses.json <<< '{"env": {...},
//     "preopens": {"/": "HOST_DIR"}, "requests": [{"method", "path", "headers", "body" (base64)}]}'
// Writes [{status, headers, body (base64)} or {error}] as JSON to file descriptor 3.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const modules = resolve(fileURLToPath(import.meta.url), '../../../tools/guest/node_modules/@bytecodealliance');
const { transpile } = await import(pathToFileURL(join(modules, 'jco/dist/api.js')).href);
const { WASIShim } = await import(pathToFileURL(join(modules, 'preview2-shim/dist/common/instantiation.js')).href);

const [file] = process.argv.slice(2);
const { env = {}, preopens = {}, requests } = JSON.parse(readFileSync(0, 'utf8'));

const { files } = await transpile(readFileSync(file), {
  name: 'component', instantiation: 'async', noTypescript: true, quiet: true, noNodejsCompat: true,
});
const dir = mkdtempSync(join(tmpdir(), 'witserve-wasi-call-'));
let mod;
try {
  for (const [name, bytes] of Object.entries(files)) if (!name.includes('/')) writeFileSync(join(dir, name), bytes);
  mod = await import(pathToFileURL(join(dir, 'component.js')).href);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const imports = {
  ...new WASIShim({ sandbox: { env, preopens } }).getImportObject(),
  'witserve:handler/host': { log: () => {}, getConfig: () => undefined },
  'witserve:handler/types': {},
};
const instance = await mod.instantiate((p) => WebAssembly.compile(files[p]), imports);

const responses = requests.map(({ method = 'GET', path = '/', headers = [], body = '' }) => {
  try {
    const res = instance.handle({ method, path, headers, body: Buffer.from(body, 'base64') });
    return { status: res.status, headers: res.headers, body: Buffer.from(res.body).toString('base64') };
  } catch (e) {
    return { error: String(e) };
  }
});
writeFileSync(3, JSON.stringify(responses));
// preview2-shim's I/O worker would keep Node running.
process.exit(0);
