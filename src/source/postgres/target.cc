#include "source/postgres/target.h"

#include <libpq-fe.h>

#include <cstdlib>

#include "env/env.h"

namespace lifeboat::pg {

bool IsPgUrl(std::string_view s) {
  return s.starts_with("postgres://") || s.starts_with("postgresql://");
}

namespace {

// Quotes a value for a libpq keyword string.
std::string Quote(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

Result<PgTarget> ParsePgTarget(const std::string& text) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(text.c_str(), &err);
  if (opts == nullptr) {
    std::string why = err ? err : "out of memory";
    if (err) PQfreemem(err);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    // libpq's message may quote the input; never repeat a password.
    return InvalidArgument("malformed PostgreSQL connection URL: " + why.substr(0, why.find('"')));
  }
  PgTarget t;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0') continue;
    std::string key = o->keyword, val = o->val;
    if (key == "password") {
      t.password = Secret(val);
    } else if (key == "dbname") {
      t.dbname = val;
    } else {
      t.params.emplace_back(key, val);
    }
  }
  PQconninfoFree(opts);
  if (t.password.empty()) {
    if (const char* f = std::getenv("LIFEBOAT_PG_PASSWORD_FILE"); f != nullptr && *f != '\0') {
      auto text_or = ReadWholeFile(f);
      if (!text_or.ok()) return text_or.status().WithContext("LIFEBOAT_PG_PASSWORD_FILE");
      std::string pw = std::move(*text_or);
      if (!pw.empty() && pw.back() == '\n') pw.pop_back();
      t.password = Secret(std::move(pw));
    }
  }
  return t;
}

std::string PgTarget::Get(const std::string& key) const {
  for (const auto& [k, v] : params) {
    if (k == key) return v;
  }
  return "";
}

std::string PgTarget::Display(const std::string& db) const {
  std::string user = Get("user"), host = Get("host"), port = Get("port");
  std::string out = "postgres://";
  if (!user.empty()) out += user + "@";
  bool socket = !host.empty() && host[0] == '/';
  if (!socket) out += host;
  if (!port.empty()) out += ":" + port;
  out += "/" + db;
  if (socket) out += "?host=" + host;
  return out;
}

std::string PgTarget::ConnInfo(const std::string& db) const {
  std::string out;
  for (const auto& [k, v] : params) out += k + "=" + Quote(v) + " ";
  if (!db.empty()) out += "dbname=" + Quote(db);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::vector<std::pair<std::string, std::string>> PgTarget::ConnectParams(const std::string& db) const {
  auto out = params;
  if (!db.empty()) out.emplace_back("dbname", db);
  if (!password.empty()) out.emplace_back("password", std::string(password.reveal()));
  return out;
}

std::map<std::string, std::string> PgTarget::ChildEnv() const {
  std::map<std::string, std::string> env;
  if (!password.empty()) env["PGPASSWORD"] = std::string(password.reveal());
  return env;
}

}  // namespace lifeboat::pg
