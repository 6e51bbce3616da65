// Instance capture and reset (engine.h), on every engine: a reset instance has its memories and
// mutable globals as right after instantiation, its start function runs again (calling the host
// again), and V8 stays consistent afterwards: bounds checks, memory.grow, traps, interrupts and
// thousands of resets. Also which modules can be reset at all (module_state.h).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "wasm_files.h"
#include "witserve/engine/engine.h"
#include "witserve/engine/module_state.h"

namespace witserve::engine {
namespace {

using testing::wasm_file;
using namespace std::chrono_literals;

constexpr uint32_t kPage = 65536;
constexpr uint32_t kResetPages = 5;  // reset.wat's memory

class ResetTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto e = make_engine(GetParam());
    ASSERT_TRUE(e.ok()) << e.error().to_string();
    engine_ = *e;
    auto s = engine_->new_store();
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    store_ = std::move(*s);
    auto m = engine_->compile(wasm_file("reset"));
    ASSERT_TRUE(m.ok()) << m.error().to_string();
    module_ = *m;
  }

  // reset.wasm with its start deferred, captured, then started: the host's draw() returns 100,
  // 101, ... on successive calls.
  std::unique_ptr<Instance> make() {
    auto draw = store_->host_func({{}, {ValType::kI32}}, [this](auto, auto results) {
      results[0] = Val::i32(draws_++);
      return ok();
    });
    std::vector<Import> imports{{"host", "draw", draw}};
    auto i = store_->instantiate(module_, imports, {.defer_start = true});
    EXPECT_TRUE(i.ok()) << i.error().to_string();
    if (!i.ok()) return nullptr;
    auto image = (*i)->capture();
    EXPECT_TRUE(image.ok()) << image.error().to_string();
    if (!image.ok()) return nullptr;
    image_ = *image;
    EXPECT_TRUE((*i)->run_start().ok());
    return std::move(*i);
  }

  Status reset_and_start(Instance& i) {
    WITSERVE_TRY(i.reset(*image_));
    return i.run_start();
  }

  int32_t call_i32(Instance& i, const char* name, std::vector<Val> args = {}) {
    Val r[1];
    Status st = i.func(name)->call(args, r);
    EXPECT_TRUE(st.ok()) << name << ": " << st.error().to_string();
    return r[0].of.i32;
  }
  int32_t peek(Instance& i, uint32_t addr) { return call_i32(i, "peek", {Val::i32(int32_t(addr))}); }
  void poke(Instance& i, uint32_t addr, int32_t v) {
    ASSERT_TRUE(i.func("poke")->call(std::vector{Val::i32(int32_t(addr)), Val::i32(v)}, {}).ok());
  }

  std::shared_ptr<Engine> engine_;
  std::unique_ptr<Store> store_;
  std::shared_ptr<const Module> module_;
  std::shared_ptr<const InstanceImage> image_;
  int32_t draws_ = 100;
};

TEST_P(ResetTest, ResetPutsMemoryAndGlobalsBackAndRunsTheStartAgain) {
  auto inst = make();
  ASSERT_TRUE(inst);
  EXPECT_EQ(peek(*inst, 0), 42);
  EXPECT_EQ(peek(*inst, 8), 1);  // the start function ran once
  EXPECT_EQ(call_i32(*inst, "drawn"), 100);

  poke(*inst, 0, 7);
  poke(*inst, kPage + 12, 99);  // the second page, which started as zeros
  ASSERT_TRUE(inst->func("set_g")->call(std::vector{Val::i32(-3)}, {}).ok());
  ASSERT_TRUE(inst->func("set_wide")->call(std::vector{Val::i64(1LL << 40)}, {}).ok());

  ASSERT_TRUE(reset_and_start(*inst).ok());
  EXPECT_EQ(peek(*inst, 0), 42);
  EXPECT_EQ(peek(*inst, kPage + 12), 0);
  EXPECT_EQ(peek(*inst, 8), 1);  // counted from the state before the start, not 2
  EXPECT_EQ(call_i32(*inst, "get_g"), 7);
  Val wide[1];
  ASSERT_TRUE(inst->func("get_wide")->call({}, wide).ok());
  EXPECT_EQ(wide[0].of.i64, -5);
  EXPECT_EQ(call_i32(*inst, "drawn"), 101);  // the start called the host again
}

TEST_P(ResetTest, ThousandsOfResetsStayConsistent) {
  auto inst = make();
  ASSERT_TRUE(inst);
  for (int round = 0; round < 5000; ++round) {
    uint32_t addr = uint32_t(round * 4096 + 16) % (kResetPages * kPage - 4);
    EXPECT_EQ(peek(*inst, addr), 0) << "round " << round << ": address " << addr << " kept an earlier write";
    poke(*inst, addr, round + 1);
    poke(*inst, 0, round);
    ASSERT_TRUE(inst->func("set_g")->call(std::vector{Val::i32(round)}, {}).ok());
    ASSERT_TRUE(reset_and_start(*inst).ok()) << "round " << round;
    ASSERT_EQ(peek(*inst, 0), 42);
    ASSERT_EQ(call_i32(*inst, "get_g"), 7);
    if (HasFailure()) break;
  }
  EXPECT_EQ(call_i32(*inst, "drawn"), 100 + 5000);
}

