// WAVE reader and printer tests: round trips for every supported kind, exact printed text, the
// forms the spec accepts, errors that name the column, and a no-crash check on random input.
#include "witserve/component/wave.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace witserve::component {
namespace {

// Builds types the way the resolver does (resolver.cc type_def).
class Types {
 public:
  TypeRef prim(TypeKind k) { return arena_.primitive(k); }
  TypeRef list(TypeRef e, std::optional<uint32_t> n = std::nullopt) {
    ValueType t;
    t.kind = TypeKind::kList;
    t.element = e;
    t.fixed_length = n;
    return arena_.add(std::move(t));
  }
  TypeRef tuple(std::vector<TypeRef> es) {
    ValueType t;
    t.kind = TypeKind::kTuple;
    t.elements = std::move(es);
    return arena_.add(std::move(t));
  }
  TypeRef record(std::vector<Field> fs) {
    ValueType t;
    t.kind = TypeKind::kRecord;
    t.fields = std::move(fs);
    return arena_.add(std::move(t));
  }
  TypeRef variant(std::vector<VariantCase> cs) {
    ValueType t;
    t.kind = TypeKind::kVariant;
    t.cases = std::move(cs);
    return arena_.add(std::move(t));
  }
  TypeRef enumeration(std::vector<std::string> ls) {
    ValueType t;
    t.kind = TypeKind::kEnum;
    t.labels = std::move(ls);
    return arena_.add(std::move(t));
  }
  TypeRef flags(std::vector<std::string> ls) {
    ValueType t;
    t.kind = TypeKind::kFlags;
    t.labels = std::move(ls);
    return arena_.add(std::move(t));
  }
  TypeRef option(TypeRef e) {
    ValueType t;
    t.kind = TypeKind::kOption;
    t.element = e;
    t.cases = {{"none", nullptr}, {"some", e}};
    return arena_.add(std::move(t));
  }
  TypeRef result(TypeRef ok, TypeRef err) {
    ValueType t;
    t.kind = TypeKind::kResult;
    t.cases = {{"ok", ok}, {"error", err}};
    return arena_.add(std::move(t));
  }
  TypeRef own() {
    ValueType t;
    t.kind = TypeKind::kOwn;
    t.resource = arena_.new_resource("r", true);
    return arena_.add(std::move(t));
  }

 private:
  TypeArena arena_;
};

class WaveTest : public ::testing::Test {
 protected:
  WaveTest() {
    u8 = ty.prim(TypeKind::kU8);
    u32 = ty.prim(TypeKind::kU32);
    s8 = ty.prim(TypeKind::kS8);
    f32 = ty.prim(TypeKind::kF32);
    f64 = ty.prim(TypeKind::kF64);
    str = ty.prim(TypeKind::kString);
    chr = ty.prim(TypeKind::kChar);
    boolean = ty.prim(TypeKind::kBool);
  }

  // print -> parse gives the value back, and printing that again gives the same text.
  void round_trip(const Value& v, TypeRef t) {
    ASSERT_TRUE(check_value(v, t).ok()) << "test value does not fit " << to_string(t);
    std::string text = print_wave(v, t);
    auto back = parse_wave(text, t);
    ASSERT_TRUE(back.ok()) << to_string(t) << ": " << text << ": " << back.error().message();
    EXPECT_TRUE(*back == v) << to_string(t) << ": " << text << " -> " << print_wave(*back, t);
    EXPECT_EQ(print_wave(*back, t), text);
  }

  Value parse_ok(std::string_view text, TypeRef t) {
    auto r = parse_wave(text, t);
    EXPECT_TRUE(r.ok()) << text << ": " << r.error().message();
    return r.ok() ? *r : Value();
  }

