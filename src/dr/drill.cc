#include "dr/drill.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "base/bytes.h"
#include "crypto/crypto.h"
#include "dr/assess.h"
#include "dr/failover.h"
#include "dr/health.h"
#include "dr/heartbeat.h"
#include "dr/recover.h"
#include "env/env.h"
#include "env/process.h"
#include "jobs/attempt.h"
#include "jobs/hooks.h"
#include "repo/keyfile.h"
#include "repo/lock.h"
#include "server/http.h"
#include "storage/storage.h"
#include "verify/trial_restore.h"

namespace lifeboat {
namespace {

// A port nothing listens on now (the kernel's choice on loopback).
Result<int> FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus("socket", errno);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  if (rc == 0) rc = getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int err = errno;
  close(fd);
  if (rc != 0) return ErrnoStatus("find a free port", err);
  return static_cast<int>(ntohs(a.sin_port));
}

// url with its host and port replaced by 127.0.0.1:port (user, password
// and path kept).
std::string ScratchUrl(const std::string& url, int port) {
  size_t start = url.find("://");
  if (start == std::string::npos) return url;
  std::string scheme = url.substr(0, start + 3), rest = url.substr(start + 3);
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash), path = slash == std::string::npos ? "" : rest.substr(slash);
  size_t at = authority.rfind('@');
  std::string user = at == std::string::npos ? "" : authority.substr(0, at + 1);
  return scheme + user + "127.0.0.1:" + std::to_string(port) + path;
}

class Scratch;

// Every scratch place of this process, for CleanUpDrillScratch (an
// interrupt: the owning threads do not unwind before the process ends).
std::mutex live_mu;
std::set<Scratch*>& Live() {
  static std::set<Scratch*> live;
  return live;
}

// The scratch place of one service, removed (its servers stopped) when it
// goes out of scope, whatever happened, or on an interrupt.
class Scratch {
 public:
  Scratch(const DrService& s, std::function<void(const DrEvent&)> event) : s_(s), event_(std::move(event)) {
    std::lock_guard<std::mutex> l(live_mu);
    Live().insert(this);
  }
  ~Scratch() {
    Cleanup();  // while still listed: an interrupt's cleanup waits for this one to finish
    std::lock_guard<std::mutex> l(live_mu);
    Live().erase(this);
  }

