// Test handler for witserve's WASI 0.2 host: one wasi:http/incoming-handler with a path per
// behaviour (see ../README.md). It uses the wasi:http, wasi:io, wasi:clocks and wasi:cli imports
// directly (no fetch(), no setTimeout), so every wait blocks in the host.
import {
  Fields, IncomingBody, OutgoingBody, OutgoingRequest, OutgoingResponse, ResponseOutparam,
} from 'wasi:http/types@0.2.12';
import { handle as sendRequest } from 'wasi:http/outgoing-handler@0.2.12';
import { subscribeDuration } from 'wasi:clocks/monotonic-clock@0.2.12';
import { getEnvironment } from 'wasi:cli/environment@0.2.12';
import { getStdout } from 'wasi:cli/stdout@0.2.12';
import { getStderr } from 'wasi:cli/stderr@0.2.12';

const enc = new TextEncoder();
const dec = new TextDecoder();
// Resources are freed with [Symbol.dispose]() (jco's bindings fall back to Symbol.for('dispose')).
const drop = (resource) => resource[Symbol.dispose ?? Symbol.for('dispose')]();

function sleep(ms) {
  const pollable = subscribeDuration(BigInt(ms) * 1_000_000n);
  pollable.block();
  drop(pollable);
}

// The query parameters of a path-with-query ("/stream?n=3&ms=10") as a Map; values URL-decoded.
function query(path) {
  const params = new Map();
  const q = path.indexOf('?');
  if (q < 0) return params;
  for (const part of path.slice(q + 1).split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    params.set(decodeURIComponent(name), decodeURIComponent(value.replace(/\+/g, ' ')));
  }
  return params;
}

function intParam(params, name, fallback) {
  const n = Number.parseInt(params.get(name) ?? '', 10);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

// Reads an input stream to its end (blocking-read until the stream reports `closed`).
function readAll(stream) {
  const chunks = [];
  let size = 0;
  for (;;) {
    let chunk;
    try {
      chunk = stream.blockingRead(65536n);
    } catch (e) {
      if (e.payload?.tag === 'closed') break;
      throw e;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) { all.set(c, at); at += c.length; }
  return all;
}

// Reads an incoming body (of a request or a response) whole, then finishes it.
function readBody(body) {
  const stream = body.stream();
  const bytes = readAll(stream);
  drop(stream);
  drop(IncomingBody.finish(body));
  return bytes;
}

// Writes all of `bytes` as the stream permits (check-write, waiting on subscribe when it permits
// nothing), then flushes: blocking-write-and-flush is limited to 4096 bytes per call.
function writeAll(stream, bytes) {
  let at = 0;
  while (at < bytes.length) {
    const permit = Number(stream.checkWrite());
    if (permit === 0) {
      const pollable = stream.subscribe();
      pollable.block();
      drop(pollable);
      continue;
    }
    const n = Math.min(permit, bytes.length - at);
    stream.write(bytes.subarray(at, at + n));
    at += n;
  }
  stream.blockingFlush();
}

// Starts the response: status and headers ([name, string value] pairs) go to the host at once;
// returns the body and its output stream. Finish with end(body, stream).
function start(outparam, status, headers = []) {
  const fields = new Fields();
  for (const [name, value] of headers) fields.append(name, typeof value === 'string' ? enc.encode(value) : value);
  const response = new OutgoingResponse(fields);
  response.setStatusCode(status);
  const body = response.body();
  ResponseOutparam.set(outparam, { tag: 'ok', val: response });
  return { body, stream: body.write() };
}

function end({ body, stream }) {
  drop(stream);
  OutgoingBody.finish(body, undefined);
}

const plain = [['content-type', 'text/plain; charset=utf-8']];

// A whole response at once: the headers, then content-length.
function respond(outparam, status, body, headers = plain) {
  const bytes = typeof body === 'string' ? enc.encode(body) : body;
  const out = start(outparam, status, [...headers, ['content-length', String(bytes.length)]]);
  writeAll(out.stream, bytes);
  end(out);
}

const methodName = (m) => (m.tag === 'other' ? m.val : m.tag.toUpperCase());
const schemeName = (s) => (s === undefined ? '' : s.tag === 'other' ? s.val : s.tag.toLowerCase());

function echo(request, outparam) {
  const headers = request.headers();
  const entries = headers.entries();
  const tests = headers.get('x-test');
  drop(headers);
  const body = readBody(request.consume());
  respond(outparam, 200, body, [
    ['content-type', 'application/octet-stream'],
    ['x-method', methodName(request.method())],
    ['x-path', request.pathWithQuery() ?? ''],
    ['x-authority', request.authority() ?? ''],
    ['x-scheme', schemeName(request.scheme())],
    ['x-header-count', String(entries.length)],
    ...tests.map((value) => ['x-test', value]),
  ]);
}

function stream(params, outparam) {
  const n = intParam(params, 'n', 5);
  const ms = intParam(params, 'ms', 100);
  const out = start(outparam, 200, plain);
  for (let i = 0; i < n; i++) {
    if (i > 0 && ms > 0) sleep(ms);
    out.stream.blockingWriteAndFlush(enc.encode(`chunk ${i}\n`));
  }
  end(out);
}

function big(params, outparam) {
  const total = intParam(params, 'kb', 1024) * 1024;
  const piece = enc.encode('0123456789abcdef'.repeat(65536 / 16));
  const out = start(outparam, 200, [['content-type', 'application/octet-stream']]);
  for (let at = 0; at < total; at += piece.length) {
    writeAll(out.stream, piece.subarray(0, Math.min(piece.length, total - at)));
  }
  end(out);
}

function never(outparam) {
  const out = start(outparam, 200, plain);
  out.stream.blockingWriteAndFlush(enc.encode('started\n'));
  for (;;) {  // ends only when a write fails (the client went away) or the host stops the instance
    sleep(100);
    out.stream.blockingWriteAndFlush(enc.encode('tick\n'));
  }
}

// JSON for WIT values: u64 fields arrive as BigInt.
const json = (value) => JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v));

