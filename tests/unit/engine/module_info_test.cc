// read_module_info: import/export types read from real binaries, and malformed input rejected
// with the offset of the problem.
#include "witserve/engine/module_info.h"

#include <gtest/gtest.h>

#include "wasm_files.h"

namespace witserve::engine {
namespace {

using testing::wasm_file;

TEST(ModuleInfo, ReadsImportTypes) {
  auto info = read_module_info(wasm_file("consumer"));
  ASSERT_TRUE(info.ok()) << info.error().to_string();
  ASSERT_EQ(info->imports.size(), 4u);
  EXPECT_EQ(info->imports[0].module, "provider");
  EXPECT_EQ(info->imports[0].name, "memory");
  EXPECT_EQ(std::get<MemoryType>(info->imports[0].type).limits.min, 1u);
  auto g = std::get<GlobalType>(info->imports[1].type);
  EXPECT_EQ(g.type, ValType::kI32);
  EXPECT_TRUE(g.mutable_);
  EXPECT_EQ(std::get<TableType>(info->imports[2].type).element, ValType::kFuncRef);
  EXPECT_EQ(std::get<FuncType>(info->imports[3].type), (FuncType{{}, {ValType::kI32}}));
}

TEST(ModuleInfo, ReadsExportTypes) {
  auto info = read_module_info(wasm_file("numeric"));
  ASSERT_TRUE(info.ok()) << info.error().to_string();
  const ExportType* swap = info->find_export("swap");
  ASSERT_NE(swap, nullptr);
  EXPECT_EQ(std::get<FuncType>(swap->type),
            (FuncType{{ValType::kI32, ValType::kI64}, {ValType::kI64, ValType::kI32}}));
  auto mem = read_module_info(wasm_file("memory"));
  ASSERT_TRUE(mem.ok());
  auto limits = std::get<MemoryType>(mem->find_export("memory")->type).limits;
  EXPECT_EQ(limits.min, 1u);
  EXPECT_EQ(limits.max, 4u);
}

TEST(ModuleInfo, RejectsBadMagic) {
  std::vector<uint8_t> b{'n', 'o', 'p', 'e', 1, 0, 0, 0};
  auto info = read_module_info(b);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.error().kind(), ErrorKind::kMalformed);
  EXPECT_NE(info.error().message().find("bad magic"), std::string::npos);
}

TEST(ModuleInfo, RecognisesAComponent) {
  std::vector<uint8_t> b{0, 'a', 's', 'm', 0x0d, 0, 1, 0};
  auto info = read_module_info(b);
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.error().message().find("component"), std::string::npos);
}

TEST(ModuleInfo, EveryTruncationIsAnErrorNotACrash) {
  auto full = wasm_file("consumer");
  for (size_t n = 0; n < full.size(); ++n) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + n);
    auto info = read_module_info(cut);
    // Cutting at a section boundary leaves a valid prefix; anywhere else must be an error.
    if (!info.ok()) {
      EXPECT_EQ(info.error().kind(), ErrorKind::kMalformed);
      EXPECT_NE(info.error().message().find("at byte"), std::string::npos);
    }
  }
}

TEST(ModuleInfo, SectionLongerThanFile) {
  // magic, version, then a type section claiming 100 bytes.
  std::vector<uint8_t> b{0, 'a', 's', 'm', 1, 0, 0, 0, 1, 100, 0};
  auto info = read_module_info(b);
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.error().message().find("at byte 10"), std::string::npos) << info.error().message();
}

}  // namespace
}  // namespace witserve::engine