  Status Make(const std::string& root, const Snapshot& point) {
    std::string templ = root + "/lifeboat-drill-" + s_.name + ".XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) return ErrnoStatus("create a scratch directory in " + root, errno);
    dir_ = buf.data();
    if (s_.type == "files") {
      endpoint_.path = dir_ + "/files";
      return Status::Ok();
    }
    LB_ASSIGN_OR_RETURN(int port, FreePort());
    endpoint_.url = ScratchUrl(s_.dr.url, port);
    endpoint_.port = port;
    if (s_.type == "postgres" && IsBaseBackupSnapshot(point)) {
      endpoint_.data_dir = dir_ + "/pgdata";
      endpoint_.user = s_.dr.user;
      endpoint_.settings = {{"listen_addresses", "127.0.0.1"},
                            {"unix_socket_directories", dir_},
                            {"archive_mode", "off"}};  // never into a real repository
      if (geteuid() == 0) {
        passwd* pw = getpwnam(s_.dr.user.empty() ? "postgres" : s_.dr.user.c_str());
        if (pw == nullptr) return NotFound("no system user to run the drill's PostgreSQL as");
        if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) return ErrnoStatus("chown " + dir_, errno);
        uid_ = pw->pw_uid;
        gid_ = pw->pw_gid;
      }
      return Status::Ok();
    }
    if (s_.type == "redis") {
      std::string server = FindInPath("redis-server");
      if (server.empty()) return NotFound("no redis-server in $PATH for the drill's scratch Redis");
      SubprocessOptions o;
      o.argv = {server,   "--port", std::to_string(port), "--bind", "127.0.0.1",   "--dir", dir_,
                "--save", "",       "--appendonly",       "no",     "--daemonize", "no"};
      // The scratch server takes the DR URL's password, so the plan's
      // health checks and the restore authenticate as they would there.
      std::string rest = s_.dr.url.substr(s_.dr.url.find("://") + 3);
      if (size_t at = rest.rfind('@'); at != std::string::npos) {
        std::string cred = rest.substr(0, at);
        size_t colon = cred.find(':');
        std::string pw = colon == std::string::npos ? cred : cred.substr(colon + 1);
        if (!pw.empty()) {
          // In a file of the scratch directory (0600), never in argv.
          const std::string conf = dir_ + "/redis.conf";
          int fd = open(conf.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
          if (fd < 0) return ErrnoStatus("create " + conf, errno);
          std::string quoted;
          for (char c : pw) quoted += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
          Status w = WriteAll(fd, "requirepass \"" + quoted + "\"\n", conf);
          close(fd);
          LB_RETURN_IF_ERROR(w);
          o.argv.insert(o.argv.begin() + 1, conf);
        }
      }
      o.stdout_mode = SubprocessOptions::Io::kNull;
      LB_ASSIGN_OR_RETURN(redis_, Subprocess::Start(o));
      for (int i = 0; i < 200; ++i) {
        auto pong = QueryValue("redis", endpoint_, "PING", 1);
        if (pong.ok()) return Status::Ok();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      return IoError("the drill's scratch redis-server on port " + std::to_string(port) + " did not answer");
    }
    return Status::Ok();  // a logical PostgreSQL: the driver's restore test makes its own server
  }

  const DrEndpoint& endpoint() const { return endpoint_; }
  const std::string& dir() const { return dir_; }

  // The scratch Redis killed with SIGKILL, as a primary is lost.
  void KillServer() {
    std::lock_guard<std::mutex> l(mu_);
    if (!redis_) return;
    redis_->Signal(SIGKILL);
    (void)redis_->Wait();
    redis_.reset();
  }

  void Cleanup() {
    std::lock_guard<std::mutex> l(mu_);  // the owner and an interrupt may both come here
    if (dir_.empty()) return;
    if (!endpoint_.data_dir.empty() && std::filesystem::exists(endpoint_.data_dir + "/postmaster.pid")) {
      SubprocessOptions o;
      o.argv = {PgCtlPath(), "-D", endpoint_.data_dir, "-m", "immediate", "-w", "-t", "60", "stop"};
      o.stdout_mode = SubprocessOptions::Io::kNull;
      if (uid_) {
        o.uid = *uid_;
        o.gid = *gid_;
      }
      Status st = RunWithTimeout(o, 90, "stop the drill's PostgreSQL");
      if (!st.ok()) event_({Now(), s_.name, "warning", st.message()});
    }
    if (redis_) {
      redis_->Terminate();
      (void)redis_->Wait();
      redis_.reset();
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    event_({Now(), s_.name, "cleaned up",
            ec ? "could not remove " + dir_ + ": " + ec.message() : "scratch " + dir_ + " removed"});
    dir_.clear();
  }

 private:
  const DrService& s_;
  std::function<void(const DrEvent&)> event_;
  std::string dir_;
  DrEndpoint endpoint_;
  std::unique_ptr<Subprocess> redis_;
  std::optional<uid_t> uid_;
  std::optional<gid_t> gid_;
  std::mutex mu_;
};

// The median time of three runs of `probe` at `at`; nullopt if one fails.
std::optional<double> ProbeSeconds(const HealthCheck& probe, const DrService& s, const DrEndpoint& at) {
  std::vector<double> t;
  for (int i = 0; i < 3; ++i) {
    HealthResult r = RunHealthCheck(probe, s, at);
    if (!r.ok) return std::nullopt;
    t.push_back(r.seconds);
  }
  std::sort(t.begin(), t.end());
  return t[1];
}

// The scenario primary-lost-mid-write, on the service just brought back in
// `a` (the stand-in primary): a writer beats into it as fast as it
// acknowledges, a snapshot of it is taken into a repository of the scratch
// while the writes go on, the writes go on after it, and then it is lost
// (a Redis killed with SIGKILL; a directory's writer stopped) between two
// writes. The snapshot is restored into a second scratch place and the
// newest beat found there against the newest one acknowledged is the data
// lost; every beat acknowledged before the snapshot began must be there.
// PostgreSQL is not simulated (its stand-in runs without a WAL archive);
// says so in the note.
void SimulateLostMidWrite(const DrPlan& plan, const DrService& s, Scratch& a,
                          const std::function<void(const DrEvent&)>& event, DrServiceOutcome* out) {
  auto note = [&](const std::string& what) { out->note += (out->note.empty() ? "" : "; ") + what; };
  if (s.type != "redis" && s.type != "files") {
    note("primary lost mid-write: not simulated for " + s.type +
         " (measure it with a failover of the real primary, dr_failover_test kills one mid-load)");
    event({Now(), s.name, "scenario", out->note});
    return;
  }
  auto fail = [&](const std::string& why) {
    out->recovered = false;
    out->error = "primary lost mid-write: " + why;
    event({Now(), s.name, "failed", out->error});
  };
  // The repository the stand-in is backed up into: in the scratch, with a
  // password that lives in memory only.
  RepositorySpec repo_spec;
  repo_spec.name = "drill-scratch-" + s.name;
  repo_spec.url = a.dir() + "/repository";
  repo_spec.password_inline = Secret(HexEncode(RandomBytes(16)));
  {
    auto storage = OpenStorage(repo_spec.url);
    Status made =
        storage.ok() ? Repository::Init(**storage, repo_spec.password_inline, KdfParams{}) : storage.status();
    if (!made.ok()) return fail("the scratch repository: " + made.message());
  }
  const DrEndpoint& at = a.endpoint();
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int64_t> acked;
  std::string write_error;
  bool stop = false;
  std::thread writer([&] {
    for (;;) {
      {
        std::lock_guard<std::mutex> l(mu);
        if (stop) return;
      }
      int64_t ms = BeatNow();
      Status w = WriteHeartbeat(s, at, ms, 2);
      std::lock_guard<std::mutex> l(mu);
      if (!w.ok()) {
        write_error = w.message();
        stop = true;
        cv.notify_all();
        return;
      }
      acked.push_back(ms);
      cv.notify_all();
    }
  });
  auto wait_for = [&](size_t n) {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return acked.size() >= n || stop; });
    return acked.size();
  };
  auto end_writer = [&] {
    {
      std::lock_guard<std::mutex> l(mu);
      stop = true;
    }
    writer.join();
  };
  constexpr size_t kBeats = 20;
  wait_for(kBeats);
  int64_t before_snapshot;
  {
    std::lock_guard<std::mutex> l(mu);
    before_snapshot = acked.empty() ? 0 : acked.back();
  }
  JobSpec job;
  job.name = "drill-" + s.name;
  job.type = s.type;
  job.source = s.type == "files" ? at.path : at.url;
  job.repository = repo_spec.name;
  job.options = s.source_options;
  JobTargets targets;
  targets.repository = repo_spec;
  ProgressCounters progress;
  AttemptResult r = RunAttempt(job, targets, &progress, nullptr);
  const size_t want = wait_for(kBeats) + kBeats;
  const size_t after = wait_for(want);  // the writes that go on after the snapshot
  // Lost between two writes: the server killed while the writer runs.
  if (s.type == "redis") a.KillServer();
  Timestamp lost = Now();
  end_writer();
  // A write may fail only when the server is gone (a Redis after the kill).
  if (after < want) return fail("the writer stopped before the loss: " + write_error);
  int64_t last_acked = acked.empty() ? 0 : acked.back();
  // "incomplete" is a snapshot too: a file replaced while it was read (the
  // writer's temporary file) is what a backup under writes meets.
  if (r.result != "success" && (r.result != "incomplete" || r.snapshot_id.empty()))
    return fail("the snapshot of the stand-in primary: " + r.error);
  if (r.result == "incomplete") event({Now(), s.name, "warning", "the snapshot taken mid-write: " + r.error});
  event({Now(), s.name, "primary lost",
         std::to_string(acked.size()) + " writes acknowledged, snapshot " + r.snapshot_id.substr(0, 8) +
             " taken while they went on" + (s.type == "redis" ? ", the server killed with SIGKILL" : "")});

