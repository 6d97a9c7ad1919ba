#include "env/process.h"

#include <gtest/gtest.h>
#include <signal.h>

namespace lifeboat {
namespace {

TEST(Process, StopAllChildrenStopsWhatIsRunning) {
  SubprocessOptions o;
  o.argv = {FindInPath("sleep"), "300"};
  auto a = Subprocess::Start(o);
  auto b = Subprocess::Start(o);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_GE(StopAllChildren(SIGTERM, 30), 2);
  Status wa = (*a)->Wait(), wb = (*b)->Wait();
  EXPECT_FALSE(wa.ok());
  EXPECT_NE(wa.message().find("killed by signal 15"), std::string::npos) << wa.message();
  EXPECT_NE(wb.message().find("killed by signal 15"), std::string::npos) << wb.message();
  // Reaped children are no longer the registry's: nothing is left to stop.
  EXPECT_EQ(StopAllChildren(SIGTERM, 1), 0);
}

}  // namespace
}  // namespace lifeboat
