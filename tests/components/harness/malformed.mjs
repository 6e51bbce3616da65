// Derives deliberately broken component binaries from a good one, for decoder tests.
//   node malformed.mjs GOOD.wasm OUT_DIR
// writes OUT_DIR/NAME.wasm for each case below and prints a JSON object NAME -> description.
// GOOD must be a component whose first section is a core module section, with a core instance
// section (instantiate, no args) and an export section: the hand-written handmade.wasm is.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [good, outDir] = process.argv.slice(2);
if (!good || !outDir) { process.stderr.write('usage: malformed.mjs GOOD.wasm OUT_DIR\n'); process.exit(1); }
const bytes = readFileSync(good);

function readLeb(b, pos) {
  let result = 0, shift = 0, x;
  do { x = b[pos++]; result += (x & 0x7f) * 2 ** shift; shift += 7; } while (x & 0x80);
  return [result, pos];
}
// Top-level sections: { id, at (the id byte), sizeAt, payload, end }
function sections(b) {
  const out = [];
  let pos = 8;
  while (pos < b.length) {
    const at = pos, id = b[pos++];
    const [size, payload] = readLeb(b, pos);
    out.push({ id, at, sizeAt: pos, payload, end: payload + size });
    pos = payload + size;
  }
  return out;
}
const secs = sections(bytes);
const find = (id) => {
  const s = secs.find((x) => x.id === id);
  if (!s) throw new Error(`malformed.mjs: ${good} has no section ${id}`);
  return s;
};
if (secs[0].id !== 1) throw new Error('malformed.mjs: the first section must be a core module');
const patched = (pos, value) => { const c = Buffer.from(bytes); c[pos] = value; return c; };
const splice = (start, end, insert) => Buffer.concat([bytes.subarray(0, start), Buffer.from(insert), bytes.subarray(end)]);

const first = secs[0];
const [firstSize] = readLeb(bytes, first.sizeAt);
if (firstSize >= 0x80) throw new Error('malformed.mjs: the first section must be < 128 bytes (one-byte size)');

// The export section: count, then per export exportname (0x00 len name | 0x01 len name len version)
// and sortidx (sort byte, u32 index). Patch the first export's index (a one-byte LEB).
const exp = find(11);
let p = exp.payload;
[, p] = readLeb(bytes, p);                 // count
const form = bytes[p++];
let len;
[len, p] = readLeb(bytes, p); p += len;    // name
if (form === 0x01) { [len, p] = readLeb(bytes, p); p += len; }
const sort = bytes[p++];
if (sort === 0x00) p++;                    // core sort byte
const exportIndexAt = p;
if (bytes[exportIndexAt] & 0x80) throw new Error('malformed.mjs: export index must be a one-byte LEB');

// The core instance section: count, 0x00 (instantiate), module index (one-byte LEB).
const inst = find(2);
p = inst.payload;
[, p] = readLeb(bytes, p);
if (bytes[p] !== 0x00) throw new Error('malformed.mjs: the first core instance must be an instantiate');
const moduleIndexAt = p + 1;

const cases = {
  'truncated-header': [bytes.subarray(0, 6), 'the file ends inside the 8-byte preamble'],
  'truncated-section': [bytes.subarray(0, first.payload + Math.floor(firstSize / 2)), 'the file ends in the middle of the first (core module) section'],
  'truncated-leb': [Buffer.concat([bytes.subarray(0, first.sizeAt), Buffer.from([0x80, 0x80])]), 'the file ends inside the first section\'s size LEB'],
  'bad-magic': [patched(1, 0x62), 'magic "\\0bsm" instead of "\\0asm"'],
  'bad-version': [patched(4, 0x0e), 'version 0x0e instead of 0x0d'],
  'core-layer': [patched(6, 0x00), 'layer 0 (a core module) with component version 0x0d and component sections'],
  'unknown-layer': [patched(6, 0x02), 'layer 2'],
  'bad-section-id': [patched(first.at, 0x7f), 'the first section has id 0x7f, which does not exist'],
  'leb-too-long': [splice(first.sizeAt, first.payload, [0x80 | firstSize, 0x80, 0x80, 0x80, 0x80, 0x00]), 'the first section\'s size is a 6-byte LEB (u32 allows at most 5)'],
  'leb-overflow': [splice(first.sizeAt, first.payload, [0xff, 0xff, 0xff, 0xff, 0x7f]), 'the first section\'s size LEB encodes 2^35-1, beyond u32'],
  'section-too-long': [splice(first.sizeAt, first.payload, [0x80 | 0x7f, 0x7f]), 'the first section claims more bytes than the file has'],
  'bad-core-module': [patched(first.payload + 1, 0x62), 'the nested core module\'s magic is broken'],
  'export-index-out-of-range': [patched(exportIndexAt, 0x7f), 'the first export names func 127, which does not exist'],
  'module-index-out-of-range': [patched(moduleIndexAt, 0x05), 'the core instance instantiates core module 5, which does not exist'],
};

mkdirSync(outDir, { recursive: true });
const described = {};
for (const [name, [data, what]] of Object.entries(cases)) {
  writeFileSync(join(outDir, `${name}.wasm`), data);
  described[`${name}.wasm`] = what;
}
process.stdout.write(JSON.stringify(described, null, 2) + '\n');
