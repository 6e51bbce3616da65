// Runs several jco (wasm-tools) steps in one Node process; one process per step costs ~2 s each.
// Steps come one per line on stdin, words separated by spaces (paths must not contain spaces):
//   component CORE.wasm WIT WORLD ENCODING OUT.wasm   jco embed (string-encoding ENCODING: utf8,
//                                                     utf16 or compact-utf16) + jco new
//   component-wasi CORE.wasm WIT WORLD ENCODING OUT.wasm
//                                                     the same for a core module that imports
//                                                     wasi_snapshot_preview1 (wasi-libc, Rust's
//                                                     wasm32-wasi std): jco new with jco's preview1
//                                                     reactor adapter (= jco new --wasi-reactor), so the
//                                                     component imports wasi 0.2.12 instead
//   parse COMPONENT.wat OUT.wasm                      jco parse (component or core WAT)
//   print COMPONENT.wasm OUT.wat                      jco print
// Run with `node --import tools/guest/preopen.mjs` (wasm-tools reads the WIT from the file system).
// Exits non-zero at the first failing step, naming it.
//
// The API is used rather than the CLI because `jco embed -n WORLD` ignores -n in jco 1.35 (the CLI
// passes `worldName`, the API reads `world`), so a WIT package with several worlds fails with
// "There are multiple worlds in `test:minimal`; one must be explicitly chosen".
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const jco = join(here, '../../../tools/guest/node_modules/@bytecodealliance/jco');
const api = await import(pathToFileURL(join(jco, 'dist/api.js')).href);
let reactorAdapter;  // read on first use

const steps = readFileSync(0, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
for (const line of steps) {
  const [op, ...a] = line.split(/\s+/);
  try {
    if (op === 'component' || op === 'component-wasi') {
      const [core, wit, world, encoding, out] = a;
      const embedded = await api.componentEmbed({
        binary: readFileSync(core), witPath: resolve(wit), world, stringEncoding: encoding,
      });
      let adapters = [];
      if (op === 'component-wasi') {
        reactorAdapter ??= readFileSync(join(jco, 'lib/wasi_snapshot_preview1.reactor.wasm'));
        adapters = [['wasi_snapshot_preview1', reactorAdapter]];
      }
      writeFileSync(out, await api.componentNew(embedded, adapters));
    } else if (op === 'parse') {
      writeFileSync(a[1], await api.parse(readFileSync(a[0], 'utf8')));
    } else if (op === 'print') {
      writeFileSync(a[1], await api.print(readFileSync(a[0])));
    } else {
      throw new Error(`unknown step '${op}'`);
    }
  } catch (e) {
    // wasm-tools errors carry the useful text in the message; the stack is jco's internals.
    process.stderr.write(`jco_batch: step failed: ${line}\n${e?.message ?? e}\n`);
    process.exit(1);
  }
}
