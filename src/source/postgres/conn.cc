#include "source/postgres/conn.h"

#include <libpq-fe.h>

namespace lifeboat::pg {
namespace {

std::string OneLine(const char* msg) {
  std::string s = msg ? msg : "";
  for (char& c : s) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  size_t pos;
  while ((pos = s.find("  ")) != std::string::npos) s.erase(pos, 1);
  return s;
}

}  // namespace

Result<std::unique_ptr<PgConn>> PgConn::Connect(const PgTarget& target, const std::string& db) {
  auto params = target.ConnectParams(db);
  params.emplace_back("application_name", "lifeboat");
  params.emplace_back("connect_timeout", target.Get("connect_timeout").empty() ? "10" : target.Get("connect_timeout"));
  std::vector<const char*> keys, vals;
  for (const auto& [k, v] : params) {
    keys.push_back(k.c_str());
    vals.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  vals.push_back(nullptr);
  std::unique_ptr<PgConn> c(new PgConn());
  c->where_ = target.Display(db);
  c->conn_ = PQconnectdbParams(keys.data(), vals.data(), 0);
  if (c->conn_ == nullptr) return Internal("libpq: out of memory");
  // NOTICEs (e.g. "all required WAL segments have been archived") are not
  // for the user's terminal.
  PQsetNoticeProcessor(c->conn_, [](void*, const char*) {}, nullptr);
  if (PQstatus(c->conn_) != CONNECTION_OK) {
    std::string why = OneLine(PQerrorMessage(c->conn_));
    std::string what = "connect to " + c->where_ + ": " + why;
    if (why.find("password authentication failed") != std::string::npos ||
        why.find("no password supplied") != std::string::npos ||
        why.find("permission denied") != std::string::npos ||
        why.find("no pg_hba.conf entry") != std::string::npos) {
      return Status(Code::kAccessDenied, what);
    }
    if (why.find("does not exist") != std::string::npos) return NotFound(what);
    return Status(Code::kUnavailable, what);
  }
  return c;
}

PgConn::~PgConn() {
  if (conn_ != nullptr) PQfinish(conn_);
}

int PgConn::server_version() const { return PQserverVersion(conn_); }

Result<Rows> PgConn::Query(const std::string& sql) {
  PGresult* r = PQexec(conn_, sql.c_str());
  ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    std::string why = OneLine(PQresultErrorMessage(r));
    if (why.empty()) why = OneLine(PQerrorMessage(conn_));
    PQclear(r);
    Code code = PQstatus(conn_) == CONNECTION_OK ? Code::kIoError : Code::kUnavailable;
    return Status(code, where_ + ": " + why);
  }
  Rows rows;
  int nf = PQnfields(r), nt = PQntuples(r);
  for (int f = 0; f < nf; ++f) rows.columns.push_back(PQfname(r, f));
  rows.values.resize(static_cast<size_t>(nt));
  rows.nulls.resize(static_cast<size_t>(nt));
  for (int t = 0; t < nt; ++t) {
    for (int f = 0; f < nf; ++f) {
      rows.values[t].emplace_back(PQgetvalue(r, t, f), static_cast<size_t>(PQgetlength(r, t, f)));
      rows.nulls[t].push_back(PQgetisnull(r, t, f) != 0);
    }
  }
  PQclear(r);
  return rows;
}

Status PgConn::Exec(const std::string& sql) { return Query(sql).status(); }

std::string QuoteIdent(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string QuoteLiteral(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace lifeboat::pg