TEST_P(ResetTest, BoundsChecksAndGrowthAfterAReset) {
  auto inst = make();
  ASSERT_TRUE(inst);
  ASSERT_TRUE(reset_and_start(*inst).ok());
  Val r[1];
  EXPECT_EQ(peek(*inst, kResetPages * kPage - 4), 0);
  Status out = inst->func("peek")->call(std::vector{Val::i32(kResetPages * kPage)}, r);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind(), ErrorKind::kTrap);

  EXPECT_EQ(call_i32(*inst, "grow", {Val::i32(1)}), int32_t(kResetPages));
  poke(*inst, kResetPages * kPage, 5);
  EXPECT_EQ(peek(*inst, kResetPages * kPage), 5);

  // A memory that grew cannot be put back (V8 cannot shrink it): the reset refuses, and the
  // instance still works as it was.
  Status st = inst->reset(*image_);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kUnsupported) << st.error().to_string();
  EXPECT_EQ(peek(*inst, kResetPages * kPage), 5);
}

TEST_P(ResetTest, AnInstanceThatTrappedOrWasInterruptedCanBeReset) {
  auto inst = make();
  ASSERT_TRUE(inst);
  poke(*inst, 100, 1);
  Status trapped = inst->func("trap")->call({}, {});
  ASSERT_FALSE(trapped.ok());
  ASSERT_TRUE(reset_and_start(*inst).ok());
  EXPECT_EQ(peek(*inst, 100), 0);

  poke(*inst, 100, 2);
  auto handle = store_->interrupt_handle();
  std::atomic<bool> done{false};
  std::thread stopper([&] {
    while (!done) {
      std::this_thread::sleep_for(20ms);
      handle->interrupt();
    }
  });
  Status spun = inst->func("spin")->call({}, {});
  done = true;
  stopper.join();
  ASSERT_FALSE(spun.ok());
  EXPECT_EQ(spun.error().kind(), ErrorKind::kInterrupted);
  ASSERT_TRUE(reset_and_start(*inst).ok());
  EXPECT_EQ(peek(*inst, 100), 0);
  EXPECT_EQ(peek(*inst, 0), 42);
}

// Instances come and go (and V8 collects them) while others are reset.
TEST_P(ResetTest, ResetInstancesSurviveOthersBeingCollected) {
  auto kept = make();
  ASSERT_TRUE(kept);
  auto kept_image = image_;
  for (int i = 0; i < 300; ++i) {
    auto other = make();
    ASSERT_TRUE(other);
    poke(*other, 64, i);
    if (i == 0) {  // an image resets only the instance it was captured from
      Status wrong = kept->reset(*image_);
      ASSERT_FALSE(wrong.ok());
      EXPECT_EQ(wrong.error().kind(), ErrorKind::kInvalidArgument);
    }
    image_ = kept_image;
    poke(*kept, 64, i);
    ASSERT_TRUE(reset_and_start(*kept).ok());
    ASSERT_EQ(peek(*kept, 64), 0);
    if (i % 50 == 0) store_->run_pending_tasks();
  }
}

TEST_P(ResetTest, ModulesThatChangeTablesOrDropSegmentsCannotBeReset) {
  for (const char* name : {"table_set", "data_drop"}) {
    auto m = engine_->compile(wasm_file(name));
    ASSERT_TRUE(m.ok()) << name;
    EXPECT_FALSE((*m)->state().resettable()) << name;
    auto i = store_->instantiate(*m, {}, {.defer_start = true});
    ASSERT_TRUE(i.ok()) << name << ": " << i.error().to_string();
    auto image = (*i)->capture();
    ASSERT_FALSE(image.ok()) << name;
    EXPECT_EQ(image.error().kind(), ErrorKind::kUnsupported);
  }
}

