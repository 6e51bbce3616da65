// Test handler for WASI through the preview1 adapter (built with guest_c_wasi): files, directories,
// the environment and stdio through wasi-libc. The path picks what it does:
//   /read?f=PATH    200 with the file's bytes; 404 "errno N: TEXT\n" when it cannot be read
//   /write?f=PATH   writes the request body to PATH: 201 "wrote N bytes\n"; 403 (EACCES, EPERM,
//                   EROFS, ENOTCAPABLE) or 500 (any other errno) with "errno N: TEXT\n"
//   /list?d=DIR     200 with the names in DIR (without . and ..), sorted, one per line; 404 on error
//   /env            200 "GREETING=VALUE\nvariables: N\n" (VALUE "(unset)" when unset; N entries in environ)
//   /print          printf's two lines to stdout, one to stderr; answers "printed\n"
//   anything else   404 "no such test path\n" (also /read, /write, /list without f or d)
// Query values are URL-decoded (%XX, +).
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "witserve.h"

extern char **environ;

// The URL-decoded value of query parameter `name` in `path` as a malloc'd string, or NULL.
static char *query(const char *path, const char *name) {
  size_t len = strlen(name);
  for (const char *p = strchr(path, '?'); p; p = strchr(p + 1, '&')) {
    if (strncmp(p + 1, name, len) || p[1 + len] != '=') continue;
    const char *v = p + 2 + len;
    char *out = malloc(strlen(v) + 1), *o = out;
    if (!out) __builtin_trap();
    for (; *v && *v != '&'; v++) {
      unsigned hex;
      if (*v == '%' && sscanf(v + 1, "%2x", &hex) == 1) {
        *o++ = (char)hex;
        v += 2;
      } else {
        *o++ = *v == '+' ? ' ' : *v;
      }
    }
    *o = 0;
    return out;
  }
  return NULL;
}

static void text(witserve_response *res, uint16_t status, const char *body) {
  witserve_set_status(res, status);
  witserve_add_header(res, "content-type", "text/plain; charset=utf-8");
  witserve_set_body(res, body);
}

static void fail(witserve_response *res, uint16_t status, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "errno %d: %s\n", err, strerror(err));
  text(res, status, msg);
}

static void read_file(const char *file, witserve_response *res) {
  FILE *f = fopen(file, "rb");
  if (!f) {
    fail(res, 404, errno);
    return;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) witserve_append_body(res, buf, n);
  int err = ferror(f) ? errno : 0;
  fclose(f);
  if (err) {
    fail(res, 404, err);
    return;
  }
  witserve_add_header(res, "content-type", "application/octet-stream");
}

static void write_file(const char *file, const witserve_request *req, witserve_response *res) {
  FILE *f = fopen(file, "wb");
  int err = 0;
  if (!f) {
    err = errno;
  } else {
    if (fwrite(req->body, 1, req->body_len, f) != req->body_len) err = errno;
    if (fclose(f) && !err) err = errno;
  }
  if (err) {
    int denied = err == EACCES || err == EPERM || err == EROFS || err == ENOTCAPABLE;
    fail(res, denied ? 403 : 500, err);
    return;
  }
  char msg[64];
  snprintf(msg, sizeof msg, "wrote %zu bytes\n", req->body_len);
  text(res, 201, msg);
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_dir(const char *dir, witserve_response *res) {
  DIR *d = opendir(dir);
  if (!d) {
    fail(res, 404, errno);
    return;
  }
  char **names = NULL;
  size_t count = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    names = realloc(names, (count + 1) * sizeof *names);
    if (!names || !(names[count++] = strdup(e->d_name))) __builtin_trap();
  }
  closedir(d);
  qsort(names, count, sizeof *names, compare_names);
  text(res, 200, "");
  for (size_t i = 0; i < count; i++) {
    witserve_append_text(res, names[i]);
    witserve_append_text(res, "\n");
    free(names[i]);
  }
  free(names);
}

static void env(witserve_response *res) {
  const char *greeting = getenv("GREETING");
  size_t count = 0;
  for (char **e = environ; e && *e; e++) count++;
  char msg[512];
  snprintf(msg, sizeof msg, "GREETING=%s\nvariables: %zu\n", greeting ? greeting : "(unset)", count);
  text(res, 200, msg);
}

static void print(witserve_response *res) {
  printf("wasi-fs-c: stdout line 1\n");
  printf("wasi-fs-c: stdout line 2\n");
  fprintf(stderr, "wasi-fs-c: stderr line\n");
  // wasi-libc buffers stdout fully when it is not a terminal, and a reactor never exits: flush.
  fflush(stdout);
  text(res, 200, "printed\n");
}

// Whether the path (before any query) is `route`.
static int is(const char *path, const char *route) {
  size_t n = strlen(route);
  return !strncmp(path, route, n) && (path[n] == 0 || path[n] == '?');
}

void witserve_handle(const witserve_request *req, witserve_response *res) {
  const char *path = req->path.ptr;
  char *arg = NULL;
  if (is(path, "/read") && (arg = query(path, "f"))) {
    read_file(arg, res);
  } else if (is(path, "/write") && (arg = query(path, "f"))) {
    write_file(arg, req, res);
  } else if (is(path, "/list") && (arg = query(path, "d"))) {
    list_dir(arg, res);
  } else if (is(path, "/env")) {
    env(res);
  } else if (is(path, "/print")) {
    print(res);
  } else {
    text(res, 404, "no such test path\n");
  }
  free(arg);
}
