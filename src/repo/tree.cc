#include "repo/tree.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "repo/go_quote.h"

namespace lifeboat {

uint32_t GoModeFromStat(mode_t m) {
  uint32_t g = m & 0777;
  switch (m & S_IFMT) {
    case S_IFDIR: g |= gomode::kDir; break;
    case S_IFLNK: g |= gomode::kSymlink; break;
    case S_IFBLK: g |= gomode::kDevice; break;
    case S_IFCHR: g |= gomode::kDevice | gomode::kCharDevice; break;
    case S_IFIFO: g |= gomode::kNamedPipe; break;
    case S_IFSOCK: g |= gomode::kSocket; break;
    default: break;
  }
  if (m & S_ISUID) g |= gomode::kSetuid;
  if (m & S_ISGID) g |= gomode::kSetgid;
  if (m & S_ISVTX) g |= gomode::kSticky;
  return g;
}

mode_t UnixPermFromGoMode(uint32_t g) {
  mode_t m = g & gomode::kPerm;
  if (g & gomode::kSetuid) m |= S_ISUID;
  if (g & gomode::kSetgid) m |= S_ISGID;
  if (g & gomode::kSticky) m |= S_ISVTX;
  return m;
}

namespace {

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xc0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xe0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    *out += static_cast<char>(0xf0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Length of the valid UTF-8 sequence at s[i], or 0 if it is invalid.
size_t ValidSequenceAt(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  return IsValidUtf8(s.substr(i, len)) ? len : 0;
}

void AppendTime(std::string* out, const char* key, Timestamp t) {
  *out += ",\"";
  *out += key;
  *out += "\":\"";
  *out += FormatRfc3339(t);
  *out += '"';
}

void AppendUint(std::string* out, const char* key, uint64_t v, bool omit_zero) {
  if (omit_zero && v == 0) return;
  *out += ",\"";
  *out += key;
  *out += "\":";
  *out += std::to_string(v);
}

}  // namespace

void AppendJsonString(std::string* out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  *out += '"';
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t len = ValidSequenceAt(s, i);
      if (len == 0) {
        AppendUtf8(out, 0xfffd);
        ++i;
      } else {
        out->append(s.substr(i, len));
        i += len;
      }
      continue;
    }
    if (c == '"' || c == '\\') {
      *out += '\\';
      *out += static_cast<char>(c);
    } else if (c == '\n') {
      *out += "\\n";
    } else if (c == '\r') {
      *out += "\\r";
    } else if (c == '\t') {
      *out += "\\t";
    } else if (c < 0x20) {
      *out += "\\u00";
      *out += kHex[c >> 4];
      *out += kHex[c & 15];
    } else {
      *out += static_cast<char>(c);
    }
    ++i;
  }
  *out += '"';
}

std::string EncodeTree(const Tree& tree) {
  std::string out = "{\"nodes\":[";
  bool first = true;
  for (const Node& n : tree.nodes) {
    if (!first) out += ',';
    first = false;
    out += "{\"name\":";
    AppendJsonString(&out, GoQuote(n.name));
    out += ",\"type\":";
    AppendJsonString(&out, n.type);
    AppendUint(&out, "mode", n.mode, true);
    AppendTime(&out, "mtime", n.mtime);
    AppendTime(&out, "atime", n.atime);
    AppendTime(&out, "ctime", n.ctime);
    AppendUint(&out, "uid", n.uid, false);
    AppendUint(&out, "gid", n.gid, false);
    if (!n.user.empty()) {
      out += ",\"user\":";
      AppendJsonString(&out, n.user);
    }
    if (!n.group.empty()) {
      out += ",\"group\":";
      AppendJsonString(&out, n.group);
    }
    AppendUint(&out, "inode", n.inode, true);
    AppendUint(&out, "device_id", n.device_id, true);
    AppendUint(&out, "size", n.size, true);
    AppendUint(&out, "links", n.links, true);
    if (!n.link_target.empty()) {
      out += ",\"linktarget\":";
      AppendJsonString(&out, n.link_target);
      if (!IsValidUtf8(n.link_target)) {
        out += ",\"linktarget_raw\":\"" + Base64Encode(n.link_target) + '"';
      }
    }
    if (!n.xattrs.empty()) {
      out += ",\"extended_attributes\":[";
      for (size_t i = 0; i < n.xattrs.size(); ++i) {
        if (i) out += ',';
        out += "{\"name\":";
        AppendJsonString(&out, n.xattrs[i].first);
        out += ",\"value\":\"" + Base64Encode(n.xattrs[i].second) + "\"}";
      }
      out += ']';
    }
    AppendUint(&out, "device", n.device, true);
    out += ",\"content\":";
    if (n.type == "file") {
      out += '[';
      for (size_t i = 0; i < n.content.size(); ++i) {
        if (i) out += ',';
        out += '"' + n.content[i].Hex() + '"';
      }
      out += ']';
    } else {
      out += "null";
    }
    if (n.type == "file" && !n.fingerprint.empty()) out += ",\"lifeboat_xxh128\":\"" + n.fingerprint + '"';
    if (n.subtree) out += ",\"subtree\":\"" + n.subtree->Hex() + '"';
    if (!n.error.empty()) {
      out += ",\"error\":";
      AppendJsonString(&out, n.error);
    }
    out += '}';
  }
  out += "]}\n";
  return out;
}