  auto repo = OpenRepository(repo_spec);
  Status loaded = repo.ok() ? (*repo)->LoadIndex() : repo.status();
  if (!loaded.ok()) return fail("the scratch repository: " + loaded.message());
  auto id = Id::FromHex(r.snapshot_id);
  auto snap = id ? (*repo)->LoadSnapshot(*id) : Result<Snapshot>(NotFound("snapshot " + r.snapshot_id));
  if (!snap.ok()) return fail(snap.status().message());
  Scratch b(s, event);
  if (Status m = b.Make(plan.scratch_dir, *snap); !m.ok()) return fail(m.message());
  RecoverRequest req;
  req.plan = &plan;
  req.service = &s;
  req.target = b.endpoint();
  req.repo = repo->get();
  req.repo_spec = repo_spec;
  req.snapshot = *snap;
  req.declared = lost;
  req.on_event = event;
  DrServiceOutcome second = RecoverService(req);
  if (!second.recovered) return fail("the restore of the snapshot taken mid-write: " + second.error);
  auto found = ReadHeartbeat(s, b.endpoint(), 10);
  if (!found.ok()) return fail(found.status().message());
  if (!*found || **found < before_snapshot) {
    return fail("the snapshot lacks writes acknowledged before it began (newest found " +
                (*found ? std::to_string(**found) : std::string("none")) + ", want at least " +
                std::to_string(before_snapshot) + ")");
  }
  double loss = std::max<int64_t>(0, last_acked - **found) / 1000.0;
  double rto = second.rto_seconds.value_or(0);
  std::string summary = "primary lost mid-write: " + std::to_string(acked.size()) +
                        " writes acknowledged, the snapshot taken among them restored in " +
                        std::to_string(rto).substr(0, 5) + "s; " + std::to_string(loss).substr(0, 5) +
                        "s of acknowledged writes lost (objective " + HumanDuration(out->rpo_objective) +
                        (loss <= out->rpo_objective ? ", met)" : ", MISSED)");
  note(summary);
  out->simulated_loss_seconds = loss;
  event({Now(), s.name, "measured", summary});
}

}  // namespace

