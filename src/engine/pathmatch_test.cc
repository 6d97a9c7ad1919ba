#include "engine/pathmatch.h"

#include <gtest/gtest.h>

namespace lifeboat {
namespace {

TEST(PathPattern, UnanchoredMatchesAtAnyDepth) {
  PathPattern p("*.log");
  EXPECT_TRUE(p.Matches("/var/log/app.log"));
  EXPECT_TRUE(p.Matches("/app.log"));
  EXPECT_FALSE(p.Matches("/var/log/app.txt"));
  PathPattern cache("cache");
  EXPECT_TRUE(cache.Matches("/home/u/cache/file"));  // a parent matched
  EXPECT_FALSE(cache.Matches("/home/u/caches"));
}

TEST(PathPattern, AnchoredAndDoubleStar) {
  PathPattern p("/home/*/tmp");
  EXPECT_TRUE(p.Matches("/home/alice/tmp"));
  EXPECT_TRUE(p.Matches("/home/alice/tmp/x"));
  EXPECT_FALSE(p.Matches("/srv/home/alice/tmp"));
  PathPattern d("/srv/**/secret");
  EXPECT_TRUE(d.Matches("/srv/secret"));
  EXPECT_TRUE(d.Matches("/srv/a/b/secret"));
  EXPECT_FALSE(d.Matches("/etc/secret"));
}

TEST(PathPattern, ChildMayMatch) {
  PathPattern p("/srv/app/config");
  EXPECT_TRUE(p.ChildMayMatch("/srv"));
  EXPECT_TRUE(p.ChildMayMatch("/srv/app"));
  EXPECT_FALSE(p.ChildMayMatch("/etc"));
}

}  // namespace
}  // namespace lifeboat
