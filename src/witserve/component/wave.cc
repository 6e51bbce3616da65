// WAVE reader and printer. See wave.h.
//
// The grammar follows wasm-tools' crates/wasm-wave (README.md and wave_ebnf.md). Parsing is
// type-directed and single-pass: a small hand-written lexer produces tokens on demand, and the
// parser asks for the token shapes the expected type allows. That resolves everything the untyped
// grammar leaves open (bool/enum/variant/option/result cases are all labels or keywords; records
// and flags both use braces), and lets errors name what the type wanted.
#include "witserve/component/wave.h"

#include "witserve/base/unicode.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace witserve::component {
namespace {

constexpr int kMaxDepth = 100;

bool is_keyword(std::string_view s) {
  return s == "true" || s == "false" || s == "some" || s == "none" || s == "ok" || s == "err" ||
         s == "inf" || s == "nan";
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_alpha(char c) { return is_lower(c) || is_upper(c); }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
bool is_label_char(char c) { return is_alnum(c) || c == '-'; }

// Decodes one UTF-8 sequence at s[pos]; returns its length, or 0 if it is not a valid encoding of
// a Unicode scalar value (overlong forms, surrogates and values above U+10FFFF are invalid).
size_t decode_utf8(std::string_view s, size_t pos, char32_t* out) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  uint8_t b0 = byte(pos);
  if (b0 < 0x80) { *out = b0; return 1; }
  size_t len;
  char32_t c, min;
  if ((b0 & 0xE0) == 0xC0) { len = 2; c = b0 & 0x1F; min = 0x80; }
  else if ((b0 & 0xF0) == 0xE0) { len = 3; c = b0 & 0x0F; min = 0x800; }
  else if ((b0 & 0xF8) == 0xF0) { len = 4; c = b0 & 0x07; min = 0x10000; }
  else return 0;
  if (pos + len > s.size()) return 0;
  for (size_t i = 1; i < len; ++i) {
    uint8_t b = byte(pos + i);
    if ((b & 0xC0) != 0x80) return 0;
    c = (c << 6) | (b & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
  *out = c;
  return len;
}

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%x", unsigned(v));
  return buf;
}

// A type for messages: its WIT-like spelling, shortened if long.
std::string type_name(TypeRef t) {
  std::string s = to_string(t);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

bool flattenable(TypeRef t) { return t->kind != TypeKind::kOption && t->kind != TypeKind::kResult; }

// The first kind WAVE cannot represent inside `t`, or null.
const char* unsupported_kind(TypeRef t) {
  switch (t->kind) {
    case TypeKind::kOwn: return "own";
    case TypeKind::kBorrow: return "borrow";
    case TypeKind::kStream: return "stream";
    case TypeKind::kFuture: return "future";
    case TypeKind::kMap: return "map";
    case TypeKind::kErrorContext: return "error-context";
    default: break;
  }
  for (const auto& f : t->fields)
    if (const char* k = unsupported_kind(f.type)) return k;
  for (const auto& c : t->cases)
    if (c.type)
      if (const char* k = unsupported_kind(c.type)) return k;
  for (TypeRef e : t->elements)
    if (const char* k = unsupported_kind(e)) return k;
  if (t->element && t->kind == TypeKind::kList)
    if (const char* k = unsupported_kind(t->element)) return k;
  return nullptr;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i == 8) return s + ", ...";
    s += (i ? ", " : "") + names[i];
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Lexer and parser

enum class Tok { kEnd, kLBrace, kRBrace, kLParen, kRParen, kLBracket, kRBracket, kColon, kComma,
                 kNumber, kLabel, kChar, kString };

struct Token {
  Tok kind = Tok::kEnd;
  size_t start = 0;
  std::string_view raw;  // number: its text; label: the label without '%'
  bool keyword = false;  // label: a WAVE keyword written without '%'
  std::string text;      // string: decoded contents
  char32_t ch = 0;       // char: the decoded character
};

class Parser {
 public:
  explicit Parser(std::string_view src) : src_(src) {}

  Result<Value> parse(TypeRef t) {
    for (size_t i = 0; i < src_.size();) {
      char32_t c;
      size_t n = decode_utf8(src_, i, &c);
      if (n == 0) return error(i, "invalid UTF-8");
      i += n;
    }
    WITSERVE_ASSIGN_OR_RETURN(Value v, value(t, 0));
    WITSERVE_ASSIGN_OR_RETURN(Token end, next());
    if (end.kind != Tok::kEnd) return error(end.start, "expected end of input, found " + describe(end));
    return v;
  }

 private:
  // --- errors

  Error error(size_t offset, const std::string& what) const {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < offset && i < src_.size(); ++i) {
      if (src_[i] == '\n') {
        ++line;
        column = 1;
      } else if ((static_cast<uint8_t>(src_[i]) & 0xC0) != 0x80) {
        ++column;
      }
    }
    std::string where = line == 1 ? "at column " + std::to_string(column)
                                  : "at line " + std::to_string(line) + ", column " + std::to_string(column);
    return Error(ErrorKind::kInvalidArgument, where + ": " + what);
  }

  std::string describe(const Token& t) const {
    switch (t.kind) {
      case Tok::kEnd: return "end of input";
      case Tok::kLBrace: return "'{'";
      case Tok::kRBrace: return "'}'";
      case Tok::kLParen: return "'('";
      case Tok::kRParen: return "')'";
      case Tok::kLBracket: return "'['";
      case Tok::kRBracket: return "']'";
      case Tok::kColon: return "':'";
      case Tok::kComma: return "','";
      case Tok::kNumber: return "the number " + std::string(t.raw);
      case Tok::kLabel:
        return t.keyword ? "the keyword '" + std::string(t.raw) + "'"
                         : "the label '" + std::string(t.raw) + "'";
      case Tok::kChar: return "a char";
      case Tok::kString: return "a string";
    }
    return "?";
  }

  Error expected(const std::string& what, const Token& found) const {
    return error(found.start, "expected " + what + ", found " + describe(found));
  }

  // --- lexer

  Result<Token> next() {
    if (peeked_) {
      Token t = std::move(*peeked_);
      peeked_.reset();
      return t;
    }
    return lex();
  }

  Result<const Token*> peek() {
    if (!peeked_) {
      WITSERVE_ASSIGN_OR_RETURN(Token t, lex());
      peeked_ = std::move(t);
    }
    return &*peeked_;
  }

  Result<Token> expect(Tok kind, const std::string& what) {
    WITSERVE_ASSIGN_OR_RETURN(Token t, next());
    if (t.kind != kind) return expected(what, t);
    return t;
  }

  Result<Token> lex() {
    // Whitespace and `//` comments.
    while (pos_ < src_.size()) {
      char c = src_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++pos_;
      } else if (c == '/' && pos_ + 1 < src_.size() && src_[pos_ + 1] == '/') {
        while (pos_ < src_.size() && src_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
    Token t;
    t.start = pos_;
    if (pos_ >= src_.size()) return t;
    char c = src_[pos_];
    auto punct = [&](Tok k) { t.kind = k; ++pos_; return t; };
    switch (c) {
      case '{': return punct(Tok::kLBrace);
      case '}': return punct(Tok::kRBrace);
      case '(': return punct(Tok::kLParen);
      case ')': return punct(Tok::kRParen);
      case '[': return punct(Tok::kLBracket);
      case ']': return punct(Tok::kRBracket);
      case ':': return punct(Tok::kColon);
      case ',': return punct(Tok::kComma);
      case '\'': return lex_char(std::move(t));
      case '"': return lex_string(std::move(t));
      default: break;
    }
    if (c == '-' || is_digit(c)) return lex_number(std::move(t));
    if (c == '%' || is_alpha(c)) return lex_label(std::move(t));
    if (c == '/') return error(pos_, "unexpected '/' (comments start with '//')");
    char32_t cp = 0;
    decode_utf8(src_, pos_, &cp);
    std::string shown;
    if (cp >= 0x20 && cp != 0x7F) {
      shown = "'";
      append_utf8(shown, cp);
      shown += "'";
    } else {
      shown = "U+" + hex(cp);
    }
    return error(pos_, "unexpected character " + shown);
  }

  Result<Token> lex_number(Token t) {
    size_t s = pos_;
    auto at = [&](size_t i) { return i < src_.size() ? src_[i] : '\0'; };
    if (at(pos_) == '-') {
      ++pos_;
      if (src_.substr(pos_, 3) == "inf" && !is_label_char(at(pos_ + 3))) {
        pos_ += 3;
        t.kind = Tok::kNumber;
        t.raw = src_.substr(s, pos_ - s);
        return t;
      }
    }
    bool ok = true;
    if (at(pos_) == '0') {
      ++pos_;
    } else if (is_digit(at(pos_))) {
      while (is_digit(at(pos_))) ++pos_;
    } else {
      ok = false;
    }
    if (ok && at(pos_) == '.') {
      ++pos_;
      if (!is_digit(at(pos_))) ok = false;
      while (is_digit(at(pos_))) ++pos_;
    }
    if (ok && (at(pos_) == 'e' || at(pos_) == 'E')) {
      ++pos_;
      if (at(pos_) == '+' || at(pos_) == '-') ++pos_;
      if (!is_digit(at(pos_))) ok = false;
      while (is_digit(at(pos_))) ++pos_;
    }
    if (!ok || is_alnum(at(pos_)) || at(pos_) == '.' || at(pos_) == '_') {
      while (is_alnum(at(pos_)) || at(pos_) == '.' || at(pos_) == '_' || at(pos_) == '-' ||
             at(pos_) == '+')
        ++pos_;
      return error(s, "invalid number '" + std::string(src_.substr(s, pos_ - s)) +
                          "' (numbers are written like 123, -9, 3.14 or 6.022e+23)");
    }
    t.kind = Tok::kNumber;
    t.raw = src_.substr(s, pos_ - s);
    return t;
  }

  Result<Token> lex_label(Token t) {
    size_t s = pos_;
    bool percent = src_[pos_] == '%';
    if (percent) ++pos_;
    size_t b = pos_;
    while (pos_ < src_.size() && is_label_char(src_[pos_])) ++pos_;
    std::string_view label = src_.substr(b, pos_ - b);
    // Words: [a-z][a-z0-9]* or [A-Z][A-Z0-9]* first, then [a-z0-9]+ or [A-Z0-9]+ after hyphens.
    bool valid = !label.empty() && is_alpha(label[0]);
    size_t w = 0;
    while (valid && w <= label.size()) {
      size_t e = label.find('-', w);
      if (e == std::string_view::npos) e = label.size();
      if (e == w) { valid = false; break; }
      bool lower = false, upper = false;
      for (size_t i = w; i < e; ++i) {
        lower |= is_lower(label[i]);
        upper |= is_upper(label[i]);
      }
      if (lower && upper) valid = false;
      w = e + 1;
    }
    if (!valid)
      return error(s, "invalid label '" + std::string(src_.substr(s, pos_ - s)) +
                          "' (labels are kebab-case words such as 'two-words' or 'HTTP3')");
    t.kind = Tok::kLabel;
    t.raw = label;
    t.keyword = !percent && is_keyword(label);
    return t;
  }

  // Decodes the escape at src_[pos_] (a backslash) and advances past it.
  Result<char32_t> lex_escape() {
    size_t s = pos_;
    if (pos_ + 1 >= src_.size()) return error(s, "invalid escape at end of input");
    char c = src_[pos_ + 1];
    pos_ += 2;
    switch (c) {
      case '\\': return char32_t('\\');
      case '\'': return char32_t('\'');
      case '"': return char32_t('"');
      case 't': return char32_t('\t');
      case 'n': return char32_t('\n');
      case 'r': return char32_t('\r');
      case 'u': break;
      default: {
        std::string shown = "\\";
        char32_t cp = 0;
        if (decode_utf8(src_, s + 1, &cp) && cp >= 0x20) append_utf8(shown, cp);
        return error(s, "invalid escape '" + shown +
                            "' (escapes are \\\\, \\', \\\", \\t, \\n, \\r and \\u{hex})");
      }
    }
    if (pos_ >= src_.size() || src_[pos_] != '{')
      return error(s, "invalid escape: \\u must be followed by {hex digits}, as in \\u{2603}");
    ++pos_;
    uint32_t v = 0;
    size_t digits = 0;
    while (pos_ < src_.size() && src_[pos_] != '}') {
      char h = src_[pos_];
      uint32_t d;
      if (is_digit(h)) d = h - '0';
      else if (h >= 'a' && h <= 'f') d = h - 'a' + 10;
      else if (h >= 'A' && h <= 'F') d = h - 'A' + 10;
      else return error(s, "invalid escape: \\u{...} takes 1 to 6 hex digits");
      if (++digits > 6) return error(s, "invalid escape: \\u{...} takes 1 to 6 hex digits");
      v = v << 4 | d;
      ++pos_;
    }
    if (pos_ >= src_.size()) return error(s, "invalid escape: \\u{ without a closing '}'");
    if (digits == 0) return error(s, "invalid escape: \\u{...} takes 1 to 6 hex digits");
    ++pos_;  // '}'
    if (!is_unicode_scalar(v))
      return error(s, "invalid escape: \\u{" + hex(v) +
                          "} is not a Unicode scalar value (surrogates and values above 10ffff are not)");
    return char32_t(v);
  }

  Result<Token> lex_char(Token t) {
    size_t s = pos_;
    ++pos_;  // '
    if (pos_ >= src_.size()) return error(s, "unterminated char literal");
    char c = src_[pos_];
    if (c == '\'') return error(s, "empty char literal (a char holds exactly one character)");
    if (c == '\n') return error(s, "unterminated char literal (write a newline as '\\n')");
    if (c == '\\') {
      WITSERVE_ASSIGN_OR_RETURN(t.ch, lex_escape());
    } else {
      pos_ += decode_utf8(src_, pos_, &t.ch);  // the input is valid UTF-8
    }
    if (pos_ >= src_.size() || src_[pos_] != '\'') {
      size_t close = src_.find_first_of("'\n", pos_);
      if (close == std::string_view::npos || src_[close] == '\n')
        return error(s, "unterminated char literal");
      return error(s, "a char literal holds exactly one character (for text, use a \"string\")");
    }
    ++pos_;
    t.kind = Tok::kChar;
    return t;
  }

  Result<Token> lex_string(Token t) {
    size_t s = pos_;
    t.kind = Tok::kString;
    if (src_.substr(pos_, 3) == "\"\"\"") return lex_multiline(std::move(t));
    ++pos_;
    while (true) {
      if (pos_ >= src_.size() || src_[pos_] == '\n')
        return error(s, "unterminated string (a string ends on its line; write a newline as \\n)");
      char c = src_[pos_];
      if (c == '"') break;
      if (c == '\\') {
        WITSERVE_ASSIGN_OR_RETURN(char32_t e, lex_escape());
        append_utf8(t.text, e);
      } else {
        t.text += c;
        ++pos_;
      }
    }
    ++pos_;  // closing quote
    return t;
  }

  // """<line break>lines<line break><indent>"""
  Result<Token> lex_multiline(Token t) {
    size_t s = pos_;
    size_t body = s + 3;
    size_t close = src_.find("\"\"\"", body);
    if (close == std::string_view::npos) return error(s, "unterminated multiline string");
    std::string_view content = src_.substr(body, close - body);
    size_t first;
    if (content.substr(0, 1) == "\n") first = 1;
    else if (content.substr(0, 2) == "\r\n") first = 2;
    else return error(body, "the opening \"\"\" of a multiline string must be followed by a line break");
    size_t last_nl = content.rfind('\n');
    std::string_view indent = content.substr(last_nl + 1);
    if (indent.find_first_not_of(' ') != std::string_view::npos)
      return error(close, "the closing \"\"\" of a multiline string must be on its own line, after only spaces");
    // The lines are the text between the opening line break and the final one, split at '\n'.
    if (last_nl >= first) {
      bool first_line = true;
      for (size_t line = first;;) {
        size_t end = content.find('\n', line);  // at most last_nl, which is a '\n'
        std::string_view l = content.substr(line, end - line);
        if (l.substr(0, indent.size()) != indent)
          return error(body + line, "each line of a multiline string must be indented at least as much as the closing \"\"\"");
        size_t from = body + line + indent.size();
        size_t to = body + end;
        if (to > from && src_[to - 1] == '\r') --to;  // a \r\n line break
        if (!first_line) t.text += '\n';
        first_line = false;
        pos_ = from;
        while (pos_ < to) {
          if (src_[pos_] == '\\') {
            WITSERVE_ASSIGN_OR_RETURN(char32_t e, lex_escape());
            if (pos_ > to) return error(pos_, "invalid escape at the end of a line");
            append_utf8(t.text, e);
          } else {
            t.text += src_[pos_++];
          }
        }
        if (end == last_nl) break;
        line = end + 1;
      }
    }
    pos_ = close + 3;
    return t;
  }

  // --- values

  Result<Value> value(TypeRef t, int depth) {
    if (depth > kMaxDepth) {
      WITSERVE_ASSIGN_OR_RETURN(const Token* p, peek());
      return error(p->start, "values nest more than " + std::to_string(kMaxDepth) + " levels deep");
    }
    switch (t->kind) {
      case TypeKind::kBool: {
        WITSERVE_ASSIGN_OR_RETURN(Token tok, next());
        if (tok.kind == Tok::kLabel && tok.keyword && (tok.raw == "true" || tok.raw == "false"))
          return Value::boolean(tok.raw == "true");
        return expected("a bool (true or false)", tok);
      }
      case TypeKind::kS8: case TypeKind::kU8: case TypeKind::kS16: case TypeKind::kU16:
      case TypeKind::kS32: case TypeKind::kU32: case TypeKind::kS64: case TypeKind::kU64:
        return integer(t);
      case TypeKind::kF32: case TypeKind::kF64:
        return floating(t);
      case TypeKind::kChar: {
        WITSERVE_ASSIGN_OR_RETURN(Token tok, next());
        if (tok.kind != Tok::kChar) return expected("a char such as 'x'", tok);
        return Value::character(tok.ch);
      }
      case TypeKind::kString: {
        WITSERVE_ASSIGN_OR_RETURN(Token tok, next());
        if (tok.kind != Tok::kString) return expected("a string", tok);
        return Value::string(std::move(tok.text));
      }
      case TypeKind::kList: return list(t, depth);
      case TypeKind::kTuple: return tuple(t, depth);
      case TypeKind::kRecord: return record(t, depth);
      case TypeKind::kVariant: return variant(t, depth);
      case TypeKind::kEnum: return enumeration(t);
      case TypeKind::kOption: return option(t, depth);
      case TypeKind::kResult: return result(t, depth);
      case TypeKind::kFlags: return flags(t);
      default:
        return Error(ErrorKind::kUnsupported, "WAVE cannot represent values of type " + type_name(t));
    }
  }

  Result<Value> integer(TypeRef t) {
    WITSERVE_ASSIGN_OR_RETURN(Token tok, next());
    std::string tn = type_name(t);
    if (tok.kind != Tok::kNumber) return expected("an integer (" + tn + ")", tok);
    std::string_view raw = tok.raw;
    if (raw == "-inf" || raw.find_first_of(".eE") != std::string_view::npos)
      return expected("an integer (" + tn + ")", tok);
    bool neg = raw[0] == '-';
    std::string_view digits = neg ? raw.substr(1) : raw;
    uint64_t mag = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), mag);
    bool overflow = ec != std::errc() || ptr != digits.data() + digits.size();
    int64_t min = 0;
    uint64_t max = 0;
    bool is_signed = true;
    switch (t->kind) {
      case TypeKind::kS8: min = INT8_MIN; max = INT8_MAX; break;
      case TypeKind::kS16: min = INT16_MIN; max = INT16_MAX; break;
      case TypeKind::kS32: min = INT32_MIN; max = INT32_MAX; break;
      case TypeKind::kS64: min = INT64_MIN; max = INT64_MAX; break;
      case TypeKind::kU8: max = UINT8_MAX; is_signed = false; break;
      case TypeKind::kU16: max = UINT16_MAX; is_signed = false; break;
      case TypeKind::kU32: max = UINT32_MAX; is_signed = false; break;
      default: max = UINT64_MAX; is_signed = false; break;
    }
    auto out_of_range = [&] {
      return error(tok.start, std::string(raw) + " is out of range for " + tn + " (" + std::to_string(min) +
                                  " to " + std::to_string(max) + ")");
    };
    if (!is_signed) {
      if (neg && !overflow && mag == 0)
        return error(tok.start, "expected an unsigned integer (" + tn + "), found -0");
      if (neg || overflow || mag > max) return out_of_range();
      switch (t->kind) {
        case TypeKind::kU8: return Value::u8(uint8_t(mag));
        case TypeKind::kU16: return Value::u16(uint16_t(mag));
        case TypeKind::kU32: return Value::u32(uint32_t(mag));
        default: return Value::u64(mag);
      }
    }
    uint64_t limit = neg ? uint64_t(-(min + 1)) + 1 : max;
    if (overflow || mag > limit) return out_of_range();
    int64_t v = neg ? int64_t(0 - mag) : int64_t(mag);  // two's complement wraps INT64_MIN right
    switch (t->kind) {
      case TypeKind::kS8: return Value::s8(int8_t(v));
      case TypeKind::kS16: return Value::s16(int16_t(v));
      case TypeKind::kS32: return Value::s32(int32_t(v));
      default: return Value::s64(v);
    }
  }

  // A decimal number too large or too small for the float type: is its magnitude at least 1?
  // (Only then does it overflow; otherwise it underflows to zero.)
  static bool magnitude_at_least_one(std::string_view raw) {
    if (!raw.empty() && raw[0] == '-') raw.remove_prefix(1);
    size_t e = raw.find_first_of("eE");
    std::string_view mant = raw.substr(0, e);
    int64_t exp = 0;
    if (e != std::string_view::npos) {
      std::string_view es = raw.substr(e + 1);
      bool eneg = !es.empty() && es[0] == '-';
      if (!es.empty() && (es[0] == '-' || es[0] == '+')) es.remove_prefix(1);
      for (char c : es) exp = std::min<int64_t>(exp * 10 + (c - '0'), int64_t(1) << 40);
      if (eneg) exp = -exp;
    }
    // Decimal position of the first non-zero digit relative to the point.
    size_t point = mant.find('.');
    if (point == std::string_view::npos) point = mant.size();
    for (size_t i = 0; i < mant.size(); ++i) {
      if (mant[i] == '.' || mant[i] == '0') continue;
      int64_t pos = i < point ? int64_t(point - i - 1) : -int64_t(i - point);
      return pos + exp >= 0;
    }
    return false;  // zero never overflows
  }

  Result<Value> floating(TypeRef t) {
    WITSERVE_ASSIGN_OR_RETURN(Token tok, next());
    bool f32 = t->kind == TypeKind::kF32;
    auto make = [&](double d) { return f32 ? Value::f32(float(d)) : Value::f64(d); };
    std::string what = std::string("a number (") + (f32 ? "f32" : "f64") + ")";
    if (tok.kind == Tok::kLabel && tok.keyword && tok.raw == "nan")
      return make(std::numeric_limits<double>::quiet_NaN());
    if (tok.kind == Tok::kLabel && tok.keyword && tok.raw == "inf")
      return make(std::numeric_limits<double>::infinity());
    if (tok.kind != Tok::kNumber) return expected(what, tok);
    std::string_view raw = tok.raw;
    if (raw == "-inf") return make(-std::numeric_limits<double>::infinity());
    const char* b = raw.data();
    const char* e = raw.data() + raw.size();
    std::errc ec;
    const char* ptr;
    float fv = 0;
    double dv = 0;
    if (f32) {
      auto r = std::from_chars(b, e, fv);
      ec = r.ec;
      ptr = r.ptr;
    } else {
      auto r = std::from_chars(b, e, dv);
      ec = r.ec;
      ptr = r.ptr;
    }
    if (ec == std::errc::result_out_of_range) {
      double inf = std::numeric_limits<double>::infinity();
      double v = magnitude_at_least_one(raw) ? inf : 0.0;
      return make(raw[0] == '-' ? -v : v);
    }
    if (ec != std::errc() || ptr != e) return error(tok.start, "invalid number " + std::string(raw));
    return f32 ? Value::f32(fv) : Value::f64(dv);
  }

  Result<Value> list(TypeRef t, int depth) {
    WITSERVE_ASSIGN_OR_RETURN(Token open, expect(Tok::kLBracket, "a list '[...]' (" + type_name(t) + ")"));
    std::vector<Value> items;
    bool after_comma = false;
    while (true) {
      WITSERVE_ASSIGN_OR_RETURN(const Token* p, peek());
      if (p->kind == Tok::kRBracket && (items.empty() || after_comma)) {
        (void)next();
        break;
      }
      WITSERVE_ASSIGN_OR_RETURN(Value v, value(t->element, depth + 1));
      items.push_back(std::move(v));
      WITSERVE_ASSIGN_OR_RETURN(Token sep, next());
      if (sep.kind == Tok::kRBracket) break;
      if (sep.kind != Tok::kComma) return expected("',' or ']'", sep);
      after_comma = true;
    }
    if (t->fixed_length && items.size() != *t->fixed_length)
      return error(open.start, "expected " + std::to_string(*t->fixed_length) + " elements for " +
                                   type_name(t) + ", found " + std::to_string(items.size()));
    return Value::list(std::move(items));
  }

  Result<Value> tuple(TypeRef t, int depth) {
    WITSERVE_ASSIGN_OR_RETURN(Token open, expect(Tok::kLParen, "a tuple '(...)' (" + type_name(t) + ")"));
    std::vector<Value> items;
    size_t n = t->elements.size();
    bool after_comma = false;
    while (true) {
      WITSERVE_ASSIGN_OR_RETURN(const Token* p, peek());
      if (p->kind == Tok::kRParen && (items.empty() || after_comma)) {
        (void)next();
        break;
      }
      if (items.size() == n)
        return error(p->start, "too many elements: " + type_name(t) + " has " + std::to_string(n));
      WITSERVE_ASSIGN_OR_RETURN(Value v, value(t->elements[items.size()], depth + 1));
      items.push_back(std::move(v));
      WITSERVE_ASSIGN_OR_RETURN(Token sep, next());
      if (sep.kind == Tok::kRParen) break;
      if (sep.kind != Tok::kComma) return expected("',' or ')'", sep);
      after_comma = true;
    }
    if (items.size() != n)
      return error(open.start, "expected " + std::to_string(n) + " elements for " + type_name(t) +
                                   ", found " + std::to_string(items.size()));
    return Value::tuple(std::move(items));
  }

  Result<Value> record(TypeRef t, int depth) {
    WITSERVE_ASSIGN_OR_RETURN(Token open, expect(Tok::kLBrace, "a record '{...}' (" + type_name(t) + ")"));
    std::vector<std::optional<Value>> fields(t->fields.size());
    WITSERVE_ASSIGN_OR_RETURN(const Token* p, peek());
    if (p->kind == Tok::kColon) {
      (void)next();
      WITSERVE_TRY(expect(Tok::kRBrace, "'}' after '{:'"));
    } else if (p->kind == Tok::kRBrace) {
      return error(p->start, "expected a field label (a record with every field omitted is written {:})");
    } else {
      while (true) {
        WITSERVE_ASSIGN_OR_RETURN(Token label, next());
        if (label.kind != Tok::kLabel) return expected("a field label", label);
        size_t i = 0;
        while (i < t->fields.size() && t->fields[i].name != label.raw) ++i;
        if (i == t->fields.size()) {
          std::vector<std::string> names;
          for (const auto& f : t->fields) names.push_back(f.name);
          return error(label.start, "unknown field '" + std::string(label.raw) + "' (the record has " +
                                        join_names(names) + ")");
        }
        if (fields[i]) return error(label.start, "duplicate field '" + t->fields[i].name + "'");
        WITSERVE_TRY(expect(Tok::kColon, "':' after field '" + t->fields[i].name + "'"));
        WITSERVE_ASSIGN_OR_RETURN(Value v, value(t->fields[i].type, depth + 1));
        fields[i] = std::move(v);
        WITSERVE_ASSIGN_OR_RETURN(Token sep, next());
        if (sep.kind == Tok::kRBrace) break;
        if (sep.kind != Tok::kComma) return expected("',' or '}'", sep);
        WITSERVE_ASSIGN_OR_RETURN(const Token* after, peek());
        if (after->kind == Tok::kRBrace) {
          (void)next();
          break;
        }
      }
    }
    std::vector<Value> values;
    for (size_t i = 0; i < fields.size(); ++i) {
      if (fields[i]) {
        values.push_back(std::move(*fields[i]));
      } else if (t->fields[i].type->kind == TypeKind::kOption) {
        values.push_back(Value::none());
      } else {
        return error(open.start, "missing field '" + t->fields[i].name + "'");
      }
    }
    return Value::record(std::move(values));
  }

  // A case label for a variant or enum; keywords must be written with '%'.
  Result<size_t> case_label(TypeRef t, const std::vector<std::string>& names, const Token& label) {
    if (label.kind != Tok::kLabel) return expected("a case of " + type_name(t), label);
    size_t i = 0;
    while (i < names.size() && names[i] != label.raw) ++i;
    if (label.keyword) {
      if (i < names.size())
        return error(label.start, "the case '" + names[i] + "' is a WAVE keyword and must be written %" + names[i]);
      return expected("a case of " + type_name(t), label);
    }
    if (i == names.size())
      return error(label.start, "unknown case '" + std::string(label.raw) + "' (expected one of " +
                                    join_names(names) + ")");
    return i;
  }

  Status no_payload(const std::string& what) {
    WITSERVE_ASSIGN_OR_RETURN(const Token* p, peek());
    if (p->kind == Tok::kLParen) return error(p->start, what + " takes no payload");
    return ok();
  }

  Result<Value> variant(TypeRef t, int depth) {
    WITSERVE_ASSIGN_OR_RETURN(Token label, next());
    std::vector<std::string> names;
    for (const auto& c : t->cases) names.push_back(c.name);
    WITSERVE_ASSIGN_OR_RETURN(size_t i, case_label(t, names, label));
    const VariantCase& c = t->cases[i];
    if (!c.type) {
      WITSERVE_TRY(no_payload("case '" + c.name + "'"));
      return Value::variant(uint32_t(i));
    }
    WITSERVE_TRY(expect(Tok::kLParen, "'(' and the payload of case '" + c.name + "'"));
    WITSERVE_ASSIGN_OR_RETURN(Value v, value(c.type, depth + 1));
    WITSERVE_TRY(expect(Tok::kRParen, "')'"));
    return Value::variant(uint32_t(i), std::move(v));
  }

  Result<Value> enumeration(TypeRef t) {
    WITSERVE_ASSIGN_OR_RETURN(Token label, next());
    WITSERVE_ASSIGN_OR_RETURN(size_t i, case_label(t, t->labels, label));
    WITSERVE_TRY(no_payload("enum case '" + t->labels[i] + "'"));
    return Value::enumeration(uint32_t(i));
  }

  Result<Value> option(TypeRef t, int depth) {
    WITSERVE_ASSIGN_OR_RETURN(const Token* p, peek());
    if (p->kind == Tok::kLabel && p->keyword && p->raw == "none") {
      (void)next();
      WITSERVE_TRY(no_payload("'none'"));
      return Value::none();
    }
    if (p->kind == Tok::kLabel && p->keyword && p->raw == "some") {
      (void)next();
      WITSERVE_TRY(expect(Tok::kLParen, "'(' after 'some'"));
      WITSERVE_ASSIGN_OR_RETURN(Value v, value(t->element, depth + 1));
      WITSERVE_TRY(expect(Tok::kRParen, "')'"));
      return Value::some(std::move(v));
    }
    if (flattenable(t->element)) {
      WITSERVE_ASSIGN_OR_RETURN(Value v, value(t->element, depth + 1));
      return Value::some(std::move(v));
    }
    return expected("some(...) or none (" + type_name(t) + ")", *p);
  }

  Result<Value> result(TypeRef t, int depth) {
    TypeRef ok_type = t->cases.size() > 0 ? t->cases[0].type : nullptr;
    TypeRef err_type = t->cases.size() > 1 ? t->cases[1].type : nullptr;
    WITSERVE_ASSIGN_OR_RETURN(const Token* p, peek());
    if (p->kind == Tok::kLabel && p->keyword && (p->raw == "ok" || p->raw == "err")) {
      bool is_ok = p->raw == "ok";
      std::string name(p->raw);
      (void)next();
      TypeRef pt = is_ok ? ok_type : err_type;
      std::optional<Value> payload;
      if (pt) {
        WITSERVE_TRY(expect(Tok::kLParen, "'(' and the payload of '" + name + "' (" + type_name(t) + ")"));
        WITSERVE_ASSIGN_OR_RETURN(Value v, value(pt, depth + 1));
        WITSERVE_TRY(expect(Tok::kRParen, "')'"));
        payload = std::move(v);
      } else {
        WITSERVE_TRY(no_payload("'" + name + "' of " + type_name(t)));
      }
      return is_ok ? Value::ok(std::move(payload)) : Value::err(std::move(payload));
    }
    if (ok_type && flattenable(ok_type)) {
      WITSERVE_ASSIGN_OR_RETURN(Value v, value(ok_type, depth + 1));
      return Value::ok(std::move(v));
    }
    return expected("ok or err (" + type_name(t) + ")", *p);
  }

  Result<Value> flags(TypeRef t) {
    WITSERVE_TRY(expect(Tok::kLBrace, "flags '{...}' (" + type_name(t) + ")"));
    uint32_t bits = 0;
    WITSERVE_ASSIGN_OR_RETURN(const Token* p, peek());
    if (p->kind == Tok::kRBrace) {
      (void)next();
      return Value::flags(0);
    }
    while (true) {
      WITSERVE_ASSIGN_OR_RETURN(Token label, next());
      if (label.kind != Tok::kLabel) return expected("a flag label or '}'", label);
      size_t i = 0;
      while (i < t->labels.size() && t->labels[i] != label.raw) ++i;
      if (i == t->labels.size())
        return error(label.start, "unknown flag '" + std::string(label.raw) + "' (expected one of " +
                                      join_names(t->labels) + ")");
      if (i >= 32) return error(label.start, "flag '" + t->labels[i] + "' is beyond the 32 flags supported");
      if (bits & (uint32_t(1) << i)) return error(label.start, "duplicate flag '" + t->labels[i] + "'");
      bits |= uint32_t(1) << i;
      WITSERVE_ASSIGN_OR_RETURN(Token sep, next());
      if (sep.kind == Tok::kRBrace) break;
      if (sep.kind != Tok::kComma) return expected("',' or '}'", sep);
      WITSERVE_ASSIGN_OR_RETURN(const Token* after, peek());
      if (after->kind == Tok::kRBrace) {
        (void)next();
        break;
      }
    }
    return Value::flags(bits);
  }

  std::string_view src_;
  size_t pos_ = 0;
  std::optional<Token> peeked_;
};

// ---------------------------------------------------------------------------------------------
// Printer

void print_float(std::string& out, double d, bool f32) {
  if (std::isnan(d)) { out += "nan"; return; }
  if (std::isinf(d)) { out += d < 0 ? "-inf" : "inf"; return; }
  char buf[64];
  auto r = f32 ? std::to_chars(buf, buf + sizeof buf, float(d)) : std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, r.ptr);
  // "1e-07" -> "1e-7": WAVE's exponent is an unsigned integer without leading zeros.
  size_t e = s.find('e');
  if (e != std::string::npos) {
    size_t digits = e + 1;
    if (digits < s.size() && (s[digits] == '+' || s[digits] == '-')) ++digits;
    while (digits + 1 < s.size() && s[digits] == '0') s.erase(digits, 1);
  }
  out += s;
}

void print_char(std::string& out, char32_t c, char quote) {
  switch (c) {
    case '\\': out += "\\\\"; return;
    case '\t': out += "\\t"; return;
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    default: break;
  }
  if (c == char32_t(quote)) {
    out += '\\';
    out += quote;
  } else if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || !is_unicode_scalar(c)) {
    out += "\\u{" + hex(uint32_t(c)) + "}";
  } else {
    append_utf8(out, c);
  }
}

