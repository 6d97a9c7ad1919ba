#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "engine/select.h"
#include "engine/walk.h"

namespace lifeboat::cli {
namespace {

std::string ModeString(const Node& n) {
  char t = '-';
  if (n.type == "dir") t = 'd';
  else if (n.type == "symlink") t = 'L';
  else if (n.type == "dev") t = 'D';
  else if (n.type == "chardev") t = 'c';
  else if (n.type == "fifo") t = 'p';
  else if (n.type == "socket") t = 'S';
  std::string s(1, t);
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) s += (n.mode & (1u << (8 - i))) ? rwx[i] : '-';
  // Special bits the way ls(1) shows them.
  auto special = [&](size_t pos, bool on, char exec_on, char exec_off) {
    if (on) s[pos] = s[pos] == 'x' ? exec_on : exec_off;
  };
  special(3, n.mode & gomode::kSetuid, 's', 'S');
  special(6, n.mode & gomode::kSetgid, 's', 'S');
  special(9, n.mode & gomode::kSticky, 't', 'T');
  return s;
}

int RunLs(Context& ctx) {
  const auto& pos = ctx.args().positional();
  if (pos.empty()) return Fail(ctx, InvalidArgument("ls needs a snapshot ID (or \"latest\")"));
  auto snap = ctx.OpenSnapshot(pos[0]);
  if (!snap.ok()) return Fail(ctx, snap.status());
  Repository& repo = ctx.repo();
  std::vector<std::string> dirs(pos.begin() + 1, pos.end());
  bool long_format = ctx.args().Has("long");
  auto wanted = [&](const std::string& path) {
    if (dirs.empty()) return true;
    for (const auto& d : dirs) {
      std::string base = d.size() > 1 && d.back() == '/' ? d.substr(0, d.size() - 1) : d;
      if (path == base || path.rfind(base + "/", 0) == 0) return true;
    }
    return false;
  };
  auto descend = [&](const std::string& path) {
    if (dirs.empty()) return true;
    for (const auto& d : dirs) {
      if (path == d || d.rfind(path + "/", 0) == 0 || path.rfind(d, 0) == 0) return true;
    }
    return false;
  };
  if (ctx.json()) {
    nlohmann::json j{{"message_type", "snapshot"}, {"id", snap->id.Hex()}, {"paths", snap->paths},
                     {"hostname", snap->hostname}, {"time", FormatRfc3339(snap->time)}};
    std::printf("%s\n", j.dump().c_str());
  } else if (!ctx.quiet()) {
    std::printf("snapshot %s of %zu path(s) at %s:\n", snap->id.Short().c_str(), snap->paths.size(),
                FormatLocal(snap->time).c_str());
  }
  Status s = WalkTree(repo, snap->tree, "", [&](const std::string& path, const Node& n) {
    if (wanted(path)) {
      if (ctx.json()) {
        nlohmann::json j{{"message_type", "node"}, {"name", n.name}, {"type", n.type},
                         {"path", path},           {"uid", n.uid},   {"gid", n.gid},
                         {"size", n.size},         {"mode", n.mode}, {"mtime", FormatRfc3339(n.mtime)}};
        std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      } else if (long_format) {
        std::string user = n.user.empty() ? std::to_string(n.uid) : n.user;
        std::string group = n.group.empty() ? std::to_string(n.gid) : n.group;
        std::printf("%s %8s %8s %12llu %s %s%s%s\n", ModeString(n).c_str(), user.c_str(), group.c_str(),
                    (unsigned long long)n.size, FormatLocal(n.mtime).c_str(), path.c_str(),
                    n.type == "symlink" ? " -> " : "", n.type == "symlink" ? n.link_target.c_str() : "");
      } else {
        std::printf("%s\n", path.c_str());
      }
    }
    return descend(path);
  });
  if (!s.ok()) return Fail(ctx, s);
  return kExitOk;
}

}  // namespace

Command LsCommand() {
  std::vector<FlagSpec> flags = {{"long", 'l', false, "long listing: mode, owner, size, time"}};
  AddFilterFlags(&flags);
  return {"ls", "ls [flags] SNAPSHOT [DIR...]", "list files in a snapshot", flags, RunLs};
}

}  // namespace lifeboat::cli
