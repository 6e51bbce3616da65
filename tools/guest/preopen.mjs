// Works around a bug of jco 1.35 with @bytecodealliance/preview2-shim 0.26: the wasm-tools component
// inside jco gets no file-system preopens, so `--wit PATH` fails with "os error 44" (NotFound).
// Loaded with `node --import tools/guest/preopen.mjs`, it preopens the host's root directory as "/" in
// every copy of preview2-shim installed under tools/guest/node_modules (npm nests several versions;
// each copy keeps its own preopen list and the Node module cache is keyed by file path).
import { readdirSync, existsSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const modules = join(dirname(fileURLToPath(import.meta.url)), 'node_modules');

function* shimCopies(dir, depth) {
  const shim = join(dir, '@bytecodealliance', 'preview2-shim', 'dist', 'nodejs', 'filesystem.js');
  if (existsSync(shim)) yield shim;
  if (depth === 0) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const scoped = entry.name.startsWith('@')
      ? readdirSync(join(dir, entry.name)).map((n) => join(dir, entry.name, n))
      : [join(dir, entry.name)];
    for (const pkg of scoped) {
      const nested = join(pkg, 'node_modules');
      if (existsSync(nested)) yield* shimCopies(nested, depth - 1);
    }
  }
}

// Only the main thread: preview2-shim starts worker threads, which inherit `--import` and would
// otherwise load the shim again and start workers of their own, without end.
for (const file of isMainThread ? shimCopies(modules, 2) : []) {
  const fs = await import(pathToFileURL(file).href);
  if (typeof fs._addPreopen === 'function' &&
      !(fs._getPreopens?.() ?? []).some(([, virtualPath]) => virtualPath === '/')) {
    fs._addPreopen('/', '/');
  }
}
