// Result/Error: propagation through the TRY macros keeps kind and adds context.
#include "witserve/base/result.h"

#include <gtest/gtest.h>

namespace witserve {
namespace {

Result<int> parse_positive(int x) {
  if (x <= 0) return Error(ErrorKind::kInvalidArgument, "not positive: " + std::to_string(x));
  return x;
}

Result<int> doubled(int x) {
  WITSERVE_ASSIGN_OR_RETURN(int v, parse_positive(x));
  return v * 2;
}

Status check(int x) {
  WITSERVE_TRY(doubled(x));
  return ok();
}

TEST(Result, ValuesAndErrorsPropagate) {
  EXPECT_EQ(*doubled(21), 42);
  auto r = doubled(-1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(r.error().message(), "not positive: -1");
  EXPECT_TRUE(check(1).ok());
  EXPECT_FALSE(check(0).ok());
}

TEST(Result, ContextIsPrefixed) {
  Error e = Error(ErrorKind::kTrap, "unreachable").with_context("call handle");
  EXPECT_EQ(e.message(), "call handle: unreachable");
  EXPECT_EQ(e.to_string(), "trap: call handle: unreachable");
}

}  // namespace
}  // namespace witserve
