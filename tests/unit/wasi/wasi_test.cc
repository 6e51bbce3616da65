// The WASI layer's own parts that need no component: the table of host objects, which imports
// the host provides (names and 0.2.x versions), handler output split into log lines, deadlines
// of host waits, and list<u8> values held as bytes.
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <gtest/gtest.h>

#include <sstream>

#include "witserve/component/value.h"
#include "witserve/wasi/context.h"
#include "witserve/wasi/io.h"
#include "witserve/wasi/wasi.h"

namespace witserve::wasi {
namespace {

using component::Value;

class Thing : public Object {
 public:
  explicit Thing(int v) : value(v) {}
  int value;
};
class Other : public Object {};

TEST(WasiTable, ObjectsAreFoundByRepAndType) {
  Table t;
  uint32_t a = t.add(std::make_unique<Thing>(1));
  uint32_t b = t.add(std::make_unique<Other>());
  EXPECT_NE(a, 0u);
  EXPECT_NE(a, b);
  ASSERT_TRUE(t.get<Thing>(a).ok());
  EXPECT_EQ((*t.get<Thing>(a))->value, 1);
  auto wrong = t.get<Thing>(b);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().kind(), ErrorKind::kTrap);
  EXPECT_FALSE(t.get<Thing>(0).ok());
  EXPECT_FALSE(t.get<Thing>(99).ok());
  EXPECT_EQ(t.live(), 2u);

  auto taken = t.take<Thing>(a);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ((*taken)->value, 1);
  EXPECT_FALSE(t.get<Thing>(a).ok()) << "a taken object is gone from the table";
  t.remove(b);
  EXPECT_EQ(t.live(), 0u);
  uint32_t c = t.add(std::make_unique<Thing>(3));
  EXPECT_TRUE(c == a || c == b) << "freed reps are reused";
}

TEST(WasiTable, LiveObjectsAreBounded) {
  Table t;
  std::vector<uint32_t> reps;
  for (size_t i = 0; i < Table::kMaxLive; ++i) reps.push_back(t.add(std::make_unique<Other>()));
  EXPECT_FALSE(t.over_limit());
  uint32_t one_more = t.add(std::make_unique<Other>());
  EXPECT_TRUE(t.over_limit()) << "WASI calls trap from here on";
  EXPECT_TRUE(t.take<Other>(one_more).ok());
  EXPECT_FALSE(t.over_limit()) << "taking an object out counts too";
  t.remove(reps[0]);
  EXPECT_EQ(t.live(), Table::kMaxLive - 1);
}

TEST(WasiProvides, AnyZeroTwoVersionOfAProvidedInterface) {
  for (const char* name : {"wasi:io/streams@0.2.0", "wasi:io/streams@0.2.12", "wasi:http/types@0.2.10",
                           "wasi:cli/environment@0.2.3", "wasi:filesystem/preopens@0.2.12",
                           "wasi:http/outgoing-handler@0.2.10"})
    EXPECT_TRUE(provides(name)) << name;
  std::string why;
  EXPECT_FALSE(provides("wasi:io/streams@0.3.0", &why));
  EXPECT_EQ(why, "'wasi:io/streams@0.3.0' is not a WASI 0.2.x version (witserve provides 0.2)");
  EXPECT_FALSE(provides("wasi:sockets/tcp@0.2.12", &why));
  EXPECT_EQ(why, "witserve does not provide 'wasi:sockets/tcp@0.2.12'");
  EXPECT_FALSE(provides("wasi:io/streams", &why)) << "an unversioned WASI import";
}

TEST(WasiContext, OutputReachesTheLogLineByLineTaggedWithTheRoute) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  sink->set_pattern("%l %v");
  auto saved = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
  {
    auto grants = std::make_shared<Grants>();
    grants->route = "/r";
    WasiContext c(grants);
    auto bytes = [](std::string_view s) { return std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()); };
    c.output(1, bytes("one\ntw"));
    EXPECT_EQ(out.str(), "info [/r] stdout: one\n");
    c.output(1, bytes("o\n"));
    c.output(2, bytes("oops\n"));
    c.output(1, bytes("unfinished"));
  }  // the context's end flushes the unfinished line
  spdlog::set_default_logger(saved);
  EXPECT_EQ(out.str(),
            "info [/r] stdout: one\ninfo [/r] stdout: two\nwarning [/r] stderr: oops\ninfo [/r] stdout: unfinished\n");
}

TEST(WasiContext, WaitsEndAtTheDeadline) {
  WasiContext c(std::make_shared<Grants>());
  c.deadline = Clock::now() + std::chrono::milliseconds(50);
  bool flushed = false;
  c.before_block = [&] { flushed = true; };
  auto start = Clock::now();
  Status s = c.sleep_until(Clock::now() + std::chrono::seconds(30));
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::kInterrupted);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(flushed) << "a response being buffered is sent before the guest waits";
  EXPECT_FALSE(c.check_deadline().ok());
}

TEST(WasiStreams, BufferInputReadsInPiecesThenCloses) {
  WasiContext c(std::make_shared<Grants>());
  BufferInput in(std::make_shared<const std::vector<uint8_t>>(std::vector<uint8_t>{1, 2, 3, 4, 5}));
  std::vector<uint8_t> got;
  ASSERT_EQ(in.read(c, 3, false, got)->kind, StreamStatus::kOk);
  EXPECT_EQ(got, (std::vector<uint8_t>{1, 2, 3}));
  ASSERT_EQ(in.read(c, 10, true, got)->kind, StreamStatus::kOk);
  EXPECT_EQ(got, (std::vector<uint8_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(in.read(c, 10, false, got)->kind, StreamStatus::kClosed);
  EXPECT_EQ(in.read(c, 0, false, got)->kind, StreamStatus::kOk) << "a zero-length read is not the end";
}

TEST(ByteListValues, EqualToTheSameListOfU8Values) {
  Value bytes = Value::bytes(std::string("\x01\xff", 2));
  Value items = Value::list({Value::u8(1), Value::u8(255)});
  EXPECT_TRUE(bytes.is_bytes());
  EXPECT_EQ(bytes, items);
  EXPECT_EQ(items, bytes);
  ASSERT_EQ(bytes.items().size(), 2u);
  EXPECT_EQ(bytes.items()[1].as_unsigned(), 255u);
  EXPECT_NE(bytes, Value::bytes("\x01"));
}

}  // namespace
}  // namespace witserve::wasi
