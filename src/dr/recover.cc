#include "dr/recover.h"

#include <dirent.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "base/bytes.h"
#include "dr/health.h"
#include "dr/heartbeat.h"
#include "engine/snapshot_reader.h"
#include "env/env.h"
#include "env/process.h"
#include "jobs/attempt.h"
#include "jobs/hooks.h"
#include "server/http.h"
#include "source/registry.h"
#include "verify/results.h"
#include "verify/trial_restore.h"

namespace lifeboat {
namespace {

constexpr char kBaseBackupTag[] = "postgres-basebackup";  // source/postgres/physical.h

bool IsBaseBackup(const Snapshot& s) {
  return std::find(s.tags.begin(), s.tags.end(), kBaseBackupTag) != s.tags.end();
}

// True if `path` is missing or an empty directory.
bool MissingOrEmpty(const std::string& path) {
  DIR* d = opendir(path.c_str());
  if (d == nullptr) return errno == ENOENT;
  bool empty = true;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") {
      empty = false;
      break;
    }
  }
  closedir(d);
  return empty;
}

// The health checks of a service, or one that fits its type when it has
// none: a query for a PostgreSQL, PING for a Redis.
std::vector<HealthCheck> ChecksOf(const DrService& s) {
  if (!s.health.empty()) return s.health;
  HealthCheck h;
  if (s.type == "postgres") {
    h.kind = "sql";
    h.target = "SELECT 1";
  } else if (s.type == "redis") {
    h.kind = "redis";
    h.target = "PING";
  } else {
    return {};
  }
  return {h};
}

