// Example handler in JavaScript for the standard wasi:http/incoming-handler (componentize-js):
// answers 200 text/plain with a greeting naming the method and the path, streamed in a few writes.
import { Fields, OutgoingBody, OutgoingResponse, ResponseOutparam } from 'wasi:http/types@0.2.12';

const enc = new TextEncoder();

export const incomingHandler = {
  handle(request, outparam) {
    const method = request.method();  // a variant: { tag: 'get' }, ..., { tag: 'other', val: 'PURGE' }
    const name = method.tag === 'other' ? method.val : method.tag.toUpperCase();
    const path = request.pathWithQuery() ?? '/';

    const response = new OutgoingResponse(Fields.fromList([
      ['content-type', enc.encode('text/plain; charset=utf-8')],
      ['x-witserve-example', enc.encode('http-js')],
    ]));
    response.setStatusCode(200);
    const body = response.body();
    // The status and headers go out now; the body follows as it is written (no content-length).
    ResponseOutparam.set(outparam, { tag: 'ok', val: response });

    const stream = body.write();
    for (const piece of ['Hello from JavaScript on wasi:http!\n', `method: ${name}\n`, `path: ${path}\n`]) {
      stream.blockingWriteAndFlush(enc.encode(piece));  // at most 4096 bytes per call
    }
    stream[Symbol.dispose ?? Symbol.for('dispose')]();  // the stream goes before the body is finished
    OutgoingBody.finish(body, undefined);
  },
};