namespace {

Status ParseTime(const nlohmann::json& j, const char* key, Timestamp* out) {
  if (!j.contains(key) || j[key].is_null()) return Status::Ok();
  if (!j[key].is_string()) return Corrupt(std::string("tree: ") + key + " is not a string");
  auto t = ParseRfc3339(j[key].get<std::string>());
  if (!t) return Corrupt(std::string("tree: invalid time in ") + key);
  *out = *t;
  return Status::Ok();
}

template <typename T>
Status ParseUint(const nlohmann::json& j, const char* key, T* out) {
  if (!j.contains(key) || j[key].is_null()) return Status::Ok();
  if (!j[key].is_number_unsigned()) {
    if (j[key].is_number_integer() && j[key].get<int64_t>() >= 0) {
      *out = static_cast<T>(j[key].get<int64_t>());
      return Status::Ok();
    }
    return Corrupt(std::string("tree: ") + key + " is not an unsigned number");
  }
  *out = static_cast<T>(j[key].get<uint64_t>());
  return Status::Ok();
}

Status ParseString(const nlohmann::json& j, const char* key, std::string* out) {
  if (!j.contains(key) || j[key].is_null()) return Status::Ok();
  if (!j[key].is_string()) return Corrupt(std::string("tree: ") + key + " is not a string");
  *out = j[key].get<std::string>();
  return Status::Ok();
}

Status ParseRaw(const nlohmann::json& j, const char* key, std::string* out) {
  if (!j.contains(key)) return Status::Ok();
  auto raw = j[key].is_string() ? Base64Decode(j[key].get<std::string>()) : std::nullopt;
  if (!raw) return Corrupt(std::string("tree: ") + key + " is not base64");
  *out = *raw;
  return Status::Ok();
}

// restic's names are Go-quoted (go_quote.h). Trees lifeboat wrote before it
// quoted names carry the exact bytes in "name_raw"; a name that does not
// unquote is taken as it stands rather than refusing the whole tree.
Status ParseName(const nlohmann::json& j, std::string* out) {
  LB_RETURN_IF_ERROR(ParseString(j, "name", out));
  if (j.contains("name_raw")) return ParseRaw(j, "name_raw", out);
  if (auto raw = GoUnquote(*out)) *out = std::move(*raw);
  return Status::Ok();
}

Result<Node> ParseNode(const nlohmann::json& j) {
  if (!j.is_object()) return Corrupt("tree: node is not an object");
  Node n;
  LB_RETURN_IF_ERROR(ParseName(j, &n.name));
  LB_RETURN_IF_ERROR(ParseString(j, "type", &n.type));
  LB_RETURN_IF_ERROR(ParseUint(j, "mode", &n.mode));
  LB_RETURN_IF_ERROR(ParseTime(j, "mtime", &n.mtime));
  LB_RETURN_IF_ERROR(ParseTime(j, "atime", &n.atime));
  LB_RETURN_IF_ERROR(ParseTime(j, "ctime", &n.ctime));
  LB_RETURN_IF_ERROR(ParseUint(j, "uid", &n.uid));
  LB_RETURN_IF_ERROR(ParseUint(j, "gid", &n.gid));
  LB_RETURN_IF_ERROR(ParseString(j, "user", &n.user));
  LB_RETURN_IF_ERROR(ParseString(j, "group", &n.group));
  LB_RETURN_IF_ERROR(ParseUint(j, "inode", &n.inode));
  LB_RETURN_IF_ERROR(ParseUint(j, "device_id", &n.device_id));
  LB_RETURN_IF_ERROR(ParseUint(j, "size", &n.size));
  LB_RETURN_IF_ERROR(ParseUint(j, "links", &n.links));
  LB_RETURN_IF_ERROR(ParseString(j, "linktarget", &n.link_target));
  LB_RETURN_IF_ERROR(ParseRaw(j, "linktarget_raw", &n.link_target));
  LB_RETURN_IF_ERROR(ParseUint(j, "device", &n.device));
  LB_RETURN_IF_ERROR(ParseString(j, "error", &n.error));
  LB_RETURN_IF_ERROR(ParseString(j, "lifeboat_xxh128", &n.fingerprint));
  if (!n.fingerprint.empty() && (n.fingerprint.size() != 32 ||
                                 n.fingerprint.find_first_not_of("0123456789abcdef") != std::string::npos)) {
    return Corrupt("tree: invalid lifeboat_xxh128 fingerprint of " + n.name);
  }
  if (j.contains("extended_attributes") && j["extended_attributes"].is_array()) {
    for (const auto& x : j["extended_attributes"]) {
      std::string name, value;
      if (!x.is_object()) return Corrupt("tree: extended attribute is not an object");
      LB_RETURN_IF_ERROR(ParseString(x, "name", &name));
      LB_RETURN_IF_ERROR(ParseRaw(x, "value", &value));
      n.xattrs.emplace_back(std::move(name), std::move(value));
    }
  }
  if (j.contains("content") && j["content"].is_array()) {
    for (const auto& c : j["content"]) {
      auto id = c.is_string() ? Id::FromHex(c.get<std::string>()) : std::nullopt;
      if (!id) return Corrupt("tree: invalid content id in " + n.name);
      n.content.push_back(*id);
    }
  }
  if (j.contains("subtree") && !j["subtree"].is_null()) {
    auto id = j["subtree"].is_string() ? Id::FromHex(j["subtree"].get<std::string>()) : std::nullopt;
    if (!id) return Corrupt("tree: invalid subtree id in " + n.name);
    n.subtree = *id;
  }
  if (n.name.empty()) return Corrupt("tree: node without a name");
  return n;
}

}  // namespace

