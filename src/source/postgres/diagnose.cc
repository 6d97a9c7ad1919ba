// doctor's checks of a PostgreSQL source: the connection and the
// credentials, pg_dump and pg_restore of the server's major version (and
// initdb/pg_ctl for the scratch server of restore tests), and the WAL
// archiving the plan's one-hour RPO rests on (archive_mode,
// archive_command, pg_stat_archiver).
#include <cstdlib>

#include "env/process.h"
#include "source/postgres/conn.h"
#include "source/postgres/driver.h"
#include "source/postgres/tools.h"

namespace lifeboat::pg {
namespace {

using Level = Diagnosis::Level;

Diagnosis Make(Level level, std::string check, std::string detail, std::string fix = "") {
  return Diagnosis{level, std::move(check), std::move(detail), std::move(fix)};
}

// "pg_dump (PostgreSQL) 15.10 (Debian 15.10-0+deb12u1)" → "15.10".
std::string VersionWord(const std::string& out) {
  size_t close = out.find(") ");
  if (close == std::string::npos) return "";
  size_t end = out.find_first_of(" \n", close + 2);
  return out.substr(close + 2, end == std::string::npos ? std::string::npos : end - close - 2);
}

}  // namespace

std::vector<Diagnosis> DiagnosePostgres(const std::string& url, const OptionView&) {
  std::vector<Diagnosis> out;
  Result<PgTarget> target = ParsePgTarget(url);
  if (!target.ok()) {
    out.push_back(Make(Level::kFail, "url", target.status().message(),
                       "write the source as postgres://USER@HOST:PORT/DB (docs/postgres.md)"));
    return out;
  }
  const std::string db = target->dbname.empty() ? "postgres" : target->dbname;
  const std::string where = target->Display(db);
  auto conn = PgConn::Connect(*target, db);
  if (!conn.ok()) {
    const Code c = conn.status().code();
    std::string fix = c == Code::kAccessDenied ? "check the password (the URL, PGPASSWORD, "
                                                 "LIFEBOAT_PG_PASSWORD_FILE or ~/.pgpass) and pg_hba.conf "
                                                 "for this host and user"
                      : c == Code::kNotFound
                          ? "create the database or correct its name in the source URL"
                          : "start the server, or check host, port, listen_addresses and the firewall";
    out.push_back(Make(Level::kFail, c == Code::kAccessDenied ? "authentication" : "connect",
                       conn.status().message(), fix));
    return out;
  }
  const int major = (*conn)->major_version();
  out.push_back(Make(Level::kPass, "connect",
                     "connected to " + where + ", PostgreSQL " +
                         std::to_string((*conn)->server_version() / 10000) + "." +
                         std::to_string((*conn)->server_version() % 100)));
  for (const char* tool : {"pg_dump", "pg_restore"}) {
    auto path = FindTool(tool, major);
    if (!path.ok()) {
      out.push_back(Make(Level::kFail, tool, path.status().message(),
                         "apt-get install postgresql-client-" + std::to_string(major)));
      continue;
    }
    auto version = RunForOutput({*path, "--version"});
    out.push_back(Make(Level::kPass, tool,
                       *path + (version.ok() ? " (" + VersionWord(*version) + ")" : "") + " for server " +
                           std::to_string(major)));
  }
  for (const char* tool : {"initdb", "pg_ctl"}) {
    auto path = FindTool(tool, major);
    if (!path.ok()) {
      out.push_back(Make(Level::kWarn, tool,
                         std::string("restore tests need ") + tool + " of PostgreSQL " +
                             std::to_string(major) + " for their scratch server: " + path.status().message(),
                         "apt-get install postgresql-" + std::to_string(major)));
    }
  }
  auto a = (*conn)->Query(
      "SELECT current_setting('archive_mode'), current_setting('archive_command'), "
      "coalesce(last_archived_wal, ''), "
      "coalesce(to_char(last_archived_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS UTC'), ''), "
      "coalesce(last_failed_wal, ''), "
      "coalesce(to_char(last_failed_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS UTC'), ''), "
      "failed_count, "
      "coalesce(last_failed_time > coalesce(last_archived_time, '-infinity'), false), "
      "coalesce(now() - last_archived_time > interval '1 hour', false) "
      "FROM pg_stat_archiver");
  if (!a.ok() || a->size() != 1) {
    out.push_back(Make(Level::kWarn, "archiving",
                       "could not read pg_stat_archiver: " + (a.ok() ? "no row" : a.status().message()),
                       "grant the backup user pg_monitor"));
    return out;
  }
  const std::string mode = a->at(0, 0), command = a->at(0, 1), last = a->at(0, 2), last_time = a->at(0, 3),
                    failed = a->at(0, 4), failed_time = a->at(0, 5), failures = a->at(0, 6);
  const std::string setup =
      "set archive_mode = on and archive_command = 'lifeboat pg wal-push %p' (docs/postgres.md), then "
      "restart";
  if (mode == "off") {
    out.push_back(Make(Level::kWarn, "archive_mode",
                       "WAL archiving is off: no point-in-time recovery, and the RPO is the last dump",
                       setup));
    return out;
  }
  if (command.empty() || command == "(disabled)") {
    out.push_back(Make(Level::kFail, "archive_command",
                       "archive_mode is " + mode + " but archive_command is empty", setup));
    return out;
  }
  out.push_back(
      Make(Level::kPass, "archive_command", "archive_mode = " + mode + ", archive_command = " + command));
  if (a->at(0, 7) == "t") {
    out.push_back(Make(Level::kFail, "archiver",
                       "archiving is failing: " + failed + " failed at " + failed_time + " (" + failures +
                           " failures since the server started), the last success " +
                           (last.empty() ? "never" : last + " at " + last_time),
                       "read archive_command's error in the server log: lifeboat pg wal-push needs the "
                       "repository and its password (LIFEBOAT_PASSWORD_FILE) as the postgres user"));
  } else if (last.empty()) {
    out.push_back(Make(Level::kWarn, "archiver", "nothing archived yet",
                       "SELECT pg_switch_wal() to archive the current segment, then look again"));
  } else if (a->at(0, 8) == "t") {
    out.push_back(
        Make(Level::kWarn, "archiver",
             "the last archived WAL, " + last + ", is from " + last_time + ": more than the 1 h RPO ago",
             "set archive_timeout = 5min (or less) so that a quiet server still archives"));
  } else {
    out.push_back(Make(Level::kPass, "archiver", "last archived " + last + " at " + last_time));
  }
  return out;
}

}  // namespace lifeboat::pg
