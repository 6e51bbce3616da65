#!/usr/bin/env node
// The reference host for differential tests: runs a component under `jco transpile` + Node with the
// corpus's host interfaces implemented in JavaScript, and prints results as JSON (conventions in
// README.md).
//
//   node reference_call.mjs COMPONENT.wasm FUNC ARGS_JSON
//       One call on a fresh instance; prints the result as JSON. Exit status 0; 3 on a trap (the
//       message goes to stderr); 1 on a usage or harness error.
//   node reference_call.mjs COMPONENT.wasm --batch STEPS.json
//       STEPS.json is an array of steps (or an object with a "steps" array), run in order on one
//       instance: {"func": NAME, "args": [...], "save": "name"?} or {"drop": "name"}. Prints one JSON
//       array with an outcome per step: {"result": JSON}, {"trap": message}, {"dropped": name} or
//       {"error": message} (a harness error, e.g. an unknown function).
//
// Options: --wit FILE --world NAME take the WIT types from FILE instead of COMPONENT's directory's
// components.json; --cache DIR sets where transpiled components are kept (default
// $WITSERVE_REFERENCE_CACHE or the system temp dir); --core ENCODING runs the component's main core
// module under harness/core_reference.mjs with that string encoding instead of jco (components.json
// selects it for the latin1+utf16 component, which jco cannot transpile).
import { readFileSync } from 'node:fs';
import { Reference, runBatch } from './harness/reference.mjs';

function usage(msg) {
  if (msg) process.stderr.write(`reference_call: ${msg}\n`);
  process.stderr.write('usage: reference_call.mjs COMPONENT.wasm (FUNC ARGS_JSON | --batch STEPS.json) [--wit FILE] [--world NAME] [--cache DIR] [--core ENCODING]\n');
  process.exit(1);
}

const positional = [];
const opts = {};
let batch = null;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--batch') batch = argv[++i];
  else if (a === '--wit') opts.wit = argv[++i];
  else if (a === '--world') opts.world = argv[++i];
  else if (a === '--cache') opts.cacheDir = argv[++i];
  else if (a === '--core') opts.coreEncoding = argv[++i];
  else if (a === '-h' || a === '--help') usage();
  else positional.push(a);
}
if (positional.length < 1) usage('missing COMPONENT.wasm');

try {
  const ref = await Reference.load(positional[0], opts);
  if (batch !== null) {
    if (positional.length !== 1) usage('--batch takes no FUNC/ARGS');
    const parsed = JSON.parse(readFileSync(batch === '-' ? 0 : batch, 'utf8'));
    const steps = Array.isArray(parsed) ? parsed : parsed.steps;
    process.stdout.write(JSON.stringify(await runBatch(ref, steps)) + '\n');
  } else {
    if (positional.length !== 3) usage('expected FUNC and ARGS_JSON');
    const args = JSON.parse(positional[2]);
    if (!Array.isArray(args)) usage('ARGS_JSON must be a JSON array');
    const outcome = await ref.call(positional[1], args);
    if ('trap' in outcome) {
      process.stderr.write(`trap: ${outcome.trap}\n`);
      process.exit(3);
    }
    process.stdout.write(JSON.stringify(outcome.result) + '\n');
  }
} catch (e) {
  process.stderr.write(`reference_call: ${e?.stack ?? e}\n`);
  process.exit(1);
}
