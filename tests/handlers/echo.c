// Test handler: answers 200 with the request as text, like an HTTP/1.1 message without the
// version: "METHOD PATH\n", one "name: value\n" per header in the order received, "\n", then the
// body bytes unchanged. Header x-echo-body-length: the body's length in bytes.
#include "witserve.h"

void witserve_handle(const witserve_request *req, witserve_response *res) {
  char n[WITSERVE_U64_SIZE];
  witserve_add_header(res, "content-type", "text/plain; charset=utf-8");
  witserve_add_header(res, "x-echo-body-length", witserve_u64(req->body_len, n));
  witserve_append_text(res, req->method.ptr);
  witserve_append_text(res, " ");
  witserve_append_text(res, req->path.ptr);
  witserve_append_text(res, "\n");
  for (size_t i = 0; i < req->header_count; i++) {
    witserve_append_body(res, req->headers[i].name.ptr, req->headers[i].name.len);
    witserve_append_text(res, ": ");
    witserve_append_body(res, req->headers[i].value.ptr, req->headers[i].value.len);
    witserve_append_text(res, "\n");
  }
  witserve_append_text(res, "\n");
  witserve_append_body(res, req->body, req->body_len);
}
