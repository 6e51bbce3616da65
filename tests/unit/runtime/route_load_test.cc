// The automatic inline rule and the concurrency count of runtime/route_load.h.
#include "witserve/runtime/route_load.h"

#include <gtest/gtest.h>

namespace witserve::runtime {
namespace {

using std::chrono::microseconds;
using Change = RouteLoad::Change;
constexpr auto kFast = microseconds(100);
constexpr auto kSlowPool = RouteLoad::kFastRun;  // not under kFastRun: slow
constexpr auto kSlowInline = RouteLoad::kSlowInline;
constexpr auto kVerySlowInline = RouteLoad::kVerySlowInline;

void fast_pool_runs(RouteLoad& load, int n) {
  for (int i = 0; i < n; ++i) load.ran(kFast, false, true);
}

TEST(RouteLoad, StartsInThePoolAndGoesInlineAfterEnoughFastRuns) {
  RouteLoad load;
  EXPECT_FALSE(load.runs_inline());
  fast_pool_runs(load, RouteLoad::kFastRunsToInline - 1);
  EXPECT_FALSE(load.runs_inline());
  EXPECT_EQ(load.ran(kFast, false, true), Change::kToInline);
  EXPECT_TRUE(load.runs_inline());
}

TEST(RouteLoad, ASlowPoolRunCostsPointsNotEverything) {
  RouteLoad load;
  fast_pool_runs(load, 10);
  load.ran(kSlowPool, false, true);  // 10 - kSlowRunPenalty points left
  fast_pool_runs(load, RouteLoad::kFastRunsToInline - (10 - RouteLoad::kSlowRunPenalty) - 1);
  EXPECT_FALSE(load.runs_inline());
  load.ran(kFast, false, true);
  EXPECT_TRUE(load.runs_inline());
  // A route whose runs are all slow never goes inline.
  RouteLoad slow;
  for (int i = 0; i < 100; ++i) slow.ran(kSlowPool, false, true);
  EXPECT_FALSE(slow.runs_inline());
}

TEST(RouteLoad, TwoSlowInlineRunsInARowOrOneVerySlowSendItBack) {
  RouteLoad load;
  fast_pool_runs(load, RouteLoad::kFastRunsToInline);
  ASSERT_TRUE(load.runs_inline());
  EXPECT_EQ(load.ran(kSlowInline, false, false), Change::kNone);  // one: maybe preempted
  EXPECT_TRUE(load.runs_inline());
  load.ran(kFast, false, false);  // not in a row
  EXPECT_EQ(load.ran(kSlowInline, false, false), Change::kNone);
  EXPECT_EQ(load.ran(kSlowInline, false, false), Change::kToPool);
  EXPECT_FALSE(load.runs_inline());
  EXPECT_EQ(load.demotions(), 1u);
  // It earns its way back from nothing.
  fast_pool_runs(load, RouteLoad::kFastRunsToInline - 1);
  EXPECT_FALSE(load.runs_inline());
  load.ran(kFast, false, true);
  ASSERT_TRUE(load.runs_inline());
  EXPECT_EQ(load.ran(kVerySlowInline, false, false), Change::kToPool);
  EXPECT_FALSE(load.runs_inline());
}

TEST(RouteLoad, ARouteThatWaitedStaysInThePool) {
  RouteLoad load;
  fast_pool_runs(load, RouteLoad::kFastRunsToInline);
  ASSERT_TRUE(load.runs_inline());
  EXPECT_EQ(load.ran(kFast, true, false), Change::kBlocked);
  EXPECT_FALSE(load.runs_inline());
  EXPECT_TRUE(load.blocked());
  fast_pool_runs(load, 10 * RouteLoad::kFastRunsToInline);
  EXPECT_FALSE(load.runs_inline());
  EXPECT_EQ(load.ran(kFast, true, true), Change::kNone);  // reported once
}

TEST(RouteLoad, ConcurrencyLimit) {
  RouteLoad load;
  EXPECT_TRUE(load.try_enter(2));
  EXPECT_TRUE(load.try_enter(2));
  EXPECT_FALSE(load.try_enter(2));
  load.leave(2);
  EXPECT_TRUE(load.try_enter(2));
  // No limit: always admitted, and not counted.
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(load.try_enter(0));
  load.leave(2);
  load.leave(2);
  EXPECT_TRUE(load.try_enter(2));
  EXPECT_TRUE(load.try_enter(2));
  EXPECT_FALSE(load.try_enter(2));
}

}  // namespace
}  // namespace witserve::runtime
