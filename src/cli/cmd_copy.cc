#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "cli/commands.h"
#include "engine/copy.h"
#include "engine/select.h"
#include "env/env.h"
#include "storage/retry_storage.h"

namespace lifeboat::cli {
namespace {

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// The source password: --from-password-file, LIFEBOAT_FROM_PASSWORD,
// LIFEBOAT_FROM_PASSWORD_FILE (never a command-line value).
Result<Secret> FromPassword(const Context& ctx) {
  std::string file = ctx.args().Get("from-password-file");
  if (file.empty()) {
    if (const char* p = std::getenv("LIFEBOAT_FROM_PASSWORD")) return Secret(p);
    if (const char* f = std::getenv("LIFEBOAT_FROM_PASSWORD_FILE")) file = f;
  }
  if (file.empty()) {
    return InvalidArgument("copy: no password for the source repository: use --from-password-file, "
                           "LIFEBOAT_FROM_PASSWORD or LIFEBOAT_FROM_PASSWORD_FILE");
  }
  auto text = ReadWholeFile(file);
  if (!text.ok()) return InvalidArgument("--from-password-file: " + text.status().message());
  return Secret(Trimmed(std::move(*text)));
}

}  // namespace

Result<std::unique_ptr<Repository>> OpenSourceRepository(const Context& ctx, RetryingStorage** retrying) {
  std::string from = ctx.args().Get("from-repo");
  if (from.empty()) {
    if (const char* e = std::getenv("LIFEBOAT_FROM_REPOSITORY")) from = e;
  }
  if (from.empty()) return InvalidArgument("--from-repo (or LIFEBOAT_FROM_REPOSITORY) is required");
  LB_ASSIGN_OR_RETURN(StorageOptions options, ctx.Options());
  StorageOptions src_options;
  if (from.starts_with("s3:")) src_options = options;
  auto storage = OpenStorage(from, src_options, retrying);
  if (!storage.ok()) return storage.status().WithContext("source");
  LB_ASSIGN_OR_RETURN(Secret password, FromPassword(ctx));
  auto repo = Repository::Open(std::move(*storage), password);
  if (!repo.ok()) return repo.status().WithContext("source");
  return std::move(*repo);
}

namespace {

int RunCopy(Context& ctx) {
  RetryingStorage* src_retry = nullptr;
  auto src = OpenSourceRepository(ctx, &src_retry);
  if (!src.ok()) return Fail(ctx, src.status().WithContext("copy"));
  auto src_lock = RepoLock::Acquire(**src, false);
  if (!src_lock.ok()) return Fail(ctx, src_lock.status().WithContext("source"));

  auto dst = ctx.Open(Context::LockMode::kShared);
  if (!dst.ok()) return Fail(ctx, dst.status());
  Status s = (*src)->LoadIndex();
  if (s.ok()) s = (*dst)->LoadIndex(true);  // adopt packs of an interrupted copy
  if (!s.ok()) return Fail(ctx, s);

  auto all = (*src)->LoadAllSnapshots();
  if (!all.ok()) return Fail(ctx, all.status().WithContext("source"));
  std::vector<Snapshot> chosen = FilterSnapshots(std::move(*all), ctx.Filter());
  if (!ctx.args().positional().empty()) {
    std::vector<Snapshot> named;
    for (const std::string& name : ctx.args().positional()) {
      auto snap = FindSnapshot(**src, name, ctx.Filter());
      if (!snap.ok()) return Fail(ctx, snap.status().WithContext("source"));
      named.push_back(*snap);
    }
    chosen = std::move(named);
  }
  if ((*src)->config().polynomial != (*dst)->config().polynomial && !ctx.quiet()) {
    std::fprintf(stderr, "warning: the repositories use different chunker polynomials: copied files will not "
                         "deduplicate with later backups to the destination\n");
  }

  CopyStats stats;
  s = CopySnapshots(**src, **dst, chosen, &stats, [&](const Snapshot& snap, const std::string& what, const Id& id) {
    if (ctx.json()) {
      nlohmann::json j{{"message_type", "snapshot"}, {"source", snap.id.Hex()}, {"result", what}};
      if (what == "copied") j["id"] = id.Hex();
      std::printf("%s\n", j.dump().c_str());
    } else if (!ctx.quiet()) {
      if (what == "copied") {
        std::printf("snapshot %s of %s at %s: copied as %s\n", snap.id.Short().c_str(), snap.hostname.c_str(),
                    FormatLocal(snap.time).c_str(), id.Short().c_str());
      } else {
        std::printf("snapshot %s: already in the destination\n", snap.id.Short().c_str());
      }
    }
    std::fflush(stdout);
  });
  if (!s.ok()) return Fail(ctx, s.WithContext("copy"));
  // The log archive too (PostgreSQL's WAL): without it a physical backup
  // copied to another site cannot be recovered past its end.
  LogCopyStats logs;
  if (!ctx.args().Has("no-log-archive")) {
    auto copied = CopyLogArchive(**src, **dst);
    if (!copied.ok()) return Fail(ctx, copied.status().WithContext("copy of the log archive"));
    logs = *copied;
  }
  const StorageCounters* dc = ctx.storage_counters();
  uint64_t src_requests = src_retry ? src_retry->counters().requests.load() : 0;
  uint64_t dst_requests = dc ? dc->requests.load() : 0;
  uint64_t retries = (src_retry ? src_retry->counters().retries.load() : 0) + (dc ? dc->retries.load() : 0);
  uint64_t stored = (*dst)->write_stats().stored_bytes.load();
  if (ctx.json()) {
    nlohmann::json j{{"message_type", "summary"},
                     {"snapshots_copied", stats.snapshots_copied},
                     {"snapshots_present", stats.snapshots_present},
                     {"trees_read", stats.trees_read},
                     {"blobs_copied", stats.blobs_copied.load()},
                     {"bytes_copied", stats.bytes_copied.load()},
                     {"bytes_stored", stored},
                     {"source_requests", src_requests},
                     {"destination_requests", dst_requests},
                     {"retries", retries},
                     {"log_files_copied", logs.files_copied},
                     {"log_files_present", logs.files_present}};
    std::printf("%s\n", j.dump().c_str());
  } else if (!ctx.quiet()) {
    std::printf("copied %llu snapshot(s) (%llu already present): %llu blobs, %s (%s stored); requests: %llu to the "
                "source, %llu to the destination, %llu retried\n",
                (unsigned long long)stats.snapshots_copied, (unsigned long long)stats.snapshots_present,
                (unsigned long long)stats.blobs_copied.load(), HumanBytes(stats.bytes_copied.load()).c_str(),
                HumanBytes(stored).c_str(), (unsigned long long)src_requests, (unsigned long long)dst_requests,
                (unsigned long long)retries);
    if (logs.files_copied + logs.files_present > 0) {
      std::printf("copied %llu file(s) of the log archive (%llu already present), up to %s\n",
                  (unsigned long long)logs.files_copied, (unsigned long long)logs.files_present,
                  logs.last_copied.empty() ? "what was there" : logs.last_copied.c_str());
    }
  }
  return kExitOk;
}

}  // namespace

Command CopyCommand() {
  std::vector<FlagSpec> flags = {
      {"from-repo", 0, true, "source repository (default $LIFEBOAT_FROM_REPOSITORY)", "URL"},
      {"from-password-file", 0, true, "read the source password from FILE (or LIFEBOAT_FROM_PASSWORD[_FILE])",
       "FILE"},
      {"no-log-archive", 0, false, "copy only snapshots, not the log archive (PostgreSQL's WAL)"},
  };
  AddFilterFlags(&flags);
  return {"copy", "copy --from-repo SRC [flags] [SNAPSHOT...]",
          "copy snapshots from another repository, moving only the blobs this one lacks", flags, RunCopy};
}

}  // namespace lifeboat::cli
