// Redis forms of the generic commands: backup redis://... (and, next,
// restore --to redis://, dump and verify of a Redis snapshot).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "cli/commands.h"
#include "engine/backup.h"
#include "engine/select.h"
#include "source/postgres/restore.h"
#include "source/redis/backup.h"
#include "source/redis/restore.h"
#include "source/redis/verify.h"

#include <unistd.h>

namespace lifeboat::cli {

int RunRedisBackup(Context& ctx, BackupOptions opts, const std::string& url) {
  const Args& a = ctx.args();
  redis::EndpointOptions eo;
  eo.password_file = a.Get("redis-password-file");
  eo.cacert = a.Get("cacert");
  auto ep = redis::ParseEndpoint(url, eo);
  if (!ep.ok()) return Fail(ctx, ep.status());
  redis::RedisBackupOptions ro;
  ro.data_dir = a.Get("redis-data-dir");
  auto plan = redis::RedisBackup::Prepare(*ep, ro);
  if (!plan.ok()) return Fail(ctx, plan.status().WithContext("backup"));
  opts.paths.clear();
  opts.streams = (*plan)->Items();
  opts.snapshot_paths = (*plan)->SnapshotPaths();
  opts.tags.push_back(redis::kRedisTag);
  auto repo = ctx.Open(Context::LockMode::kShared);
  if (!repo.ok()) return Fail(ctx, repo.status());
  Status loaded = (*repo)->LoadIndex(/*adopt_orphans=*/true);
  if (!loaded.ok()) return Fail(ctx, loaded);
  ProgressCounters counters;
  StderrWarnings warnings(ctx.json());
  ProgressPrinter printer(&counters, ctx.json(), ctx.quiet(), "backup");
  auto result = RunBackupWithHooks(ctx, **repo, opts, &counters, &warnings, ep->Display());
  printer.Stop();
  if (!result.ok()) return Fail(ctx, result.status().WithContext("backup of " + ep->Display()));
  const BackupSummary& s = *result;
  const redis::RedisManifest& m = (*plan)->manifest();
  if (ctx.json()) {
    nlohmann::json j{{"message_type", "summary"},
                     {"source", m.source},
                     {"redis_version", m.redis_version},
                     {"rdb_version", m.rdb_version},
                     {"method", m.method},
                     {"rdb_bytes", m.rdb_bytes},
                     {"keys", m.fingerprint.total_keys()},
                     {"fingerprint", nlohmann::json::parse(m.fingerprint.ToJson())},
                     {"data_blobs", s.data_blobs},
                     {"tree_blobs", s.tree_blobs},
                     {"data_added", s.data_added},
                     {"data_added_plain", s.data_added_plain},
                     {"total_bytes_processed", s.total_bytes_processed},
                     {"total_duration", s.duration_seconds},
                     {"snapshot_id", s.snapshot_id.Hex()}};
    std::printf("%s\n", j.dump().c_str());
  } else if (!ctx.quiet()) {
    std::printf("Redis:       %s (server %s, RDB version %d)\n", m.source.c_str(), m.redis_version.c_str(),
                m.rdb_version);
    std::printf("Transfer:    %s of RDB by %s\n", HumanBytes(m.rdb_bytes).c_str(),
                m.method == "replication" ? "the replication protocol (nothing written on the server)"
                                          : "BGSAVE and the dump file (the server refused replication)");
    for (const auto& [db, f] : m.fingerprint.dbs) {
      std::printf("db%-9d %llu keys, %llu with a TTL, digest %s\n", db, (unsigned long long)f.keys,
                  (unsigned long long)f.expires, f.digest.Hex().c_str());
    }
    std::printf("Added:       %s stored (%s before compression, %llu data + %llu tree blobs)\n",
                HumanBytes(s.data_added).c_str(), HumanBytes(s.data_added_plain).c_str(),
                (unsigned long long)s.data_blobs, (unsigned long long)s.tree_blobs);
    std::printf("snapshot %s saved in %s\n", s.snapshot_id.Short().c_str(),
                HumanDuration(s.duration_seconds).c_str());
  }
  return kExitOk;
}

}  // namespace lifeboat::cli

namespace lifeboat::cli {

Result<Snapshot> OpenDatabaseSnapshot(Context& ctx, const std::string& name, bool redis_only) {
  if (name != "latest") return ctx.OpenSnapshot(name);
  LB_ASSIGN_OR_RETURN(Repository * repo, ctx.Open(Context::LockMode::kShared));
  LB_ASSIGN_OR_RETURN(std::vector<Snapshot> all, repo->LoadAllSnapshots());
  SnapshotFilter f = ctx.Filter();
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    bool kind = redis::IsRedisSnapshot(*it) || (!redis_only && pg::IsLogicalSnapshot(*it));
    if (kind && f.Matches(*it)) {
      LB_RETURN_IF_ERROR(repo->LoadIndex());
      return *it;
    }
  }
  return NotFound(std::string(redis_only ? "no Redis snapshot" : "no PostgreSQL or Redis snapshot") +
                  (f.empty() ? "" : " matches the filter"));
}