  Types ty;
  TypeRef u8, u32, s8, f32, f64, str, chr, boolean;
};

TEST_F(WaveTest, RoundTripsPrimitives) {
  round_trip(Value::boolean(true), boolean);
  round_trip(Value::boolean(false), boolean);
  round_trip(Value::s8(-128), s8);
  round_trip(Value::s8(127), s8);
  round_trip(Value::u8(255), u8);
  round_trip(Value::u8(0), u8);
  round_trip(Value::s16(-32768), ty.prim(TypeKind::kS16));
  round_trip(Value::u16(65535), ty.prim(TypeKind::kU16));
  round_trip(Value::s32(INT32_MIN), ty.prim(TypeKind::kS32));
  round_trip(Value::u32(UINT32_MAX), u32);
  round_trip(Value::s64(INT64_MIN), ty.prim(TypeKind::kS64));
  round_trip(Value::s64(INT64_MAX), ty.prim(TypeKind::kS64));
  round_trip(Value::u64(UINT64_MAX), ty.prim(TypeKind::kU64));

  for (float f : {0.0f, -0.0f, 0.1f, 1.0f / 3, 3.4028235e38f, -3.4028235e38f, 1e-45f, 1.17549435e-38f,
                  16777217.0f, 1e10f, std::numeric_limits<float>::infinity(),
                  -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()})
    round_trip(Value::f32(f), f32);
  for (double d : {0.0, -0.0, 0.1, 1.0 / 3, M_PI, 1e300, -1e-300, 5e-324, 1.7976931348623157e308,
                   9007199254740993.0, 123456789012345678.0, 1e-7, 1e21,
                   std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                   std::numeric_limits<double>::quiet_NaN()})
    round_trip(Value::f64(d), f64);
  // -0 keeps its sign.
  auto neg_zero = parse_ok(print_wave(Value::f64(-0.0), f64), f64);
  EXPECT_TRUE(std::signbit(neg_zero.as_float()));

  for (char32_t c : {U'a', U'\'', U'"', U'\\', U'\n', U'\t', U'\r', U'\0', U'\x01', U'\x7f', U'\x85',
                     U'☃', U'🌊', U'\U0010FFFF', U'\uFFFD'})
    round_trip(Value::character(c), chr);

  for (std::string s : {std::string(""), std::string("hello"), std::string("quote \" and 'apostrophe'"),
                        std::string("back\\slash"), std::string("tab\tnewline\ncr\r"),
                        std::string("nul\0and\x01\x1f\x7f", 11), std::string("WAVE🌊 ☃"),
                        std::string("\"\"\""), std::string("// not a comment"),
                        std::string("\xc2\x85 next line")})
    round_trip(Value::string(s), str);
}

TEST_F(WaveTest, RoundTripsCompoundKinds) {
  // A record with a list of string tuples, like an HTTP request.
  TypeRef headers = ty.list(ty.tuple({str, str}));
  TypeRef request = ty.record({{"method", str}, {"path", str}, {"headers", headers}, {"body", ty.list(u8)}});
  round_trip(Value::record({Value::string("GET"), Value::string("/"),
                            Value::list({Value::tuple({Value::string("a"), Value::string("b")}),
                                         Value::tuple({Value::string("content-type"), Value::string("text/plain")})}),
                            Value::list({Value::u8(104), Value::u8(105)})}),
             request);
  round_trip(Value::record({Value::string(""), Value::string(""), Value::list({}), Value::list({})}), request);

  // A variant with a record payload, a payload-less case and keyword-named cases.
  TypeRef point = ty.record({{"x", s8}, {"y", s8}});
  TypeRef shape = ty.variant({{"point", point}, {"empty", nullptr}, {"ok", str}, {"none", nullptr},
                              {"nested", ty.list(point)}});
  round_trip(Value::variant(0, Value::record({Value::s8(-1), Value::s8(2)})), shape);
  round_trip(Value::variant(1), shape);
  round_trip(Value::variant(2, Value::string("fine")), shape);
  round_trip(Value::variant(3), shape);
  round_trip(Value::variant(4, Value::list({Value::record({Value::s8(0), Value::s8(0)})})), shape);

  // Enums, including keyword cases.
  TypeRef e = ty.enumeration({"north", "south", "true", "nan", "inf", "err", "HTTP3", "two-words"});
  for (uint32_t i = 0; i < 8; ++i) round_trip(Value::enumeration(i), e);

  // option<option<u8>>: every level stays distinguishable.
  TypeRef oo = ty.option(ty.option(u8));
  round_trip(Value::none(), oo);
  round_trip(Value::some(Value::none()), oo);
  round_trip(Value::some(Value::some(Value::u8(7))), oo);
  TypeRef os = ty.option(str);
  round_trip(Value::none(), os);
  round_trip(Value::some(Value::string("none")), os);

  // Results of every shape.
  TypeRef r_err = ty.result(nullptr, str);
  round_trip(Value::ok(), r_err);
  round_trip(Value::err(Value::string("oops")), r_err);
  TypeRef r_both = ty.result(u8, str);
  round_trip(Value::ok(Value::u8(1)), r_both);
  round_trip(Value::err(Value::string("e")), r_both);
  TypeRef r_none = ty.result(nullptr, nullptr);
  round_trip(Value::ok(), r_none);
  round_trip(Value::err(), r_none);
  TypeRef r_nested = ty.result(ty.option(u8), ty.result(u8, nullptr));
  round_trip(Value::ok(Value::none()), r_nested);
  round_trip(Value::err(Value::err()), r_nested);
  round_trip(Value::err(Value::ok(Value::u8(3))), r_nested);

  // Flags with 3 and 32 labels.
  TypeRef perms = ty.flags({"read", "write", "exec"});
  for (uint32_t bits = 0; bits < 8; ++bits) round_trip(Value::flags(bits), perms);
  std::vector<std::string> labels;
  for (int i = 0; i < 32; ++i) labels.push_back("f" + std::to_string(i));
  labels[5] = "none";  // keywords are fine as flag labels
  TypeRef many = ty.flags(labels);
  for (uint32_t bits : {0u, 1u, 0x80000000u, 0xFFFFFFFFu, 0xA5A5A5A5u, 0x20u})
    round_trip(Value::flags(bits), many);

  // Tuples and fixed-length lists.
  TypeRef t3 = ty.tuple({u8, str, ty.option(chr)});
  round_trip(Value::tuple({Value::u8(1), Value::string("x"), Value::some(Value::character(U'y'))}), t3);
  round_trip(Value::tuple({Value::u8(1)}), ty.tuple({u8}));
  TypeRef fixed = ty.list(f32, 3);
  round_trip(Value::list({Value::f32(1.5f), Value::f32(-2), Value::f32(0)}), fixed);

  // Records with optional fields (omitted when none) and keyword field names.
  TypeRef opt_rec = ty.record({{"required", u8}, {"optional", ty.option(u8)}});
  round_trip(Value::record({Value::u8(1), Value::none()}), opt_rec);
  round_trip(Value::record({Value::u8(1), Value::some(Value::u8(2))}), opt_rec);
  TypeRef all_opt = ty.record({{"a", ty.option(u8)}, {"b", ty.option(u8)}});
  round_trip(Value::record({Value::none(), Value::none()}), all_opt);
  round_trip(Value::record({Value::none(), Value::some(Value::u8(2))}), all_opt);
  TypeRef kw = ty.record({{"true", boolean}, {"some", ty.option(u8)}, {"ok", r_none}, {"nan", f32}});
  round_trip(Value::record({Value::boolean(true), Value::some(Value::u8(1)), Value::ok(),
                            Value::f32(std::nanf(""))}),
             kw);

  // Deep but legal nesting.
  TypeRef deep = u8;
  Value dv = Value::u8(9);
  for (int i = 0; i < 40; ++i) {
    deep = ty.list(deep);
    dv = Value::list({dv});
  }
  round_trip(dv, deep);
}

TEST_F(WaveTest, PrintsCanonicalText) {
  TypeRef request = ty.record({{"method", str}, {"path", str}, {"headers", ty.list(ty.tuple({str, str}))},
                               {"body", ty.list(u8)}});
  EXPECT_EQ(print_wave(Value::record({Value::string("GET"), Value::string("/"),
                                      Value::list({Value::tuple({Value::string("a"), Value::string("b")})}),
                                      Value::list({Value::u8(104), Value::u8(105)})}),
                       request),
            R"({method: "GET", path: "/", headers: [("a", "b")], body: [104, 105]})");

  EXPECT_EQ(print_wave(Value::s8(-9), s8), "-9");
  EXPECT_EQ(print_wave(Value::f64(3.14), f64), "3.14");
  EXPECT_EQ(print_wave(Value::f32(0.1f), f32), "0.1");
  EXPECT_EQ(print_wave(Value::f64(std::nan("")), f64), "nan");
  EXPECT_EQ(print_wave(Value::f32(-std::numeric_limits<float>::infinity()), f32), "-inf");
  EXPECT_EQ(print_wave(Value::f64(std::numeric_limits<double>::infinity()), f64), "inf");
  EXPECT_EQ(print_wave(Value::f64(1e-7), f64), "1e-7");
  EXPECT_EQ(print_wave(Value::boolean(false), boolean), "false");
  EXPECT_EQ(print_wave(Value::character(U'x'), chr), "'x'");
  EXPECT_EQ(print_wave(Value::character(U'\''), chr), R"('\'')");
  EXPECT_EQ(print_wave(Value::character(U'\n'), chr), R"('\n')");
  EXPECT_EQ(print_wave(Value::character(U'☃'), chr), "'☃'");
  EXPECT_EQ(print_wave(Value::string("a\"b\\c\n\t\x01"), str), R"("a\"b\\c\n\t\u{1}")");
  EXPECT_EQ(print_wave(Value::string("it's"), str), R"("it's")");
  EXPECT_EQ(print_wave(Value::tuple({Value::u8(123), Value::string("abc")}), ty.tuple({u8, str})), R"((123, "abc"))");
  EXPECT_EQ(print_wave(Value::list({}), ty.list(chr)), "[]");

  TypeRef response = ty.variant({{"empty", nullptr}, {"body", ty.list(u8)}, {"err", str}});
  EXPECT_EQ(print_wave(Value::variant(0), response), "empty");
  EXPECT_EQ(print_wave(Value::variant(1, Value::list({Value::u8(79), Value::u8(75)})), response), "body([79, 75])");
  EXPECT_EQ(print_wave(Value::variant(2, Value::string("oops")), response), R"(%err("oops"))");
  TypeRef status = ty.enumeration({"ok", "not-found"});
  EXPECT_EQ(print_wave(Value::enumeration(0), status), "%ok");
  EXPECT_EQ(print_wave(Value::enumeration(1), status), "not-found");

  EXPECT_EQ(print_wave(Value::some(Value::some(Value::u8(5))), ty.option(ty.option(u8))), "some(some(5))");
  EXPECT_EQ(print_wave(Value::none(), ty.option(u8)), "none");
  EXPECT_EQ(print_wave(Value::ok(), ty.result(nullptr, str)), "ok");
  EXPECT_EQ(print_wave(Value::err(Value::string("oops")), ty.result(nullptr, str)), R"(err("oops"))");
  EXPECT_EQ(print_wave(Value::ok(Value::u8(1)), ty.result(u8, nullptr)), "ok(1)");
  EXPECT_EQ(print_wave(Value::err(), ty.result(u8, nullptr)), "err");

  TypeRef perms = ty.flags({"read", "write", "exec"});
  EXPECT_EQ(print_wave(Value::flags(0b101), perms), "{read, exec}");
  EXPECT_EQ(print_wave(Value::flags(0), perms), "{}");

  TypeRef example = ty.record({{"must-have", u8}, {"optional", ty.option(u8)}});
  EXPECT_EQ(print_wave(Value::record({Value::u8(123), Value::none()}), example), "{must-have: 123}");
  EXPECT_EQ(print_wave(Value::record({Value::u8(123), Value::some(Value::u8(1))}), example),
            "{must-have: 123, optional: some(1)}");
  TypeRef all_opt = ty.record({{"optional", ty.option(u8)}});
  EXPECT_EQ(print_wave(Value::record({Value::none()}), all_opt), "{:}");
}

TEST_F(WaveTest, AcceptsTheSpecsForms) {
  // Whitespace, comments and trailing commas.
  TypeRef basic = ty.record({{"required", u8}, {"optional", ty.option(u8)}});
  Value want = Value::record({Value::u8(1), Value::some(Value::u8(1))});
  EXPECT_EQ(parse_ok("basic-record", ty.enumeration({"basic-record"})), Value::enumeration(0));
  EXPECT_EQ(parse_ok("  {                 // comment\n"
                     "    required: 1,    // comment\n"
                     "    optional: some( // comment\n"
                     "      1             // comment\n"
                     "    ),              // comment\n"
                     "  }                 // comment",
                     basic),
            want);
  EXPECT_EQ(parse_ok("{optional:some(1),required:1,}", basic), want);
  EXPECT_EQ(parse_ok("{ %required: 1, %optional: 1 }", basic), want);  // flat some, %-labels
  EXPECT_EQ(parse_ok("{required: 1}", basic), Value::record({Value::u8(1), Value::none()}));
  EXPECT_EQ(parse_ok("{required: 1, optional: none,}", basic), Value::record({Value::u8(1), Value::none()}));
  TypeRef all_opt = ty.record({{"a", ty.option(u8)}, {"b", ty.option(u8)}});
  EXPECT_EQ(parse_ok("{ : }", all_opt), Value::record({Value::none(), Value::none()}));
  EXPECT_EQ(parse_ok("{b: 2}", all_opt), Value::record({Value::none(), Value::some(Value::u8(2))}));

  EXPECT_EQ(parse_ok("[1, 2, 3,]", ty.list(u8)), Value::list({Value::u8(1), Value::u8(2), Value::u8(3)}));
  EXPECT_EQ(parse_ok("[ ]", ty.list(u8)), Value::list({}));
  EXPECT_EQ(parse_ok("(123, \"abc\",)", ty.tuple({u8, str})), Value::tuple({Value::u8(123), Value::string("abc")}));
  EXPECT_EQ(parse_ok("-0", s8), Value::s8(0));

  // Floats.
  EXPECT_EQ(parse_ok("6.022e+23", f64), Value::f64(6.022e23));
  EXPECT_EQ(parse_ok("-3.1415", f32), Value::f32(-3.1415f));
  EXPECT_EQ(parse_ok("0.000e100", f32), Value::f32(0));
  EXPECT_EQ(parse_ok("123", f64), Value::f64(123));
  EXPECT_TRUE(std::isnan(parse_ok("nan", f64).as_float()));
  EXPECT_EQ(parse_ok("-inf", f32), Value::f32(-std::numeric_limits<float>::infinity()));
  EXPECT_EQ(parse_ok("inf", f64), Value::f64(std::numeric_limits<double>::infinity()));
  EXPECT_EQ(parse_ok("3.4028234664e39", f32), Value::f32(std::numeric_limits<float>::infinity()));
  EXPECT_EQ(parse_ok("-1e400", f64), Value::f64(-std::numeric_limits<double>::infinity()));
  EXPECT_EQ(parse_ok("1.4012984643e-45", f32), Value::f32(1e-45f));
  EXPECT_EQ(parse_ok("1.4012984643e-46", f32), Value::f32(0));
  EXPECT_TRUE(std::signbit(parse_ok("-0.0e-0", f64).as_float()));

  // Chars and strings.
  EXPECT_EQ(parse_ok("'🌊'", chr), Value::character(U'🌊'));
  EXPECT_EQ(parse_ok(R"('\u{0}')", chr), Value::character(0));
  EXPECT_EQ(parse_ok(R"('\u{000078}')", chr), Value::character(U'x'));
  EXPECT_EQ(parse_ok(R"('"')", chr), Value::character(U'"'));
  EXPECT_EQ(parse_ok(R"('\"')", chr), Value::character(U'"'));
  EXPECT_EQ(parse_ok(R"("\\\'\"\t\n\r")", str), Value::string("\\'\"\t\n\r"));
  EXPECT_EQ(parse_ok(R"("'\'\u{27}")", str), Value::string("'''"));
  EXPECT_EQ(parse_ok(R"("☃\u{2603}\u{002603}")", str), Value::string("☃☃☃"));

  // Multiline strings (the README's examples).
  EXPECT_EQ(parse_ok("\"\"\"\n\"\"\"", str), Value::string(""));
  EXPECT_EQ(parse_ok("\"\"\"\nA single line\n\"\"\"", str), Value::string("A single line"));
  EXPECT_EQ(parse_ok("\"\"\"\n    Indentation determined\n      by ending delimiter\n  \"\"\"", str),
            Value::string("  Indentation determined\n    by ending delimiter"));
  EXPECT_EQ(parse_ok("\"\"\"\n  Must escape carriage return at end of line: \\r\n"
                     "  Must break up double quote triplets: \"\"\\\"\"\n  \"\"\"",
                     str),
            Value::string("Must escape carriage return at end of line: \r\n"
                          "Must break up double quote triplets: \"\"\"\""));
  EXPECT_EQ(parse_ok("\"\"\"\r\n\r\n  x\r\n\r\n\"\"\"", str), Value::string("\n  x\n"));

  // Options and results: explicit and flat forms.
  TypeRef ou8 = ty.option(u8);
  EXPECT_EQ(parse_ok("123", ou8), Value::some(Value::u8(123)));
  EXPECT_EQ(parse_ok("some (123)", ou8), Value::some(Value::u8(123)));
  EXPECT_EQ(parse_ok("none", ou8), Value::none());
  EXPECT_EQ(parse_ok("\"flat some\"", ty.option(str)), Value::some(Value::string("flat some")));
  TypeRef oo = ty.option(ty.option(u8));
  EXPECT_EQ(parse_ok("some(5)", oo), Value::some(Value::some(Value::u8(5))));
  EXPECT_EQ(parse_ok("some(none)", oo), Value::some(Value::none()));
  TypeRef ru8 = ty.result(u8, nullptr);
  EXPECT_EQ(parse_ok("123", ru8), Value::ok(Value::u8(123)));
  EXPECT_EQ(parse_ok("ok(123)", ru8), Value::ok(Value::u8(123)));
  EXPECT_EQ(parse_ok("err", ru8), Value::err());
  EXPECT_EQ(parse_ok("ok", ty.result(nullptr, str)), Value::ok());
  EXPECT_EQ(parse_ok("err(\"oops\")", ty.result(nullptr, str)), Value::err(Value::string("oops")));

  // Variants, enums and flags.
  TypeRef response = ty.variant({{"empty", nullptr}, {"body", ty.list(u8)}, {"err", str}});
  EXPECT_EQ(parse_ok("%empty", response), Value::variant(0));
  EXPECT_EQ(parse_ok("body ( [79, 75] )", response), Value::variant(1, Value::list({Value::u8(79), Value::u8(75)})));
  EXPECT_EQ(parse_ok("%err(\"oops\")", response), Value::variant(2, Value::string("oops")));
  TypeRef perms = ty.flags({"read", "write", "exec"});
  EXPECT_EQ(parse_ok("{write, read,}", perms), Value::flags(0b011));
  EXPECT_EQ(parse_ok("{ }", perms), Value::flags(0));
  EXPECT_EQ(parse_ok("{%exec}", perms), Value::flags(0b100));
  EXPECT_EQ(parse_ok("{A-b, HTTP3}", ty.flags({"HTTP3", "A-b"})), Value::flags(0b11));
}

struct BadCase {
  TypeRef type;
  std::string text;
  std::string message_part;
};

TEST_F(WaveTest, RejectsBadInputNamingTheColumn) {
  TypeRef basic = ty.record({{"required", u8}, {"optional", ty.option(u8)}});
  TypeRef perms = ty.flags({"read", "write"});
  TypeRef keyword_enum = ty.enumeration({"true", "none", "ok"});
  TypeRef response = ty.variant({{"empty", nullptr}, {"body", ty.list(u8)}});
  TypeRef deep = u8;
  for (int i = 0; i < 150; ++i) deep = ty.list(deep);
  std::vector<BadCase> cases = {
      // Wrong type.
      {u8, "\"1\"", "at column 1: expected an integer (u8), found a string"},
      {str, "[1]", "at column 1: expected a string, found '['"},
      {boolean, "1", "at column 1: expected a bool (true or false), found the number 1"},
      {ty.list(u8), "[1, \"x\"]", "at column 5: expected an integer (u8), found a string"},
      {u8, "1.5", "at column 1: expected an integer (u8), found the number 1.5"},
      {u8, "1e3", "at column 1: expected an integer"},
      {f32, "-nan", "at column 1: invalid number '-nan'"},
      {f32, "NaN", "at column 1: invalid label 'NaN'"},
      {f32, "INF", "at column 1: expected a number (f32), found the label 'INF'"},
      {f64, "infinity", "at column 1: expected a number (f64), found the label 'infinity'"},
      {u8, "", "at column 1: expected an integer (u8), found end of input"},
      {u8, "01", "at column 1: invalid number '01'"},
      // Integer ranges.
      {u8, "256", "at column 1: 256 is out of range for u8 (0 to 255)"},
      {u32, "-1", "at column 1: -1 is out of range for u32"},
      {u32, "-0", "at column 1: expected an unsigned integer"},
      {s8, "128", "128 is out of range for s8 (-128 to 127)"},
      {s8, " -129", "at column 2: -129 is out of range for s8"},
      {ty.prim(TypeKind::kU64), "18446744073709551616", "out of range for u64"},
      {ty.prim(TypeKind::kS64), "-9223372036854775809", "out of range for s64"},
      // Records.
      {basic, "{required: 1, extra: 2}", "at column 15: unknown field 'extra'"},
      {basic, "{optional: 1}", "at column 1: missing field 'required'"},
      {basic, "{required: 1, required: 2}", "at column 15: duplicate field 'required'"},
      {basic, "{required: 1 optional: 2}", "at column 14: expected ',' or '}', found the label 'optional'"},
      {basic, "{required 1}", "at column 11: expected ':' after field 'required'"},
      {basic, "{required: 0,, }", "at column 14: expected a field label, found ','"},
      {ty.record({{"a", ty.option(u8)}}), "{}", "at column 2: expected a field label (a record with every field omitted is written {:})"},
      // Variants, enums, options, results.
      {response, "full", "at column 1: unknown case 'full'"},
      {response, "body", "at column 5: expected '(' and the payload of case 'body'"},
      {response, "empty(1)", "at column 6: case 'empty' takes no payload"},
      {keyword_enum, "true", "at column 1: the case 'true' is a WAVE keyword and must be written %true"},
      {keyword_enum, "some", "at column 1: expected a case of enum"},
      {ty.option(u8), "some", "at column 5: expected '(' after 'some'"},
      {ty.option(u8), "some()", "at column 6: expected an integer (u8), found ')'"},
      {ty.option(u8), "none(0)", "at column 5: 'none' takes no payload"},
      {ty.option(u8), "some(some(0))", "at column 6: expected an integer (u8), found the keyword 'some'"},
      {ty.option(ty.option(u8)), "5", "at column 1: expected some(...) or none"},
      {ty.result(u8, nullptr), "ok", "at column 3: expected '(' and the payload of 'ok'"},
      {ty.result(u8, nullptr), "err(0)", "at column 4: 'err' of result<u8> takes no payload"},
      {ty.result(nullptr, str), "\"x\"", "at column 1: expected ok or err"},
      // Flags.
      {perms, "{read, execute}", "at column 8: unknown flag 'execute'"},
      {perms, "{read, read}", "at column 8: duplicate flag 'read'"},
      {perms, "{:}", "at column 2: expected a flag label or '}', found ':'"},
      // Lists and tuples.
      {ty.list(u8), "[1,,]", "at column 4: expected an integer (u8), found ','"},
      {ty.list(u8), "[1 2]", "at column 4: expected ',' or ']', found the number 2"},
      {ty.list(u8, 3), "[1, 2]", "at column 1: expected 3 elements for list<u8, 3>, found 2"},
      {ty.tuple({u8, u8}), "(1)", "at column 1: expected 2 elements for tuple<u8, u8>, found 1"},
      {ty.tuple({u8}), "(1, 2)", "at column 5: too many elements"},
      // Chars and strings.
      {chr, "''", "at column 1: empty char literal"},
      {chr, "'ab'", "at column 1: a char literal holds exactly one character"},
      {chr, "'a", "at column 1: unterminated char literal"},
      {chr, R"('\z')", "at column 2: invalid escape '\\z'"},
      {chr, R"('\u{110000}')", "at column 2: invalid escape: \\u{110000} is not a Unicode scalar value"},
      {str, R"("x\u{d800}")", "at column 3: invalid escape: \\u{d800} is not a Unicode scalar value"},
      {str, R"("\u{1234567}")", "at column 2: invalid escape: \\u{...} takes 1 to 6 hex digits"},
      {str, R"("\u{}")", "at column 2: invalid escape"},
      {str, R"("\u1f")", "at column 2: invalid escape: \\u must be followed by {hex digits}"},
      {str, R"("\u{1f")", "at column 2: invalid escape"},
      {str, "\"abc", "at column 1: unterminated string"},
      {str, "\"ab\ncd\"", "at column 1: unterminated string"},
      {str, "\"\"\"\"\"\"", "at column 4: the opening \"\"\" of a multiline string must be followed by a line break"},
      {str, "\"\"\"\nabc\nx\"\"\"", "at line 3, column 2: the closing \"\"\" of a multiline string must be on its own line"},
      // `"""` ends the string wherever it is: here an empty string, then an unterminated one.
      {str, "\"\"\"\n  \"\"\"\n  \"\"\"", "at line 3, column 3: unterminated multiline string"},
      {str, "\"\"\"\n  Between \"\"\" words\n  \"\"\"", "at line 2, column 11: the closing \"\"\" of a multiline string must be on its own line"},
      {str, "\"\"\"\na\n  \"\"\"", "at line 2, column 1: each line of a multiline string must be indented"},
      {str, "\"\"\"\nbad: \\j\n\"\"\"", "at line 2, column 6: invalid escape '\\j'"},
      {str, "\"\"\"\nabc", "at column 1: unterminated multiline string"},
      // Trailing garbage and lexical errors.
      {u8, "1 2", "at column 3: expected end of input, found the number 2"},
      {basic, "{required: 1}}", "at column 14: expected end of input, found '}'"},
      {str, "\"x\" // fine\n,", "at line 2, column 1: expected end of input, found ','"},
      {u8, "1 / 2", "at column 3: unexpected '/'"},
      {u8, "#", "at column 1: unexpected character '#'"},
      {response, "fooBar", "at column 1: invalid label 'fooBar'"},
      {response, "a--b", "at column 1: invalid label 'a--b'"},
      {str, "\"\xff\"", "at column 2: invalid UTF-8"},
      {str, "\"☃\" x", "at column 5: expected end of input, found the label 'x'"},
      // Depth.
      {deep, std::string(150, '[') + std::string(150, ']'), "at column 102: values nest more than 100 levels deep"},
  };
  for (const auto& c : cases) {
    auto r = parse_wave(c.text, c.type);
    ASSERT_FALSE(r.ok()) << to_string(c.type) << " <- " << c.text << " parsed as " << print_wave(*r, c.type);
    EXPECT_EQ(r.error().kind(), ErrorKind::kInvalidArgument) << c.text;
    EXPECT_NE(r.error().message().find(c.message_part), std::string::npos)
        << to_string(c.type) << " <- " << c.text << "\n  got:  " << r.error().message()
        << "\n  want: " << c.message_part;
    EXPECT_NE(r.error().message().find("column "), std::string::npos) << r.error().message();
  }
}

TEST_F(WaveTest, UnsupportedKindsAreReported) {
  TypeRef own = ty.own();
  for (TypeRef t : {own, ty.list(own), ty.option(own), ty.record({{"h", own}}), ty.prim(TypeKind::kErrorContext)}) {
    auto r = parse_wave("none", t);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind(), ErrorKind::kUnsupported) << r.error().message();
  }
  EXPECT_EQ(print_wave(Value::own(3), own), "<own 3>");
  EXPECT_FALSE(parse_wave("1", nullptr).ok());
}

// Random and mutated input never crashes or hangs; whatever parses also round-trips.
TEST_F(WaveTest, FuzzedInputNeverCrashes) {
  TypeRef request = ty.record({{"method", str}, {"headers", ty.list(ty.tuple({str, str}))},
                               {"body", ty.option(ty.list(u8))}});
  TypeRef shape = ty.variant({{"point", ty.record({{"x", s8}, {"y", f32}})}, {"none", nullptr}, {"c", chr}});
  std::vector<std::pair<TypeRef, Value>> seeds = {
      {request, Value::record({Value::string("GET"),
                               Value::list({Value::tuple({Value::string("a\"\\"), Value::string("☃\n")})}),
                               Value::some(Value::list({Value::u8(1), Value::u8(255)}))})},
      {ty.option(ty.option(ty.result(u32, str))), Value::some(Value::some(Value::err(Value::string("x"))))},
      {ty.list(shape), Value::list({Value::variant(0, Value::record({Value::s8(-3), Value::f32(1.5e-7f)})),
                                    Value::variant(1), Value::variant(2, Value::character(U'\''))})},
      {ty.flags({"read", "write", "exec"}), Value::flags(5)},
      {ty.tuple({f64, ty.enumeration({"nan", "b"}), ty.list(chr, 2)}),
       Value::tuple({Value::f64(-0.0), Value::enumeration(0),
                     Value::list({Value::character(U'a'), Value::character(U'\\')})})},
  };
  const std::vector<std::string> pieces = {
      "{", "}", "(", ")", "[", "]", ":", ",", " ", "\n", "//", "\"", "'", "\\", "\"\"\"", "\\u{", "-", "%",
      "0", "1", "255", "-1", "1.5", "e", "nan", "inf", "-inf", "some", "none", "ok", "err", "true",
      "method", "headers", "body", "point", "x", "y", "read", "\xff", "☃", "\r", "\t", "a-b", "}"};
  std::mt19937 rng(12345);
  auto pick = [&](size_t n) { return size_t(rng() % n); };
  int parsed = 0;
  for (int iter = 0; iter < 4000; ++iter) {
    const auto& [type, value] = seeds[pick(seeds.size())];
    std::string text;
    if (iter % 3 == 0) {
      for (size_t n = pick(20); n > 0; --n) text += pieces[pick(pieces.size())];
    } else {
      text = print_wave(value, type);
      for (size_t n = 1 + pick(3); n > 0; --n) {
        size_t at = text.empty() ? 0 : pick(text.size() + 1);
        switch (pick(4)) {
          case 0: if (at < text.size()) text.erase(at, 1 + pick(3)); break;
          case 1: text.insert(at, pieces[pick(pieces.size())]); break;
          case 2: if (at < text.size()) text[at] = char(rng()); break;
          default: text = text.substr(0, at); break;
        }
      }
    }
    auto r = parse_wave(text, type);
    if (r.ok()) {
      ++parsed;
      std::string printed = print_wave(*r, type);
      auto again = parse_wave(printed, type);
      ASSERT_TRUE(again.ok()) << text << " -> " << printed << ": " << again.error().message();
      EXPECT_TRUE(*again == *r) << text << " -> " << printed;
    } else {
      EXPECT_EQ(r.error().kind(), ErrorKind::kInvalidArgument) << text;
    }
  }
  EXPECT_GT(parsed, 0);
}

}  // namespace
}  // namespace witserve::component