int CleanUpDrillScratch() {
  std::lock_guard<std::mutex> l(live_mu);
  int n = 0;
  for (Scratch* sc : Live()) {
    sc->Cleanup();
    ++n;
  }
  return n;
}

const std::vector<std::string>& DrillScenarios() {
  static const std::vector<std::string> kScenarios = {"repository-unreachable", "damaged-pack", "copy-lag",
                                                      "primary-lost-mid-write"};
  return kScenarios;
}

DrRecord RunDrill(const DrPlan& plan, const DrillOptions& options, std::string* save_error) {
  DrRecord rec;
  rec.kind = "drill";
  rec.level = options.level;
  rec.scenario = options.scenario;
  rec.plan = plan.path;
  rec.host = HostName();
  rec.rto_objective = plan.objectives.rto_seconds;
  rec.rpo_objective = plan.objectives.rpo_seconds;
  rec.declared = Now();
  std::mutex mu;
  auto event = [&](const DrEvent& e) {
    std::lock_guard<std::mutex> lock(mu);
    rec.timeline.push_back(e);
    if (options.on_event) options.on_event(e);
  };
  std::unique_ptr<Repository> repo;
  auto finish = [&](const std::string& error) -> DrRecord {
    if (!error.empty()) {
      rec.error = error;
      event({Now(), "", "stopped", error});
    }
    rec.finished = Now();
    if (repo) {
      auto saved = SaveDrRecord(*repo, rec);
      if (!saved.ok() && save_error != nullptr) *save_error = saved.status().message();
    }
    return rec;
  };
  const auto& scenarios = DrillScenarios();
  if (options.level < 1 || options.level > 4)
    return finish("--level " + std::to_string(options.level) + ": want 1, 2, 3 or 4");
  if (options.level == 4 &&
      std::find(scenarios.begin(), scenarios.end(), options.scenario) == scenarios.end()) {
    std::string list;
    for (const std::string& s : scenarios) list += (list.empty() ? "" : ", ") + s;
    return finish("a level 4 drill needs --scenario: one of " + list +
                  (options.scenario.empty() ? "" : " (not \"" + options.scenario + "\")"));
  }
  if (options.level != 4 && !options.scenario.empty()) return finish("--scenario is for level 4 drills");
  auto chosen = ChosenGroups(plan, options.services);
  if (!chosen.ok()) return finish(chosen.status().message());
  std::vector<std::vector<const DrService*>> groups = *chosen;
  if (options.level == 2) {
    if (options.services.size() > 1)
      return finish("a level 2 drill brings back one service: give one --service");
    if (options.services.empty()) {
      const DrService* pick = nullptr;
      for (const auto& g : groups) {
        for (const DrService* s : g) {
          if (pick == nullptr || (s->critical && !pick->critical)) pick = s;
        }
      }
      groups = {{pick}};
    }
  }
  std::string names;
  for (const auto& g : groups) {
    for (const DrService* s : g) names += (names.empty() ? "" : ", ") + s->name;
  }
  event({rec.declared, "", "declared",
         "drill level " + std::to_string(options.level) +
             (options.scenario.empty() ? "" : " (" + options.scenario + ")") + " of " + names +
             " from the DR repository into scratch under " + plan.scratch_dir});

  std::map<std::string, std::vector<Snapshot>> points;  // newest first
  {
    std::unique_ptr<RepoLock> lock;
    Status s = [&]() -> Status {
      LB_ASSIGN_OR_RETURN(repo, OpenRepository(plan.dr.repository));
      LB_RETURN_IF_ERROR(repo->LoadIndex());
      LB_ASSIGN_OR_RETURN(std::vector<Snapshot> all, repo->LoadAllSnapshots());
      for (const auto& g : groups) {
        for (const DrService* svc : g) {
          LB_ASSIGN_OR_RETURN(points[svc->name], ServicePoints(*svc, all));
          if (points[svc->name].empty())
            return NotFound("the DR repository holds no snapshot of " + svc->name);
        }
      }
      return Status::Ok();
    }();
    if (!s.ok()) return finish(s.message());
  }
  if (options.scenario == "repository-unreachable") {
    event({Now(), "", "scenario",
           "the primary repository is taken as lost: only the DR repository is read (every restore, and "
           "PostgreSQL's restore_command, use it)"});
  }
  if (options.scenario == "copy-lag") {
    Assessment a = AssessPlan(plan, rec.declared);
    for (const ServiceAssessment& sa : a.services) {
      if (!points.count(sa.service)) continue;
      std::string detail =
          sa.copy_lag_seconds
              ? "the DR copy is " + HumanDuration(*sa.copy_lag_seconds) + " behind the primary repository"
              : "the copy lag is not known (" +
                    (sa.primary.reachable ? std::string("no point at one site")
                                          : "the primary repository: " + sa.primary.error) +
                    ")";
      if (sa.rpo_seconds) {
        detail += "; a failover now loses " + HumanDuration(*sa.rpo_seconds) + " (objective " +
                  HumanDuration(sa.rpo_objective) +
                  (*sa.rpo_seconds <= sa.rpo_objective ? ", met)" : ", MISSED)");
      }
      event({Now(), sa.service, "copy lag", detail});
    }
  }

  for (const auto& g : groups) {
    for (const DrService* svc : g) {
      rec.services.push_back(BlankOutcome(plan, *svc));
    }
  }
  std::string failed;
  for (size_t gi = 0; gi < groups.size() && failed.empty(); ++gi) {
    const auto& group = groups[gi];
    std::vector<DrServiceOutcome> outcomes(group.size());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < group.size(); ++i) {
      threads.emplace_back([&, i] {
        const DrService& s = *group[i];
        DrServiceOutcome& out = outcomes[i];
        const std::vector<Snapshot>& pts = points.at(s.name);
        auto run_test = [&](const std::string& why) {
          // The restore test: the driver's scratch server, or a scratch
          // directory with every file read back.
          out = BlankOutcome(plan, s);
          out.snapshot = pts.front().id.Hex();
          out.point = pts.front().time;
          event({Now(), s.name, "restore test started", "snapshot " + pts.front().id.Short() + why});
          MapOptions mo(s.source_options);
          auto t = RunRestoreTest(*repo, pts.front(), mo, nullptr, nullptr, "dr-drill");
          if (!t.ok() || !t->passed) {
            out.error = t.ok() ? t->reason : t.status().message();
            if (t.ok()) {
              out.validated = false;
              out.validation = "the restore test of " + pts.front().id.Short() + " FAILED: " + t->reason;
            }
            event({Now(), s.name, "failed", out.error});
            return;
          }
          out.recovered = true;
          out.validated = true;
          out.validation = "the restore test of " + pts.front().id.Short() + " passed";
          out.rto_seconds = SecondsBetween(rec.declared, Now());
          out.rpo_seconds = std::max(0.0, SecondsBetween(out.point, rec.declared));
          out.rpo_how = "backup time";
          event({Now(), s.name, "healthy",
                 "restore test passed: " +
                     (t->report.lines.empty() ? std::string("restored") : t->report.lines.back())});
        };
        if (options.level == 1 || (s.type == "postgres" && !IsBaseBackupSnapshot(pts.front()))) {
          run_test(options.level == 1 ? "" : " (a logical dump: into the driver's scratch server)");
          return;
        }
        Scratch scratch(s, event);
        if (Status m = scratch.Make(plan.scratch_dir, pts.front()); !m.ok()) {
          out.service = s.name;
          out.error = m.message();
          event({Now(), s.name, "failed", out.error});
          return;
        }
        std::optional<double> baseline;
        if (!s.probe.kind.empty()) baseline = ProbeSeconds(s.probe, s, s.primary);
        RecoverRequest req;
        req.plan = &plan;
        req.service = &s;
        req.target = scratch.endpoint();
        req.repo = repo.get();
        req.repo_spec = plan.dr.repository;
        req.snapshot = pts.front();
        req.fallbacks.assign(pts.begin() + 1, pts.end());
        req.simulate_damage = options.scenario == "damaged-pack";
        req.declared = rec.declared;
        req.lifeboat_exe = options.lifeboat_exe;
        req.on_event = event;
        out = RecoverService(req);
        if (out.recovered && !s.probe.kind.empty()) {
          std::optional<double> there = ProbeSeconds(s.probe, s, scratch.endpoint());
          if (baseline && there && *there > 0) {
            out.performance = *baseline / *there;
            event({Now(), s.name, "probe",
                   "at the primary " + std::to_string(*baseline * 1000).substr(0, 6) + " ms, in scratch " +
                       std::to_string(*there * 1000).substr(0, 6) + " ms"});
          } else {
            event({Now(), s.name, "probe",
                   baseline ? "the probe failed in scratch" : "the probe failed at the primary"});
          }
        }
        if (out.recovered && options.scenario == "primary-lost-mid-write")
          SimulateLostMidWrite(plan, s, scratch, event, &out);
        if (out.recovered) {  // data validation: the restore test of the point brought back
          auto used = std::find_if(pts.begin(), pts.end(),
                                   [&](const Snapshot& p) { return p.id.Hex() == out.snapshot; });
          if (used != pts.end()) {
            ValidateByRestoreTest(*repo, s, *used, &out);
            event({Now(), s.name, out.validated.value_or(false) ? "validated" : "not validated",
                   out.validation});
          }
        }
      });
    }
    for (std::thread& t : threads) t.join();
    for (size_t i = 0; i < group.size(); ++i) {
      for (DrServiceOutcome& o : rec.services) {
        if (o.service == group[i]->name) o = outcomes[i];
      }
      if (!outcomes[i].recovered && failed.empty()) failed = group[i]->name + ": " + outcomes[i].error;
    }
  }
  if (!failed.empty()) return finish("the drill failed (" + failed + "); its scratch was removed");
  rec.succeeded = true;
  event({Now(), "", "done", "every service came back in scratch; production was not touched"});
  return finish("");
}

}  // namespace lifeboat
