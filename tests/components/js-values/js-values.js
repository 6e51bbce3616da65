// The "js-values" test component (world test:js-values/js-values, see js-values.wit). Conventions of
// componentize-js: exported functions are camelCase, records are objects with camelCase fields,
// variants are { tag, val }, option<T> is T | undefined, a result return value is the ok value or a
// thrown error whose payload is the err value, u64 is a BigInt.

export function greet(name) {
  return `Hello, ${name}!`;
}

export function echoPerson(p) {
  return { name: p.name, age: p.age, tags: [...p.tags] };
}

export function older(p, years) {
  return { name: p.name, age: p.age + years, tags: [...p.tags, 'older'] };
}

export function area(s) {
  switch (s.tag) {
    case 'circle': return Math.PI * s.val * s.val;
    case 'rect': return s.val[0] * s.val[1];
    case 'point': return 0;
    default: throw new Error(`unknown shape ${s.tag}`);
  }
}

export function echoShape(s) {
  switch (s.tag) {
    case 'circle': return { tag: 'circle', val: s.val };
    case 'rect': return { tag: 'rect', val: [s.val[0], s.val[1]] };
    default: return { tag: s.tag };
  }
}

export function upperAll(l) {
  return l.map((s) => s.toUpperCase());
}

export function first(l) {
  return l.length > 0 ? l[0] : undefined;
}

export function echoOption(o) {
  return o;
}

export function parseU32(s) {
  if (/^[0-9]+$/.test(s)) {
    const n = Number(s);
    if (n <= 0xffffffff) return n;
  }
  throw `not a u32: ${s}`;
}

export function echoResult(r) {
  if (r.tag === 'err') throw r.val;
  return r.val;
}

const levels = ['low', 'mid', 'high'];
export function nextLevel(l) {
  return levels[(levels.indexOf(l) + 1) % levels.length];
}

export function addU64(a, b) {
  return BigInt.asUintN(64, a + b);
}
