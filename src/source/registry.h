// The drivers, found by URL scheme (backup redis://..., restore --to
// postgres://...) or by the snapshot they made (dump, verify, restore
// --data-dir). Generic commands dispatch here instead of each one knowing
// every source; source/all registers the drivers of this build.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/timefmt.h"
#include "repo/snapshot.h"
#include "source/source.h"

namespace lifeboat {

// The options a command was given, as a driver sees them: the flags today,
// the config file's keys next. Keys are flag names without dashes.
class OptionView {
 public:
  virtual ~OptionView() = default;
  virtual bool Has(const std::string& key) const = 0;
  virtual std::string Get(const std::string& key, const std::string& fallback = "") const = 0;
  virtual std::vector<std::string> All(const std::string& key) const = 0;
};

// A verify (restore test) result: passed or not, and what was found.
struct VerifyOutcome {
  bool passed = false;
  Report report;
};

// What a source's continuous archive holds (PostgreSQL's WAL, archived by
// archive_command into a repository): the newest file the system reports
// archived, found in the repository, and when it was archived.
struct ArchiveStatus {
  std::string last_file;
  Timestamp last_time;
  // Set if archiving has failed since (the system's words): the check
  // fails, and last_file still says how far the archive reaches.
  std::string failing;
};

// The newest point in time a restore of a snapshot reaches: past the
// snapshot's own time when the system keeps a continuous archive.
struct RecoveryPoint {
  Timestamp time;
  std::string detail;  // where it was found, for a person: "the last commit in WAL ..."
};

// One check `lifeboat doctor` made of a source: what was found and, when
// it is not a pass, what to do about it. No secrets in either.
struct Diagnosis {
  enum class Level { kPass, kWarn, kFail };
  Level level = Level::kPass;
  std::string check;   // "connect", "pg_dump", "archive_command", ...
  std::string detail;  // what was found, one line
  std::string fix;     // for kWarn and kFail: the remedy, one line
};

struct Driver {
  std::string name;                  // "redis"; also the word in messages
  std::vector<std::string> schemes;  // URL schemes it backs up and restores to
  // True for the snapshots this driver made.
  std::function<bool(const Snapshot&)> owns;
  // backup URL
  std::function<Result<std::unique_ptr<Source>>(const std::string& url, const OptionView& options)> source;
  // restore SNAPSHOT --to URL
  std::function<Result<std::unique_ptr<RestoreTarget>>(const std::string& url, const OptionView& options)>
      target;
  // restore SNAPSHOT --data-dir DIR (files for a stopped server)
  std::function<Result<std::unique_ptr<RestoreTarget>>(const std::string& dir, const OptionView& options)>
      data_dir_target;
  // dump SNAPSHOT: the data in the system's own format, to fd
  std::function<Status(SnapshotReader& reader, const OptionView& options, int fd)> dump;
  // verify SNAPSHOT: restore into a scratch server and compare fingerprints
  std::function<Result<VerifyOutcome>(SnapshotReader& reader, const OptionView& options)> verify;
  // archive_check of a job: asks the system at `url` what it last archived
  // and checks that `repo` holds it; an error names what is wrong (archiving
  // off, failing since, the file not in this repository).
  std::function<Result<ArchiveStatus>(const std::string& url, const OptionView& options, Repository& repo)>
      archive_status;
  // doctor: connectivity, authentication, the tools the driver runs (and
  // their versions against the server's), the server's settings backups
  // depend on. Never fails as a call: problems are kFail lines.
  std::function<std::vector<Diagnosis>(const std::string& url, const OptionView& options)> diagnose;
  // dr assess: the newest point a restore of the reader's snapshot reaches
  // with the archive in its repository (PostgreSQL: the last commit in the
  // WAL that a recovery from a base backup replays); nullopt when that is
  // the snapshot's time. Optional.
  std::function<Result<std::optional<RecoveryPoint>>(SnapshotReader& reader)> newest_point;
};

// Adds a driver; a later one with the same name replaces it.
void RegisterDriver(Driver driver);
// The driver for a URL's scheme ("redis://h:p" → redis); nullptr if none.
const Driver* DriverForUrl(const std::string& url);
// The driver that made a snapshot; nullptr for a file snapshot.
const Driver* DriverForSnapshot(const Snapshot& snapshot);
// Every registered driver, in registration order.
std::vector<const Driver*> Drivers();
// The file-system source, for paths (source/fs registers it through
// source/all, so that nothing above source/ names a driver).
using FilesSourceFactory = std::function<std::unique_ptr<Source>(std::vector<std::string> paths)>;
void RegisterFilesSource(FilesSourceFactory factory);
// The source of a job's or a command's `what`: a driver's, by the URL's
// scheme; the file-system source for a path. kInvalidArgument for a URL no
// driver takes.
Result<std::unique_ptr<Source>> SourceFor(const std::string& what, const OptionView& options);
// "postgres://, redis://" for messages.
std::string RegisteredSchemes();
// The scheme of "scheme://rest" (lowercase letters, digits, + - .), or "".
std::string UrlScheme(const std::string& text);

}  // namespace lifeboat