Result<Tree> DecodeTree(std::string_view json) {
  // Wrong types in the JSON (a string where a number belongs, ...) make
  // nlohmann throw: damaged input, not a crash (found by the lock fuzzer).
  try {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Corrupt("tree is not a JSON object");
  Tree tree;
  if (!j.contains("nodes") || j["nodes"].is_null()) return tree;
  if (!j["nodes"].is_array()) return Corrupt("tree: nodes is not an array");
  tree.nodes.reserve(j["nodes"].size());
  for (const auto& node : j["nodes"]) {
    LB_ASSIGN_OR_RETURN(Node n, ParseNode(node));
    tree.nodes.push_back(std::move(n));
  }
  return tree;
  } catch (const nlohmann::json::exception& e) {
    return Corrupt(std::string("tree: malformed JSON value: ") + e.what());
  }
}

const Node* FindNode(const Tree& tree, std::string_view name) {
  auto it = std::lower_bound(tree.nodes.begin(), tree.nodes.end(), name,
                             [](const Node& n, std::string_view v) { return n.name < v; });
  return it != tree.nodes.end() && it->name == name ? &*it : nullptr;
}

bool SameFileMetadata(const Node& before, const Node& now) {
  return before.size == now.size && before.mtime == now.mtime && before.ctime == now.ctime &&
         before.inode == now.inode;
}

}  // namespace lifeboat