// An error-code (a variant: { tag, val }) as the /fetch answer.
const upstreamError = (outparam, code) => respond(outparam, 502, `error: ${code?.tag}\n${json(code)}\n`);

function fetchUrl(params, outparam) {
  let url;
  try {
    url = new URL(params.get('url') ?? '');
  } catch {
    respond(outparam, 400, 'bad url\n');
    return;
  }
  const request = new OutgoingRequest(new Fields());
  request.setMethod({ tag: 'get' });
  const scheme = url.protocol.slice(0, -1);
  request.setScheme(scheme === 'http' ? { tag: 'HTTP' } : scheme === 'https' ? { tag: 'HTTPS' } : { tag: 'other', val: scheme });
  request.setAuthority(url.host);
  request.setPathWithQuery(url.pathname + url.search);
  const requestBody = request.body();
  let future;
  try {
    future = sendRequest(request, undefined);
  } catch (e) {
    drop(requestBody);
    upstreamError(outparam, e.payload);
    return;
  }
  OutgoingBody.finish(requestBody, undefined);
  const pollable = future.subscribe();
  pollable.block();
  drop(pollable);
  const result = future.get();  // option<result<result<incoming-response, error-code>>>
  drop(future);
  if (result?.tag !== 'ok') {
    respond(outparam, 502, 'error: response taken twice\n');
    return;
  }
  if (result.val.tag === 'err') {
    upstreamError(outparam, result.val.val);
    return;
  }
  const response = result.val.val;
  const status = response.status();
  let text;
  try {
    text = dec.decode(readBody(response.consume()));
  } catch (e) {
    drop(response);
    upstreamError(outparam, e.payload);
    return;
  }
  drop(response);
  respond(outparam, 200, `upstream ${status}: ${text}`);
}

