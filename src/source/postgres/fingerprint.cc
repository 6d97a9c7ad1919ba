#include "source/postgres/fingerprint.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "source/postgres/conn.h"

namespace lifeboat::pg {
namespace {

constexpr const char* kSessionSettings =
    "SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET TimeZone = 'UTC'; "
    "SET extra_float_digits = 1; SET bytea_output = 'hex'; SET row_security = off; "
    "SET statement_timeout = 0; SET lock_timeout = 0";

// The sum of a 64-bit hash of every row's text. hashtextextended is the
// hash behind hash partitioning (stable across versions and pg_upgrade)
// and much cheaper than md5; sum() of bigint accumulates in 128 bits and
// returns numeric, so it cannot overflow.
std::string SumOfHashes(const std::string& expr) {
  return "coalesce(sum(hashtextextended(" + expr + ", 0)), 0)::text";
}

struct Work {
  std::string name, kind, sql;
  uint64_t pages = 0;
};

Result<std::vector<Work>> ListWork(PgConn& conn) {
  LB_ASSIGN_OR_RETURN(
      Rows rows,
      conn.Query("SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relkind, c.relpages "
                 "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                 "WHERE c.relkind IN ('r', 'S') AND c.relpersistence <> 't' "
                 "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                 "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' "
                 "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
                 "AND d.objid = c.oid AND d.deptype = 'e') ORDER BY 1"));
  std::vector<Work> work;
  for (size_t i = 0; i < rows.size(); ++i) {
    Work w;
    w.name = rows.at(i, 0);
    w.pages = std::strtoull(rows.at(i, 2).c_str(), nullptr, 10);
    if (rows.at(i, 1) == "S") {
      w.kind = "sequence";
      w.sql = "SELECT 1, " + SumOfHashes("last_value::text || ',' || is_called::text") + " FROM " + w.name;
    } else {
      w.kind = "table";
      w.sql = "SELECT count(*), " + SumOfHashes("t::text") + " FROM ONLY " + w.name + " AS t";
    }
    work.push_back(std::move(w));
  }
  LB_ASSIGN_OR_RETURN(Rows lo, conn.Query("SELECT count(*) FROM pg_largeobject_metadata"));
  if (lo.size() == 1 && lo.at(0, 0) != "0") {
    Work w;
    w.name = "pg_largeobject";
    w.kind = "large objects";
    w.sql = "SELECT count(*), " + SumOfHashes("oid::text || ':' || md5(lo_get(oid))") +
            " FROM pg_largeobject_metadata";
    w.pages = 1ull << 40;
    work.push_back(std::move(w));
  }
  // Largest first, so the connections finish together.
  std::stable_sort(work.begin(), work.end(), [](const Work& a, const Work& b) { return a.pages > b.pages; });
  return work;
}

Status BeginSnapshot(PgConn& conn, const std::string& snapshot) {
  LB_RETURN_IF_ERROR(conn.Exec(kSessionSettings));
  LB_RETURN_IF_ERROR(conn.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  if (!snapshot.empty()) LB_RETURN_IF_ERROR(conn.Exec("SET TRANSACTION SNAPSHOT " + QuoteLiteral(snapshot)));
  return Status::Ok();
}

}  // namespace

Result<DatabaseFingerprint> TakeFingerprint(const PgTarget& target, const std::string& db,
                                            const std::string& snapshot, int connections) {
  LB_ASSIGN_OR_RETURN(auto first, PgConn::Connect(target, db));
  LB_RETURN_IF_ERROR(BeginSnapshot(*first, snapshot).WithContext("fingerprint"));
  LB_ASSIGN_OR_RETURN(std::vector<Work> work, ListWork(*first));
  std::vector<std::unique_ptr<PgConn>> conns;
  conns.push_back(std::move(first));
  int want = std::max(1, std::min<int>(connections, static_cast<int>(work.size())));
  for (int i = 1; i < want; ++i) {
    auto c = PgConn::Connect(target, db);
    if (!c.ok()) break;  // fewer connections are fine (max_connections)
    if (!BeginSnapshot(**c, snapshot).ok()) break;
    conns.push_back(std::move(*c));
  }
  std::atomic<size_t> next{0};
  std::mutex mu;
  Status failure;
  DatabaseFingerprint out;
  out.database = db;
  auto run = [&](PgConn* conn) {
    for (size_t i = next++; i < work.size(); i = next++) {
      auto rows = conn->Query(work[i].sql);
      std::lock_guard<std::mutex> lock(mu);
      if (!rows.ok()) {
        if (failure.ok()) failure = rows.status().WithContext("fingerprint of " + work[i].name);
        return;
      }
      out.tables.push_back({work[i].name, work[i].kind, std::strtoull(rows->at(0, 0).c_str(), nullptr, 10),
                            rows->at(0, 1)});
    }
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < conns.size(); ++i) threads.emplace_back(run, conns[i].get());
  run(conns[0].get());
  for (auto& t : threads) t.join();
  if (!failure.ok()) return failure;
  for (auto& c : conns) c->Exec("COMMIT").IgnoreError();
  std::sort(out.tables.begin(), out.tables.end(),
            [](const TableFingerprint& a, const TableFingerprint& b) { return a.name < b.name; });
  return out;
}

std::string FingerprintToJson(const DatabaseFingerprint& f) {
  nlohmann::json tables = nlohmann::json::array();
  for (const auto& t : f.tables) {
    tables.push_back({{"name", t.name}, {"kind", t.kind}, {"rows", t.rows}, {"checksum", t.checksum}});
  }
  nlohmann::json j{{"database", f.database}, {"method", "sum of hashtextextended(row::text, 0)"}, {"tables", tables}};
  return j.dump(1) + "\n";
}

Result<DatabaseFingerprint> FingerprintFromJson(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("tables") || !j["tables"].is_array()) {
    return Corrupt("fingerprint: not a fingerprint document");
  }
  DatabaseFingerprint f;
  if (j.contains("database") && j["database"].is_string()) f.database = j["database"];
  for (const auto& t : j["tables"]) {
    if (!t.is_object() || !t.contains("name") || !t["name"].is_string() || !t.contains("rows") ||
        !t["rows"].is_number_unsigned() || !t.contains("checksum") || !t["checksum"].is_string()) {
      return Corrupt("fingerprint: damaged table entry");
    }
    TableFingerprint tf;
    tf.name = t["name"];
    tf.kind = t.contains("kind") && t["kind"].is_string() ? t["kind"].get<std::string>() : "table";
    tf.rows = t["rows"];
    tf.checksum = t["checksum"];
    f.tables.push_back(std::move(tf));
  }
  return f;
}

std::vector<TableComparison> CompareFingerprints(const DatabaseFingerprint& expected,
                                                 const DatabaseFingerprint& actual) {
  std::map<std::string, const TableFingerprint*> got;
  for (const auto& t : actual.tables) got[t.name] = &t;
  std::vector<TableComparison> out;
  for (const auto& e : expected.tables) {
    TableComparison c;
    c.name = e.name;
    auto it = got.find(e.name);
    std::string rows = std::to_string(e.rows) + (e.rows == 1 ? " row" : " rows");
    if (it == got.end()) {
      c.detail = "missing after restore (" + rows + " at backup)";
    } else if (it->second->rows != e.rows) {
      c.detail = "rows: " + std::to_string(e.rows) + " at backup, " + std::to_string(it->second->rows) + " restored";
    } else if (it->second->checksum != e.checksum) {
      c.detail = rows + ", but the contents differ (checksum)";
    } else {
      c.ok = true;
      c.detail = rows + ", checksum equal";
    }
    if (it != got.end()) got.erase(it);
    out.push_back(std::move(c));
  }
  for (const auto& [name, t] : got) {
    out.push_back({name, false, "not in the backup, but present after restore"});
  }
  return out;
}

}  // namespace lifeboat::pg