// With a virtual memory size (CompileOptions), an instance whose memory grew is reset too: the
// program sees the first size again, memory.grow hands out the pages the real memory already has
// (zeroed by the reset) before growing it further, and the engine's limit still holds.
TEST_P(ResetTest, AVirtualMemorySizeLetsAGrownMemoryBeReset) {
  auto m = engine_->compile(wasm_file("grows"), {.virtual_memory_size = true});
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  ASSERT_TRUE((*m)->state().virtual_memory_size);
  auto i = store_->instantiate(*m, {}, {.defer_start = true});
  ASSERT_TRUE(i.ok()) << i.error().to_string();
  Instance& inst = **i;
  auto image = inst.capture();
  ASSERT_TRUE(image.ok()) << image.error().to_string();
  for (int round = 0; round < 50; ++round) {
    ASSERT_EQ(call_i32(inst, "size"), 1) << "round " << round;
    ASSERT_EQ(peek(inst, 0), 42);
    ASSERT_EQ(call_i32(inst, "grow", {Val::i32(2)}), 1);
    ASSERT_EQ(call_i32(inst, "size"), 3);
    ASSERT_EQ(peek(inst, 2 * kPage + 8), 0) << "round " << round << ": a grown page kept an earlier write";
    poke(inst, 2 * kPage + 8, round + 1);
    poke(inst, 0, 5);
    if (round % 10 == 9) {  // past what the real memory has: it grows for real
      ASSERT_EQ(call_i32(inst, "grow", {Val::i32(3)}), 3);
      ASSERT_EQ(call_i32(inst, "size"), 6);
      poke(inst, 5 * kPage, 1);
    }
    ASSERT_EQ(call_i32(inst, "grow", {Val::i32(5000)}), -1);  // over the engine's limit
    Status st = inst.reset(**image);
    ASSERT_TRUE(st.ok()) << st.error().to_string();
  }
  // memory.grow(0) reads the size as memory.size does.
  EXPECT_EQ(call_i32(inst, "grow", {Val::i32(0)}), 1);

  // Without the option the module's memory.size is the real one.
  auto plain = engine_->compile(wasm_file("grows"));
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE((*plain)->state().virtual_memory_size);
}

// Data segments mapped as an image rather than copied: every instance starts with the same
// contents, one instance's writes are its own, and passive and dropped segments behave as the
// spec says. A segment out of bounds still fails instantiation.
TEST_P(ResetTest, InitialContentsComeFromDataSegmentsAsBefore) {
  auto m = engine_->compile(wasm_file("data_image"));
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  auto a = store_->instantiate(*m, {});
  auto b = store_->instantiate(*m, {});
  ASSERT_TRUE(a.ok() && b.ok());
  std::string seen;
  for (uint32_t at = 16; at < 20; ++at) seen += char(call_i32(**a, "peek8", {Val::i32(int32_t(at))}));
  EXPECT_EQ(seen, "abXY");
  ASSERT_TRUE((*a)->func("poke8")->call(std::vector{Val::i32(16), Val::i32('z')}, {}).ok());
  EXPECT_EQ(call_i32(**a, "peek8", {Val::i32(16)}), 'z');
  EXPECT_EQ(call_i32(**b, "peek8", {Val::i32(16)}), 'a');  // b's memory is its own
  auto c = store_->instantiate(*m, {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(call_i32(**c, "peek8", {Val::i32(16)}), 'a');

  ASSERT_TRUE((*a)->func("init_passive")->call({}, {}).ok());
  EXPECT_EQ(call_i32(**a, "peek8", {Val::i32(203)}), 's');
  EXPECT_TRUE((*a)->func("init_active")->call(std::vector{Val::i32(0)}, {}).ok());
  Status dropped = (*a)->func("init_active")->call(std::vector{Val::i32(1)}, {});
  ASSERT_FALSE(dropped.ok());
  EXPECT_EQ(dropped.error().kind(), ErrorKind::kTrap);

  auto bad = engine_->compile(wasm_file("segment_out_of_bounds"));
  ASSERT_TRUE(bad.ok());
  auto refused = store_->instantiate(*bad, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind(), ErrorKind::kTrap) << refused.error().to_string();
}

INSTANTIATE_TEST_SUITE_P(Engines, ResetTest, ::testing::ValuesIn(engine_names()),
                         [](const auto& info) { return info.param; });

// What read_module_state finds in a module's sections and code.
TEST(ModuleState, ReadsWhatCodeAndSegmentsChange) {
  ModuleState reset = read_module_state(wasm_file("reset"));
  EXPECT_TRUE(reset.resettable());
  EXPECT_TRUE(reset.has_start);
  EXPECT_FALSE(reset.segments_write_imports);
  EXPECT_EQ(reset.defined_memories, 1u);
  EXPECT_EQ(reset.imported_globals, 0u);
  ASSERT_EQ(reset.defined_globals.size(), 3u);
  EXPECT_EQ(reset.defined_globals[2].type, ValType::kI64);

  ModuleState table = read_module_state(wasm_file("table_set"));
  EXPECT_TRUE(table.code_changes_tables_or_segments);
  EXPECT_FALSE(table.resettable());
  EXPECT_FALSE(table.has_start);

  EXPECT_FALSE(read_module_state(wasm_file("data_drop")).resettable());

  ModuleState into = read_module_state(wasm_file("segments_into_import"));
  EXPECT_TRUE(into.segments_write_imports);
  EXPECT_EQ(into.imported_memories, 1u);
  EXPECT_EQ(into.defined_memories, 0u);
  EXPECT_TRUE(into.resettable());  // a mutable f64 global is restored like any number

  // Anything the scan cannot decode counts as not resettable.
  std::vector<uint8_t> bytes = wasm_file("reset");
  bytes.resize(bytes.size() - 3);
  EXPECT_FALSE(read_module_state(bytes).resettable());
}

}  // namespace
}  // namespace witserve::engine
