// Redis forms of the generic commands: backup redis://... (and, next,
// restore --to redis://, dump and verify of a Redis snapshot).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "cli/commands.h"
#include "engine/backup.h"
#include "source/redis/backup.h"

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