function env(outparam) {
  respond(outparam, 200, getEnvironment().map(([name, value]) => `${name}=${value}\n`).join(''));
}

function log(outparam) {
  const stdout = getStdout();
  stdout.blockingWriteAndFlush(enc.encode('out line 1\nout line 2\n'));
  drop(stdout);
  const stderr = getStderr();
  stderr.blockingWriteAndFlush(enc.encode('err line\n'));
  drop(stderr);
  respond(outparam, 200, 'logged');
}

// /keep holds on to its request past the call; /use-kept (on a reused instance) then touches it.
let kept;
function keep(request, outparam) {
  kept = request;
  respond(outparam, 200, 'kept');
}
function useKept(outparam) {
  if (!kept) return respond(outparam, 409, 'nothing kept');
  const method = kept.method();  // the host must refuse: that request is over
  respond(outparam, 200, `old request still usable: ${method.tag}`);
}

// Makes fields resources and never drops them: the host's table limit must stop it.
function leak(outparam) {
  const kept = [];
  for (;;) kept.push(new Fields());
}

// Makes N fields resources and keeps them for good (as a guest whose garbage collector never
// runs would), then answers how many this instance holds in all.
const held = [];
function hold(params, outparam) {
  const n = intParam(params, 'n', 1000);
  for (let i = 0; i < n; i++) held.push(new Fields());
  respond(outparam, 200, `holding ${held.length}`);
}

// Appends 64 KiB header values until the host refuses one; answers how many it took.
function headerLimit(outparam) {
  const fields = new Fields();
  const value = enc.encode('v'.repeat(65536));
  let n = 0;
  try {
    for (;;) {
      fields.append('x-big', value);
      n++;
    }
  } catch (e) {
    drop(fields);
    respond(outparam, 200, `refused after ${n}: ${e.payload?.tag}`);
  }
}

// Answers what the query asks, valid or not, for the host's response checks: status, body,
// a header `x-big` of `hlen` bytes, a header name of `nlen` bytes; `stream=1` streams it (no
// content-length). `ctl=1` instead reports how fields.append takes a value with a control byte.
function respondAsAsked(params, outparam) {
  if (params.has('ctl')) {
    const fields = new Fields();
    try {
      fields.append('x-ctl', enc.encode('a\u0001b'));
      drop(fields);
      return respond(outparam, 200, 'accepted');
    } catch (e) {
      drop(fields);
      return respond(outparam, 200, `refused: ${e.payload?.tag}`);
    }
  }
  const status = intParam(params, 'status', 200);
  const body = params.get('body') ?? '';
  const headers = [...plain];
  if (params.has('hlen')) headers.push(['x-big', 'h'.repeat(intParam(params, 'hlen', 0))]);
  if (params.has('nlen')) headers.push(['n'.repeat(intParam(params, 'nlen', 0)), 'v']);
  if (params.get('stream') === '1') {
    const out = start(outparam, status, headers);
    out.stream.blockingWriteAndFlush(enc.encode(body));
    return end(out);
  }
  respond(outparam, status, body, headers);
}

export const incomingHandler = {
  handle(request, outparam) {
    const path = request.pathWithQuery() ?? '/';
    const q = path.indexOf('?');
    const route = q < 0 ? path : path.slice(0, q);
    const params = query(path);
    switch (route) {
      case '/echo': return echo(request, outparam);
      case '/stream': return stream(params, outparam);
      case '/big': return big(params, outparam);
      case '/never': return never(outparam);
      case '/fetch': return fetchUrl(params, outparam);
      case '/env': return env(outparam);
      case '/log': return log(outparam);
      case '/leak': return leak(outparam);
      case '/keep': return keep(request, outparam);
      case '/use-kept': return useKept(outparam);
      case '/header-limit': return headerLimit(outparam);
      case '/respond': return respondAsAsked(params, outparam);
      case '/hold': return hold(params, outparam);
      default: return respond(outparam, 404, 'no such test path');
    }
  },
};
