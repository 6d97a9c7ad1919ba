// tree_manifest DIR: prints one line per entry below DIR with everything a
// restore must reproduce — type, mode (with setuid/setgid/sticky), owner,
// size, mtime in nanoseconds, content hash, link target, device number,
// extended attributes, hard-link group and sparseness — so two trees can be
// compared with diff. Names are printed with non-printable bytes escaped.
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "crypto/sha256.h"
#include "source/fs_node.h"

namespace {

std::string Escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x21 || c > 0x7e || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string ContentHash(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return "unreadable";
  lifeboat::Sha256Hasher h;
  std::string buf(1 << 20, '\0');
  ssize_t n;
  while ((n = read(fd, buf.data(), buf.size())) > 0) h.Update(std::string_view(buf.data(), n));
  close(fd);
  return lifeboat::HexEncode(h.Finish()).substr(0, 16);
}

std::string Xattrs(const std::string& path) {
  char names[65536];
  ssize_t len = llistxattr(path.c_str(), names, sizeof names);
  if (len <= 0) return "";
  std::vector<std::string> list;
  for (ssize_t pos = 0; pos < len;) {
    std::string name(names + pos);
    pos += static_cast<ssize_t>(name.size()) + 1;
    char value[65536];
    ssize_t vlen = lgetxattr(path.c_str(), name.c_str(), value, sizeof value);
    list.push_back(name + "=" + lifeboat::HexEncode(std::string_view(value, vlen < 0 ? 0 : vlen)));
  }
  std::sort(list.begin(), list.end());
  std::string out;
  for (const auto& x : list) out += " xattr:" + x;
  return out;
}

struct Walker {
  std::string root;
  std::map<std::pair<dev_t, ino_t>, std::string> first_link;
  std::vector<std::string> lines;

  void Walk(const std::string& rel) {
    std::string dir = rel.empty() ? root : root + "/" + rel;
    auto names = lifeboat::ReadDirNames(dir);
    if (!names.ok()) {
      lines.push_back(Escape(rel) + " unreadable-dir");
      return;
    }
    for (const auto& name : *names) {
      std::string child_rel = rel.empty() ? name : rel + "/" + name;
      std::string path = root + "/" + child_rel;
      struct stat st;
      if (lstat(path.c_str(), &st) != 0) continue;
      char head[256];
      std::snprintf(head, sizeof head, " mode=%06o uid=%u gid=%u", st.st_mode, st.st_uid, st.st_gid);
      std::string line = Escape(child_rel) + head;
      if (!S_ISDIR(st.st_mode)) {
        line += " mtime=" + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
      }
      if (S_ISREG(st.st_mode)) {
        line += " size=" + std::to_string(st.st_size) + " sha=" + ContentHash(path);
        if (st.st_blocks * 512 < st.st_size) line += " sparse";
        if (st.st_nlink > 1) {
          auto key = std::make_pair(st.st_dev, st.st_ino);
          auto [it, inserted] = first_link.try_emplace(key, child_rel);
          line += " linkgroup=" + Escape(it->second) + " nlink=" + std::to_string(st.st_nlink);
        }
      } else if (S_ISLNK(st.st_mode)) {
        char target[8192];
        ssize_t n = readlink(path.c_str(), target, sizeof target);
        line += " target=" + Escape(std::string(target, n < 0 ? 0 : n));
      } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
        line += " rdev=" + std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
      }
      line += Xattrs(path);
      lines.push_back(line);
      if (S_ISDIR(st.st_mode)) {
        // A directory's mtime is checked after its contents were walked (lines are
        // sorted anyway); listing it does not change mtime.
        lines.back() += " mtime=" + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
        Walk(child_rel);
      }
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: tree_manifest DIR\n");
    return 2;
  }
  Walker w{argv[1], {}, {}};
  w.Walk("");
  for (const auto& l : w.lines) std::printf("%s\n", l.c_str());
  return 0;
}
