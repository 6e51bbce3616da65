// Test handler for the C SDK's request and response helpers (sdk/c/witserve.h):
//   /query?...       200 JSON {"name": NAME, "city": CITY}: witserve_query's percent-decoded
//                    values of `name` and `city` as witserve_json_string literals, or null when
//                    the query has no such parameter
//   /status?code=N   witserve_text(N, "status N\n")
//   anything else    witserve_text(404, "no such test path\n")
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "witserve.h"

static void append_value(char **out, size_t *len, const char *key, char *value) {
  char *lit = value ? witserve_json_string(value) : NULL;
  const char *shown = lit ? lit : "null";
  size_t need = *len + strlen(key) + strlen(shown) + 8;
  *out = realloc(*out, need);
  *len += (size_t)snprintf(*out + *len, need - *len, "%s\"%s\":%s", *len > 1 ? "," : "", key, shown);
  free(lit);
  free(value);
}

void witserve_handle(const witserve_request *req, witserve_response *res) {
  const char *path = req->path.ptr;
  if (strncmp(path, "/query", 6) == 0) {
    size_t len = 1;
    char *json = malloc(2);
    strcpy(json, "{");
    append_value(&json, &len, "name", witserve_query(req, "name"));
    append_value(&json, &len, "city", witserve_query(req, "city"));
    json = realloc(json, len + 2);
    strcpy(json + len, "}");
    witserve_json(res, 200, json);
    free(json);
    return;
  }
  if (strncmp(path, "/status", 7) == 0) {
    char *code = witserve_query(req, "code");
    int n = code ? atoi(code) : 200;
    free(code);
    char text[32];
    snprintf(text, sizeof text, "status %d\n", n);
    witserve_text(res, (uint16_t)n, text);
    return;
  }
  witserve_text(res, 404, "no such test path\n");
}