std::string ConfQuote(const std::string& v) {
  std::string out = "'";
  for (char c : v) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// The repository for a child lifeboat: its URL and password source in
// the environment, never in argv.
void RepositoryEnv(const RepositorySpec& spec, SubprocessOptions* o) {
  o->unsetenv = {"LIFEBOAT_PASSWORD", "LIFEBOAT_PASSWORD_FILE", "LIFEBOAT_PASSWORD_COMMAND",
                 "LIFEBOAT_CONFIG"};
  o->setenv["LIFEBOAT_REPOSITORY"] = spec.url;
  if (!spec.password_file.empty()) {
    std::error_code ec;
    o->setenv["LIFEBOAT_PASSWORD_FILE"] = std::filesystem::absolute(spec.password_file, ec).string();
  } else if (!spec.password_command.empty()) {
    o->setenv["LIFEBOAT_PASSWORD_COMMAND"] = spec.password_command;
  } else if (!spec.password_env.empty()) {
    const char* v = std::getenv(spec.password_env.c_str());
    o->setenv["LIFEBOAT_PASSWORD"] = v != nullptr ? v : "";
  } else {
    o->setenv["LIFEBOAT_PASSWORD"] = std::string(spec.password_inline.reveal());
  }
}

// The port of a URL ("postgres://u@h:5433/db" → 5433), 0 if none.
int UrlPort(const std::string& url) {
  size_t start = url.find("://");
  if (start == std::string::npos) return 0;
  std::string rest = url.substr(start + 3);
  rest = rest.substr(0, rest.find('/'));
  if (size_t at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos || rest.back() == ']') return 0;
  return std::atoi(rest.c_str() + colon + 1);
}

// A shell word in double quotes for archive_command; "" if it needs more.
std::string DoubleQuoted(const std::string& s) {
  if (s.find_first_of("\"$`\\'\n") != std::string::npos) return "";
  return "\"" + s + "\"";
}

// archive_command for a restored server: `lifeboat pg wal-push` into the
// repository it was restored from, the password from its file or
// command (never written into the configuration). "" and *why when the
// repository's password cannot be had that way.
std::string ArchiveCommand(const RepositorySpec& spec, const std::string& exe, std::string* why) {
  std::string cmd, q;
  std::error_code ec;
  // A local path made absolute (the server runs in its data directory); s3: and the like as written.
  const std::string url =
      spec.url.find(':') != std::string::npos ? spec.url : std::filesystem::absolute(spec.url, ec).string();
  if ((q = DoubleQuoted(url)).empty()) {
    *why = "the repository's URL has quotes or $ in it";
    return "";
  }
  cmd = "LIFEBOAT_REPOSITORY=" + q + " ";
  if (!spec.password_file.empty()) {
    q = DoubleQuoted(std::filesystem::absolute(spec.password_file, ec).string());
    cmd += "LIFEBOAT_PASSWORD_FILE=" + q + " ";
  } else if (!spec.password_command.empty()) {
    q = DoubleQuoted(spec.password_command);
    cmd += "LIFEBOAT_PASSWORD_COMMAND=" + q + " ";
  } else {
    *why = "its password is not in a file or from a command (password_file, password_command)";
    return "";
  }
  if (q.empty()) {
    *why = "the password file's path or command has quotes or $ in it";
    return "";
  }
  if ((q = DoubleQuoted(exe)).empty()) {
    *why = "lifeboat's path has quotes or $ in it";
    return "";
  }
  cmd += q;
  for (const auto& [k, v] : spec.options) {
    std::string o = DoubleQuoted(k + "=" + v);
    if (o.empty()) {
      *why = "the repository option " + k + " has quotes or $ in it";
      return "";
    }
    cmd += " -o " + o;
  }
  return cmd + " -q pg wal-push \"%p\"";
}

class Recovery {
 public:
  explicit Recovery(const RecoverRequest& r) : r_(r), s_(*r.service), out_(BlankOutcome(*r.plan, s_)) {
    out_.snapshot = r.snapshot.id.Hex();
    out_.point = r.snapshot.time;
  }

  DrServiceOutcome Run() {
    std::vector<Snapshot> candidates = {r_.snapshot};
    candidates.insert(candidates.end(), r_.fallbacks.begin(), r_.fallbacks.end());
    Status s;
    for (size_t i = 0; i < candidates.size(); ++i) {
      snap_ = candidates[i];
      out_.snapshot = snap_.id.Hex();
      out_.point = snap_.time;
      Event("restore started", "snapshot " + snap_.id.Short() + " of " + FormatLocal(snap_.time));
      s = i == 0 && r_.simulate_damage ? Corrupt(
                                             "simulated damage: the drill's scenario takes it as unreadable, "
                                             "the repository is untouched")
                                       : Restore();
      if (!s.ok() && s.code() == Code::kCorrupt && i + 1 < candidates.size()) {
        const Snapshot& next = candidates[i + 1];
        out_.note = "the newest point " + snap_.id.Short() + " could not be restored (" + s.message() +
                    "); fell back to " + next.id.Short() + " of " + FormatLocal(next.time);
        Event("damaged", out_.note);
        if (Status c = CleanTarget(); !c.ok()) {
          s = c.WithContext("clean the target before the point before");
          break;
        }
        continue;
      }
      break;
    }
    if (s.ok()) {
      Event("restore finished", restored_);
      s = WaitHealthy();
    }
    if (!s.ok()) {
      out_.error = s.message();
      Event("failed", out_.error);
      return out_;
    }
    out_.recovered = true;
    out_.rto_seconds = SecondsBetween(r_.declared, healthy_at_);
    MeasureRpo();
    return out_;
  }

 private:
  void Event(const std::string& what, const std::string& detail) {
    DrEvent e{Now(), s_.name, what, detail};
    if (r_.on_event) r_.on_event(e);
  }

  // Empties what a failed restore left in the target (which held nothing
  // before: CheckTargetEmpty, or a drill's scratch).
  Status CleanTarget() {
    std::error_code ec;
    if (s_.type == "files") {
      if (!std::filesystem::exists(r_.target.path, ec)) return Status::Ok();
      for (const auto& e : std::filesystem::directory_iterator(r_.target.path, ec)) {
        std::filesystem::remove_all(e.path(), ec);
      }
    } else if (Physical()) {
      std::filesystem::remove_all(r_.target.data_dir, ec);
    } else if (s_.type == "redis") {
      auto r = QueryValue("redis", r_.target, "FLUSHALL", 60);
      if (!r.ok()) return r.status();
    }
    if (ec)
      return IoError("clean " + (s_.type == "files" ? r_.target.path : r_.target.data_dir) + ": " +
                     ec.message());
    return Status::Ok();
  }

  bool Physical() const { return s_.type == "postgres" && IsBaseBackup(snap_); }

  // The user a restored PostgreSQL runs as: the endpoint's, else postgres
  // when we are root (PostgreSQL refuses root); none when we are not.
  Status RunAs(SubprocessOptions* o) const {
    if (geteuid() != 0) return Status::Ok();
    const std::string user = r_.target.user.empty() ? "postgres" : r_.target.user;
    passwd* pw = getpwnam(user.c_str());
    if (pw == nullptr) return NotFound("no system user \"" + user + "\" to run the DR PostgreSQL as");
    o->uid = pw->pw_uid;
    o->gid = pw->pw_gid;
    return Status::Ok();
  }

  Status Restore() {
    if (Physical()) return RestorePhysical();
    Repository& repo = *r_.repo;
    RepoSnapshotReader reader(repo, snap_);
    if (s_.type == "files") {
      const std::string path = snap_.paths.empty() ? s_.primary.path : snap_.paths[0];
      std::error_code ec;
      std::filesystem::create_directories(r_.target.path, ec);
      if (ec) return IoError("create " + r_.target.path + ": " + ec.message());
      LB_ASSIGN_OR_RETURN(SnapshotReader::TreeRestore t, reader.RestoreTree(path, r_.target.path, {}));
      if (t.errors > 0) {
        return IoError(std::to_string(t.errors) + " files of " + path + " could not be restored into " +
                       r_.target.path);
      }
      restored_ = std::to_string(t.files) + " files, " + HumanBytes(t.bytes) + " into " + r_.target.path;
      return Status::Ok();
    }
    const Driver* d = DriverForUrl(r_.target.url);
    if (d == nullptr || !d->target)
      return InvalidArgument("no driver restores to " + MaskUrlPassword(r_.target.url));
    std::map<std::string, std::vector<std::string>> opts = s_.source_options;
    if (s_.type == "postgres") opts["create"] = {"true"};
    MapOptions options(opts);
    LB_ASSIGN_OR_RETURN(std::unique_ptr<RestoreTarget> target, d->target(r_.target.url, options));
    LB_RETURN_IF_ERROR(target->Prepare(snap_));
    LB_ASSIGN_OR_RETURN(Report report, target->Restore(reader));
    restored_ = report.lines.empty() ? "into " + target->Handle() : report.lines.front();
    return Status::Ok();
  }

  // A base backup: `lifeboat pg restore` (the base-backup choice, the WAL
  // gap checks and the restore_command live there), as the user the
  // server runs as; the DR site's settings; the server started.
  Status RestorePhysical() {
    const std::string& dir = r_.target.data_dir;
    SubprocessOptions o;
    o.argv = {r_.lifeboat_exe, "-q"};
    for (const auto& [k, v] : r_.repo_spec.options) {
      o.argv.push_back("-o");
      o.argv.push_back(k + "=" + v);
    }
    for (const char* a : {"pg", "restore"}) o.argv.push_back(a);
    o.argv.push_back(snap_.id.Hex());
    for (const std::string& a : {std::string("--data-dir"), dir, std::string("--latest")})
      o.argv.push_back(a);
    RepositoryEnv(r_.repo_spec, &o);
    o.stdout_mode = SubprocessOptions::Io::kNull;
    LB_RETURN_IF_ERROR(RunAs(&o));
    const double wait = r_.plan->health_wait_seconds;
    LB_RETURN_IF_ERROR(RunWithTimeout(o, wait, "pg restore of base backup " + snap_.id.Short()));

    std::string conf = "\n# lifeboat dr: the settings of the site it now runs at\n";
    const int port = r_.target.port != 0 ? r_.target.port : UrlPort(r_.target.url);
    if (port != 0) conf += "port = " + std::to_string(port) + "\n";
    std::map<std::string, std::string> settings = r_.target.settings;
    // Its WAL goes into the repository it came from, never on into the
    // archive of the site it was copied from (the primary's config says
    // that one): a failback starts from there.
    auto mode = settings.find("archive_mode");
    if (settings.count("archive_command") == 0 && (mode == settings.end() || mode->second != "off")) {
      std::string why;
      std::string cmd = ArchiveCommand(r_.repo_spec, r_.lifeboat_exe, &why);
      if (cmd.empty()) {
        settings["archive_mode"] = "off";
        Event("warning",
              "its WAL is not archived (archive_mode off): " + why + "; set archive_command under settings:");
      } else {
        settings["archive_mode"] = "on";
        settings["archive_command"] = cmd;
      }
    }
    for (const auto& [k, v] : settings) conf += k + " = " + ConfQuote(v) + "\n";
    const std::string auto_conf = dir + "/postgresql.auto.conf";
    auto old = ReadWholeFile(auto_conf);
    if (!old.ok()) return old.status().WithContext("the restored configuration");
    FILE* f = std::fopen(auto_conf.c_str(), "a");
    if (f == nullptr) return ErrnoStatus("append to " + auto_conf, errno);
    bool ok = std::fputs(conf.c_str(), f) >= 0;
    ok = (std::fclose(f) == 0) && ok;
    if (!ok) return IoError("append to " + auto_conf);

    SubprocessOptions start;
    start.argv = r_.target.start;
    if (start.argv.empty()) {
      start.argv = {PgCtlPath(),
                    "-D",
                    dir,
                    "-l",
                    dir + "/lifeboat-dr-start.log",
                    "-w",
                    "-t",
                    std::to_string(static_cast<long>(std::ceil(wait))),
                    "start"};
    } else {
      std::string found = FindInPath(start.argv[0]);
      if (!found.empty()) start.argv[0] = found;
    }
    start.stdout_mode = SubprocessOptions::Io::kNull;
    start.unsetenv = {"LIFEBOAT_PASSWORD", "LIFEBOAT_FROM_PASSWORD", "REDISCLI_AUTH", "PGPASSWORD"};
    LB_RETURN_IF_ERROR(RunAs(&start));
    Event("starting", "the PostgreSQL in " + dir + " recovers from the WAL archive");
    Status started = RunWithTimeout(start, wait, "start of the PostgreSQL in " + dir);
    if (!started.ok() && r_.target.start.empty()) {
      // pg_ctl says "Examine the log output": the server's reason is there.
      auto log = ReadWholeFile(dir + "/lifeboat-dr-start.log");
      std::string why;
      if (log.ok()) {
        size_t at = 0;
        while (at < log->size()) {
          size_t nl = log->find('\n', at);
          std::string line = log->substr(at, nl == std::string::npos ? std::string::npos : nl - at);
          if (line.find("FATAL:") != std::string::npos || line.find("PANIC:") != std::string::npos)
            why = line;
          if (nl == std::string::npos) break;
          at = nl + 1;
        }
      }
      if (!why.empty()) return IoError("start of the PostgreSQL in " + dir + " failed: " + why);
    }
    LB_RETURN_IF_ERROR(started);
    restored_ = "base backup " + snap_.id.Short() + " into " + dir + ", started";
    return Status::Ok();
  }

  // Polls until every health check passes (and a recovering PostgreSQL
  // has promoted), up to the plan's health_wait.
  Status WaitHealthy() {
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::duration<double>(r_.plan->health_wait_seconds);
    std::vector<HealthCheck> checks = ChecksOf(s_);
    std::string last = "no answer yet";
    bool promoted = !Physical();
    while (true) {
      bool all = true;
      if (!promoted) {
        auto v = QueryValue("sql", r_.target, "SELECT pg_is_in_recovery()", 10);
        promoted = v.ok() && *v == "f";
        if (!promoted) {
          all = false;
          last = v.ok() ? "still in recovery" : v.status().message();
        }
      }
      for (size_t i = 0; all && i < checks.size(); ++i) {
        HealthResult h = RunHealthCheck(checks[i], s_, r_.target);
        if (!h.ok) {
          all = false;
          last = checks[i].kind + ": " + h.detail;
        }
      }
      if (s_.type == "files" && all && MissingOrEmpty(r_.target.path)) {
        all = false;
        last = r_.target.path + " is empty";
      }
      if (all) break;
      if (Clock::now() >= deadline) {
        return IoError("health checks did not pass within " + HumanDuration(r_.plan->health_wait_seconds) +
                       " (health_wait): " + last);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    healthy_at_ = Now();
    Event("healthy", checks.empty()       ? "restored (no health checks)"
                     : checks.size() == 1 ? "its health check passes"
                                          : "its " + std::to_string(checks.size()) + " health checks pass");
    return Status::Ok();
  }

  void MeasureRpo() {
    if (Physical()) {
      // The last commit the recovery replayed: the point the data reaches.
      auto v = QueryValue("sql", r_.target, "SELECT extract(epoch FROM pg_last_xact_replay_timestamp())", 10);
      if (v.ok() && !v->empty()) {
        double epoch = std::atof(v->c_str());
        out_.point.sec = static_cast<int64_t>(epoch);
        out_.point.nsec = static_cast<int32_t>((epoch - std::floor(epoch)) * 1e9);
      }
    }
    if (s_.heartbeat) {
      auto beat = ReadHeartbeat(s_, r_.target, 10);
      if (beat.ok() && beat->has_value()) {
        auto log = LoadHeartbeatLog(r_.plan->state_dir);
        const int64_t at_target = **beat;
        if (auto it = log.find(s_.name); it != log.end()) {
          out_.rpo_seconds = std::max<int64_t>(0, it->second - at_target) / 1000.0;
          out_.rpo_how = "heartbeat";
        } else {
          out_.rpo_seconds =
              std::max(0.0, double(r_.declared.sec) + r_.declared.nsec / 1e9 - at_target / 1000.0);
          out_.rpo_how = "heartbeat at the target";
        }
        return;
      }
    }
    out_.rpo_seconds = std::max(0.0, SecondsBetween(out_.point, r_.declared));
    out_.rpo_how = Physical() && out_.point.sec != snap_.time.sec ? "last commit" : "backup time";
  }

  const RecoverRequest& r_;
  const DrService& s_;
  Snapshot snap_;
  DrServiceOutcome out_;
  std::string restored_;
  Timestamp healthy_at_;
};

}  // namespace

double SecondsBetween(Timestamp a, Timestamp b) {
  return double(b.sec - a.sec) + double(b.nsec - a.nsec) / 1e9;
}

Result<std::vector<Snapshot>> ServicePoints(const DrService& service,
                                            const std::vector<Snapshot>& snapshots) {
  std::vector<Snapshot> out;
  if (service.type == "postgres" && !service.primary.data_dir.empty()) {
    for (const Snapshot& s : snapshots) {
      if (IsBaseBackup(s) && s.paths.size() == 1 && s.paths[0] == service.primary.data_dir) out.push_back(s);
    }
  } else {
    MapOptions options(service.source_options);
    LB_ASSIGN_OR_RETURN(std::unique_ptr<Source> source, SourceFor(service.source, options));
    std::vector<std::string> paths = RecordedPaths(*source);
    for (const Snapshot& s : snapshots) {
      std::vector<std::string> sp = s.paths;
      std::sort(sp.begin(), sp.end());
      if (sp == paths && !IsBaseBackup(s)) out.push_back(s);
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Snapshot& a, const Snapshot& b) { return b.time < a.time; });
  return out;
}

Result<std::optional<Snapshot>> NewestPoint(const DrService& service,
                                            const std::vector<Snapshot>& snapshots) {
  LB_ASSIGN_OR_RETURN(std::vector<Snapshot> all, ServicePoints(service, snapshots));
  if (all.empty()) return std::optional<Snapshot>();
  return std::optional<Snapshot>(all.front());
}

Status CheckTargetEmpty(const DrService& service, const DrEndpoint& target, bool physical) {
  if (service.type == "files") {
    if (!MissingOrEmpty(target.path)) {
      return AlreadyExists("the DR target " + target.path + " of " + service.name +
                           " is not empty: empty it (or move it away) first");
    }
  } else if (service.type == "postgres" && physical) {
    if (!MissingOrEmpty(target.data_dir)) {
      return AlreadyExists(
          "the DR data directory " + target.data_dir + " of " + service.name +
          " is not empty: is a server running there? Stop it and move the directory away first");
    }
  } else if (service.type == "redis") {
    auto keys = QueryValue("redis", target, "DBSIZE", 10);
    if (!keys.ok()) return keys.status().WithContext("the DR target of " + service.name);
    if (*keys != "0") {
      return AlreadyExists("the DR Redis " + MaskUrlPassword(target.url) + " of " + service.name + " holds " +
                           *keys + " keys: empty it (FLUSHALL) first");
    }
  }
  return Status::Ok();
}

DrServiceOutcome BlankOutcome(const DrPlan& plan, const DrService& service) {
  DrServiceOutcome o;
  o.service = service.name;
  o.type = service.type;
  o.critical = service.critical;
  o.rto_objective = service.rto_seconds(plan.objectives);
  o.rpo_objective = service.rpo_seconds(plan.objectives);
  return o;
}

void ValidateByRestoreTest(Repository& repo, const DrService& service, const Snapshot& snapshot,
                           DrServiceOutcome* out) {
  MapOptions options(service.source_options);
  auto t = RunRestoreTest(repo, snapshot, options, nullptr, nullptr, "dr-drill");
  if (!t.ok()) {
    out->validation =
        "the restore test of " + snapshot.id.Short() + " could not run: " + t.status().message();
    return;
  }
  out->validated = t->passed;
  out->validation = "the restore test of " + snapshot.id.Short() +
                    (t->passed ? " passed" : " FAILED: " + t->reason) + " (" + HumanDuration(t->seconds) +
                    ")";
}

void ValidatedByResults(Repository& repo, std::vector<DrServiceOutcome>* outcomes) {
  auto results = LoadResults(repo, nullptr);
  for (DrServiceOutcome& o : *outcomes) {
    if (!o.recovered || o.snapshot.empty()) continue;
    const std::string short_id = o.snapshot.substr(0, 8);
    if (!results.ok()) {
      o.validation = "the restore tests in the DR repository cannot be read: " + results.status().message();
      continue;
    }
    const RunResult* newest = nullptr;
    for (const RunResult& r : *results) {  // oldest first
      if (r.kind == "verify" && r.sample_groups == 0 && r.snapshot == o.snapshot) newest = &r;
    }
    if (newest == nullptr) {
      o.validation = "no restore test of " + short_id +
                     " is recorded in the DR repository (run dr drill --level 1 or lifeboat verify there)";
      continue;
    }
    o.validated = newest->passed;
    o.validation = "the restore test of " + short_id + " on " + FormatLocal(newest->time) +
                   (newest->passed ? " passed" : " FAILED: " + newest->reason);
  }
}

std::string PgCtlPath() {
  std::string found = FindInPath("pg_ctl");
  if (!found.empty()) return found;
  std::string best;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    std::string p = e.path().string() + "/bin/pg_ctl";
    if (access(p.c_str(), X_OK) == 0 && p > best) best = p;
  }
  return best.empty() ? "pg_ctl" : best;
}

DrServiceOutcome RecoverService(const RecoverRequest& request) { return Recovery(request).Run(); }

Status RunPlanCommand(const std::vector<std::string>& argv, const std::string& what) {
  SubprocessOptions o;
  o.argv = argv;
  std::string found = FindInPath(o.argv[0]);
  if (!found.empty()) o.argv[0] = found;
  o.stdout_fd = STDERR_FILENO;
  o.unsetenv = {"LIFEBOAT_PASSWORD", "LIFEBOAT_FROM_PASSWORD", "REDISCLI_AUTH",
                "PGPASSWORD",        "AWS_SECRET_ACCESS_KEY",  "AWS_SESSION_TOKEN"};
  return RunWithTimeout(o, 300, what);
}

bool IsBaseBackupSnapshot(const Snapshot& s) { return IsBaseBackup(s); }

}  // namespace lifeboat