void print_label(std::string& out, const std::string& label, bool escape_keyword) {
  if (escape_keyword && is_keyword(label)) out += '%';
  out += label;
}

void print_value(std::string& out, const Value& v, TypeRef t) {
  if (!t) { out += "<no type>"; return; }
  if (v.kind() != t->kind) { out += "<not a " + type_name(t) + ">"; return; }
  const auto& items = v.items();
  auto payload = [&](const Value* p, TypeRef pt) {
    if (p && pt) {
      out += '(';
      print_value(out, *p, pt);
      out += ')';
    }
  };
  switch (t->kind) {
    case TypeKind::kBool: out += v.as_bool() ? "true" : "false"; return;
    case TypeKind::kS8: case TypeKind::kS16: case TypeKind::kS32: case TypeKind::kS64:
      out += std::to_string(v.as_signed());
      return;
    case TypeKind::kU8: case TypeKind::kU16: case TypeKind::kU32: case TypeKind::kU64:
      out += std::to_string(v.as_unsigned());
      return;
    case TypeKind::kF32: print_float(out, v.as_float(), true); return;
    case TypeKind::kF64: print_float(out, v.as_float(), false); return;
    case TypeKind::kChar:
      out += '\'';
      print_char(out, v.as_char(), '\'');
      out += '\'';
      return;
    case TypeKind::kString: {
      const std::string& s = v.as_string();
      out += '"';
      for (size_t i = 0; i < s.size();) {
        char32_t c;
        size_t n = decode_utf8(s, i, &c);
        if (n == 0) {  // not UTF-8: show the replacement character
          c = 0xFFFD;
          n = 1;
        }
        print_char(out, c, '"');
        i += n;
      }
      out += '"';
      return;
    }
    case TypeKind::kList:
      out += '[';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += ", ";
        print_value(out, items[i], t->element);
      }
      out += ']';
      return;
    case TypeKind::kTuple:
      out += '(';
      for (size_t i = 0; i < items.size() && i < t->elements.size(); ++i) {
        if (i) out += ", ";
        print_value(out, items[i], t->elements[i]);
      }
      out += ')';
      return;
    case TypeKind::kRecord: {
      out += '{';
      bool any = false;
      for (size_t i = 0; i < items.size() && i < t->fields.size(); ++i) {
        const Value& f = items[i];
        if (f.kind() == TypeKind::kOption && t->fields[i].type->kind == TypeKind::kOption &&
            f.case_index() == 0)
          continue;  // none fields are omitted
        if (any) out += ", ";
        any = true;
        print_label(out, t->fields[i].name, false);
        out += ": ";
        print_value(out, f, t->fields[i].type);
      }
      if (!any) out += ':';
      out += '}';
      return;
    }
    case TypeKind::kVariant: {
      if (v.case_index() >= t->cases.size()) { out += "<bad case>"; return; }
      const VariantCase& c = t->cases[v.case_index()];
      print_label(out, c.name, true);
      payload(v.payload(), c.type);
      return;
    }
    case TypeKind::kEnum:
      if (v.case_index() >= t->labels.size()) { out += "<bad case>"; return; }
      print_label(out, t->labels[v.case_index()], true);
      return;
    case TypeKind::kOption:
      if (v.case_index() == 0 || !v.payload()) {
        out += "none";
      } else {
        out += "some";
        payload(v.payload(), t->element);
      }
      return;
    case TypeKind::kResult: {
      bool is_ok = v.case_index() == 0;
      out += is_ok ? "ok" : "err";
      size_t ci = is_ok ? 0 : 1;
      payload(v.payload(), ci < t->cases.size() ? t->cases[ci].type : nullptr);
      return;
    }
    case TypeKind::kFlags: {
      out += '{';
      bool any = false;
      for (size_t i = 0; i < t->labels.size() && i < 32; ++i) {
        if (!(v.flag_bits() & (uint32_t(1) << i))) continue;
        if (any) out += ", ";
        any = true;
        print_label(out, t->labels[i], false);
      }
      out += '}';
      return;
    }
    case TypeKind::kOwn: out += "<own " + std::to_string(v.handle()) + ">"; return;
    case TypeKind::kBorrow: out += "<borrow " + std::to_string(v.handle()) + ">"; return;
    default: out += "<" + type_name(t) + ">"; return;
  }
}

}  // namespace

Result<Value> parse_wave(std::string_view text, TypeRef type) {
  if (!type) return Error(ErrorKind::kInvalidArgument, "parse_wave: no type given");
  if (const char* k = unsupported_kind(type))
    return Error(ErrorKind::kUnsupported, std::string("WAVE cannot represent ") + k + " values (in type " +
                                              type_name(type) + ")");
  return Parser(text).parse(type);
}

std::string print_wave(const Value& v, TypeRef type) {
  std::string out;
  print_value(out, v, type);
  return out;
}

}  // namespace witserve::component
