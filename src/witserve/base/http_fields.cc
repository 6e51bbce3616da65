// HTTP field rules (see http_fields.h).
#include "witserve/base/http_fields.h"

namespace witserve {
namespace {
bool token_char(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(char(c)) != std::string_view::npos;
}
}  // namespace

bool valid_http_field_name(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name)
    if (!token_char(c)) return false;
  return true;
}

bool valid_http_field_value(std::string_view value) {
  for (unsigned char c : value)
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  return true;
}

}  // namespace witserve
