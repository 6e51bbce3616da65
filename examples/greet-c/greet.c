// Example handler in C using the host imports. For the route /greet/:name it answers
// "GREETING, NAME!" with GREETING from the route's config key `greeting` ("Hello" when not set)
// and NAME from the route parameter ("world" when empty), and logs "greeting NAME" at info level.
#include <stdlib.h>
#include <string.h>

#include "witserve.h"

void witserve_handle(const witserve_request *req, witserve_response *res) {
  const char *name = witserve_param(req, "name");
  if (!name || !*name) name = "world";
  char *greeting = witserve_get_config("greeting");

  char *message = malloc(strlen(name) + sizeof "greeting ");
  witserve_log(WITSERVE_INFO, strcat(strcpy(message, "greeting "), name));
  free(message);

  witserve_add_header(res, "content-type", "text/plain; charset=utf-8");
  witserve_append_text(res, greeting ? greeting : "Hello");
  witserve_append_text(res, ", ");
  witserve_append_text(res, name);
  witserve_append_text(res, "!\n");
  free(greeting);
}
