// PgConn: one libpq connection, errors as Status values. Messages name the
// server and database (never the password) and carry libpq's cause.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "source/postgres/target.h"

struct pg_conn;
struct pg_result;

namespace lifeboat::pg {

// Rows of text values; NULL is "" with is_null set.
struct Rows {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> values;
  std::vector<std::vector<bool>> nulls;
  size_t size() const { return values.size(); }
  const std::string& at(size_t row, size_t col) const { return values[row][col]; }
};

class PgConn {
 public:
  // Connects to `db` on the target's server. Wrong password, refused
  // connections and unknown databases are kAccessDenied / kUnavailable /
  // kNotFound with libpq's message.
  static Result<std::unique_ptr<PgConn>> Connect(const PgTarget& target, const std::string& db);
  ~PgConn();

  // Runs one or more statements; returns the rows of the last one.
  Result<Rows> Query(const std::string& sql);
  Status Exec(const std::string& sql);
  // Server version as a number (150004) and its major (15).
  int server_version() const;
  int major_version() const { return server_version() / 10000; }
  const std::string& where() const { return where_; }

 private:
  PgConn() = default;
  pg_conn* conn_ = nullptr;
  std::string where_;  // "postgres://user@host:port/db"
};

// Quotes an identifier / a literal for SQL.
std::string QuoteIdent(const std::string& name);
std::string QuoteLiteral(const std::string& value);

}  // namespace lifeboat::pg