int RunRedisRestore(Context& ctx, const std::string& name) {
  const Args& a = ctx.args();
  auto snap = OpenDatabaseSnapshot(ctx, name, true);
  if (!snap.ok()) return Fail(ctx, snap.status());
  if (!redis::IsRedisSnapshot(*snap)) return Fail(ctx, InvalidArgument("snapshot " + snap->id.Short() + " is not a Redis backup"));
  if (a.Has("data-dir")) {
    Status s = redis::RestoreToDataDir(ctx.repo(), *snap, a.Get("data-dir"), a.Has("replace"));
    if (!s.ok()) return Fail(ctx, s.WithContext("restore"));
    if (!ctx.quiet()) {
      std::printf("wrote %s/dump.rdb from snapshot %s; start redis-server with --dir %s (owned by its user)\n",
                  a.Get("data-dir").c_str(), snap->id.Short().c_str(), a.Get("data-dir").c_str());
    }
    return kExitOk;
  }
  redis::EndpointOptions eo;
  eo.password_file = a.Get("redis-password-file");
  eo.cacert = a.Get("cacert");
  auto ep = redis::ParseEndpoint(a.Get("to"), eo);
  if (!ep.ok()) return Fail(ctx, ep.status());
  redis::RestoreOptions o;
  o.flush = a.Has("flush");
  o.replace = a.Has("replace");
  auto r = redis::RestoreToServer(ctx.repo(), *snap, *ep, o);
  if (!r.ok()) return Fail(ctx, r.status().WithContext("restore"));
  if (ctx.json()) {
    nlohmann::json dbs = nlohmann::json::object();
    for (const auto& [db, n] : r->keys) dbs[std::to_string(db)] = n;
    nlohmann::json j{{"message_type", "summary"}, {"snapshot_id", snap->id.Hex()}, {"target", ep->Display()},
                     {"keys_restored", r->total()}, {"keys_by_db", dbs}, {"expired_skipped", r->expired},
                     {"rdb_bytes", r->bytes}, {"total_duration", r->seconds}};
    std::printf("%s\n", j.dump().c_str());
  } else if (!ctx.quiet()) {
    std::printf("restored %llu keys of snapshot %s into %s by RESTORE in %s", (unsigned long long)r->total(),
                snap->id.Short().c_str(), ep->Display().c_str(), HumanDuration(r->seconds).c_str());
    if (r->expired) std::printf(" (%llu keys had expired and were left out)", (unsigned long long)r->expired);
    std::printf("\n");
  }
  return kExitOk;
}

int RunRedisDump(Context& ctx, const Snapshot& snap) {
  Status s = redis::WriteRdb(ctx.repo(), snap, STDOUT_FILENO, "standard output");
  if (!s.ok()) return Fail(ctx, s.WithContext("dump"));
  return kExitOk;
}

int RunRedisVerify(Context& ctx, const Snapshot& snap) {
  auto rep = redis::VerifySnapshot(ctx.repo(), snap);
  if (!rep.ok()) return Fail(ctx, rep.status().WithContext("verify"));
  if (ctx.json()) {
    nlohmann::json dbs = nlohmann::json::array();
    for (const auto& d : rep->dbs) {
      dbs.push_back({{"db", d.db}, {"ok", d.ok}, {"keys", d.got.keys}, {"expected_keys", d.want.keys},
                     {"expires", d.got.expires}, {"expected_expires", d.want.expires}, {"detail", d.detail}});
    }
    nlohmann::json j{{"message_type", "verify"}, {"snapshot_id", snap.id.Hex()}, {"source", rep->source},
                     {"ok", rep->ok()}, {"redis_check_rdb", rep->check_rdb}, {"databases", dbs},
                     {"total_duration", rep->seconds}};
    std::printf("%s\n", j.dump().c_str());
  } else if (!ctx.quiet()) {
    std::printf("verify Redis snapshot %s of %s in a scratch redis-server\n", rep->snapshot.c_str(), rep->source.c_str());
    std::printf("%s redis-check-rdb%s%s\n", rep->check_rdb.empty() ? "PASS" : "FAIL",
                rep->check_rdb.empty() ? "" : ": ", rep->check_rdb.c_str());
    for (const auto& d : rep->dbs) {
      std::printf("%s db%d: %llu keys (%llu at backup), %llu with a TTL (%llu)%s%s\n", d.ok ? "PASS" : "FAIL", d.db,
                  (unsigned long long)d.got.keys, (unsigned long long)d.want.keys, (unsigned long long)d.got.expires,
                  (unsigned long long)d.want.expires, d.detail.empty() ? "" : ": ", d.detail.c_str());
    }
    std::printf("%s in %s\n", rep->ok() ? "verification passed" : "verification FAILED", HumanDuration(rep->seconds).c_str());
  }
  if (!rep->ok()) {
    if (!ctx.json()) std::fprintf(stderr, "lifeboat: verify: snapshot %s did not load to the data it was taken of\n", snap.id.Short().c_str());
    return kExitDataError;
  }
  return kExitOk;
}

}  // namespace lifeboat::cli
