#include "dr/record.h"

#include <gtest/gtest.h>

#include "verify/results.h"

namespace lifeboat {
namespace {

DrRecord Sample() {
  DrRecord r;
  r.kind = "drill";
  r.level = 4;
  r.scenario = "damaged pack";
  r.plan = "/etc/lifeboat/dr-plan.yaml";
  r.host = "dr1";
  r.declared = {1000, 0};
  r.finished = {1100, 500000000};
  r.succeeded = true;
  r.rto_objective = 4 * 3600;
  r.rpo_objective = 3600;
  r.timeline.push_back({{1000, 0}, "", "declared", "drill"});
  r.timeline.push_back({{1030, 0}, "app-db", "healthy", "1 health checks pass"});
  DrServiceOutcome db;
  db.service = "app-db";
  db.type = "postgres";
  db.critical = true;
  db.recovered = true;
  db.rto_objective = 7200;
  db.rpo_objective = 900;
  db.rto_seconds = 30;
  db.rpo_seconds = 1.5;
  db.rpo_how = "heartbeat";
  db.snapshot = std::string(64, 'a');
  db.point = {990, 0};
  db.validated = true;
  db.validation = "the restore test of aaaaaaaa passed";
  r.services.push_back(db);
  DrServiceOutcome cache = db;
  cache.validated.reset();
  cache.validation = "no restore test";
  cache.service = "cache";
  cache.type = "redis";
  cache.rto_seconds = 95;
  cache.rpo_seconds = 1200;  // over its objective
  r.services.push_back(cache);
  return r;
}

TEST(DrRecord, RoundTripsThroughJson) {
  DrRecord r = Sample();
  std::string json = DrRecordJson(r);
  EXPECT_EQ(ResultKind(json), "dr");
  auto back = ParseDrRecord(json);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->kind, "drill");
  EXPECT_EQ(back->level, 4);
  EXPECT_EQ(back->scenario, "damaged pack");
  EXPECT_EQ(back->declared.sec, 1000);
  EXPECT_EQ(back->finished.nsec, 500000000);
  ASSERT_EQ(back->timeline.size(), 2u);
  EXPECT_EQ(back->timeline[1].service, "app-db");
  ASSERT_EQ(back->services.size(), 2u);
  EXPECT_EQ(*back->services[0].rpo_seconds, 1.5);
  EXPECT_EQ(back->services[0].rpo_how, "heartbeat");
  EXPECT_EQ(back->services[0].point.sec, 990);
  EXPECT_EQ(back->services[0].validated, std::optional<bool>(true));
  EXPECT_EQ(back->services[0].validation, "the restore test of aaaaaaaa passed");
  EXPECT_FALSE(back->services[1].validated.has_value());
  EXPECT_EQ(DrRecordJson(*back), json);
}

TEST(DrRecord, ObjectivesMetOrMissed) {
  DrRecord r = Sample();
  EXPECT_TRUE(r.services[0].rto_met());
  EXPECT_TRUE(r.services[0].rpo_met());
  EXPECT_FALSE(r.services[1].rpo_met());
  ASSERT_TRUE(r.rto_seconds().has_value());
  EXPECT_EQ(*r.rto_seconds(), 95);    // the last service back
  r.services[1].rto_seconds.reset();  // one service never came back
  EXPECT_FALSE(r.rto_seconds().has_value());
  EXPECT_FALSE(r.services[1].rto_met());
}

TEST(DrRecord, RefusesWhatIsNotOne) {
  EXPECT_FALSE(ParseDrRecord(R"({"kind":"verify","time":"2026-01-01T00:00:00Z"})").ok());
  EXPECT_FALSE(ParseDrRecord("not json").ok());
  EXPECT_EQ(ResultKind("not json"), "");
}

}  // namespace
}  // namespace lifeboat
