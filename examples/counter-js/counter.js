// Example handler in JavaScript (componentize-js) with state and configuration: counts the visits
// of each path in the route's key-value store (wasi:keyvalue, atomic increment, so concurrent
// requests and other witserve processes sharing a Redis store never lose a count) and greets
// with the route's `greeting` config value. Its route needs `key_value_stores = ["default"]`.
import { open } from 'wasi:keyvalue/store@0.2.0-draft2';
import { increment } from 'wasi:keyvalue/atomics@0.2.0-draft2';
import { get as getConfig } from 'wasi:config/store@0.2.0-draft-2024-09-27';

export function handle(req) {
  const path = req.path.split('?')[0];
  let text;
  let status = 200;
  try {
    const bucket = open('default');
    const visits = increment(bucket, `visits:${path}`, 1n);
    const greeting = getConfig('greeting') ?? 'Hello';
    text = `${greeting}! ${path} has had ${visits} visit${visits === 1n ? '' : 's'}.\n`;
  } catch (e) {
    // A result's error arrives as an exception whose payload is the error variant.
    status = 500;
    text = `key-value error: ${JSON.stringify(e.payload ?? String(e))}\n`;
  }
  return {
    status,
    headers: [
      ['content-type', 'text/plain; charset=utf-8'],
      ['x-witserve-example', 'counter-js'],
    ],
    body: new TextEncoder().encode(text),
  };
}
