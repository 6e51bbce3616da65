// Example handler in JavaScript (componentize-js, the handler world of wit/handler.wit): answers
// every request with "Hello, world!" and logs the request path with console.log, which goes to
// wasi:cli/stdout (the server's log).
const body = new TextEncoder().encode('Hello, world!\n');

export function handle(req) {
  console.log(`hello-js: ${req.method} ${req.path}`);
  return {
    status: 200,
    headers: [
      ['content-type', 'text/plain; charset=utf-8'],
      ['x-witserve-example', 'hello-js'],
    ],
    body,
  };
}
