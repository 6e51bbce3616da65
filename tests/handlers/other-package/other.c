// Test handler for structural matching, built against other.wit (package other:pkg@2.0.0) instead
// of wit/handler.wit. The canonical ABI of `handle` is the same, so the C SDK's glue serves as is
// (the handler must not call witserve_log or witserve_get_config: this world imports no host).
// Answers 200 "other:pkg METHOD PATH\n".
#include "witserve.h"

void witserve_handle(const witserve_request *req, witserve_response *res) {
  witserve_add_header(res, "content-type", "text/plain; charset=utf-8");
  witserve_append_text(res, "other:pkg ");
  witserve_append_text(res, req->method.ptr);
  witserve_append_text(res, " ");
  witserve_append_text(res, req->path.ptr);
  witserve_append_text(res, "\n");
}
