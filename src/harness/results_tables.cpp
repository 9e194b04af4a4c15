#include "src/harness/results_tables.h"

#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <set>

#include "src/core/error.h"
#include "src/core/files.h"
#include "src/core/spec.h"

namespace actlab {

namespace fs = std::filesystem;

std::vector<std::string> table_columns(const Table& rows) {
  // Identity and outcome first, then the rest alphabetically (JSON objects keep keys sorted).
  std::vector<std::string> columns;
  std::set<std::string> seen;
  for (const char* first : {"run_id", "experiment", "status", "epoch", "layer", "index"}) {
    for (const auto& row : rows) {
      if (row.contains(first) && seen.insert(first).second) columns.push_back(first);
    }
  }
  for (const auto& row : rows) {
    for (const auto& [key, value] : row.items()) {
      if (!value.is_structured() && seen.insert(key).second) columns.push_back(key);
    }
  }
  return columns;
}

namespace {

std::string csv_field(const nlohmann::json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) {
    const std::string text = value.get<std::string>();
    if (text.find_first_of(",\"\n") == std::string::npos) return text;
    std::string quoted = "\"";
    for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
  }
  if (value.is_number_float()) return format_number(value.get<double>());
  return value.dump();
}

class Database {
 public:
  // `shown`: the name errors give (the file this one is renamed to).
  Database(const fs::path& path, const fs::path& shown) : path_(shown) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
      throw Error(fmt::format("cannot create '{}': {}", path.string(), sqlite3_errmsg(db_)));
    }
  }
  ~Database() { sqlite3_close(db_); }
  void exec(const std::string& sql) {
    char* message = nullptr;
    const int code = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    const std::string text = message ? message : "";
    sqlite3_free(message);
    check(code, sql, text);
  }
  // Throws for a failed SQLite call: a full disk or an I/O error is a write failure like any
  // other (WriteError: the sweep stops, resumable), anything else an Error naming the statement.
  void check(int code, const std::string& sql, std::string text = {}) const {
    if (code == SQLITE_OK || code == SQLITE_DONE || code == SQLITE_ROW) return;
    if ((code & 0xFF) == SQLITE_FULL) throw WriteError(path_, ENOSPC);
    if ((code & 0xFF) == SQLITE_IOERR) throw WriteError(path_, EIO);
    if (text.empty()) text = sqlite3_errmsg(db_);
    throw Error(fmt::format("cannot write '{}': SQLite: {} in: {}", path_.string(), text,
                            sql.substr(0, 200)));
  }
  // Creates `table` with `columns` (REAL for numbers, TEXT otherwise) and inserts `rows`.
  void write_table(const std::string& table, const Table& rows) {
    const auto columns = table_columns(rows);
    if (columns.empty()) {
      exec(fmt::format("CREATE TABLE {} (run_id TEXT)", table));
      return;
    }
    std::vector<std::string> definitions, placeholders;
    for (const auto& column : columns) {
      bool numeric = true;
      for (const auto& row : rows) {
        if (row.contains(column) && !row[column].is_null() && !row[column].is_number() &&
            !row[column].is_boolean()) {
          numeric = false;
        }
      }
      definitions.push_back(fmt::format("\"{}\" {}", column, numeric ? "REAL" : "TEXT"));
      placeholders.push_back("?");
    }
    exec(fmt::format("CREATE TABLE {} ({})", table, join(definitions)));
    std::vector<std::string> quoted;
    for (const auto& column : columns) quoted.push_back("\"" + column + "\"");
    const std::string sql =
        fmt::format("INSERT INTO {} ({}) VALUES ({})", table, join(quoted), join(placeholders));
    sqlite3_stmt* prepared = nullptr;
    check(sqlite3_prepare_v2(db_, sql.c_str(), -1, &prepared, nullptr), sql);
    const std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(prepared,
                                                                          sqlite3_finalize);
    for (const auto& row : rows) {
      check(sqlite3_reset(statement.get()), sql);
      for (size_t i = 0; i < columns.size(); ++i) {
        const int slot = static_cast<int>(i) + 1;
        const auto it = row.find(columns[i]);
        if (it == row.end() || it->is_null()) {
          check(sqlite3_bind_null(statement.get(), slot), sql);
        } else if (it->is_boolean()) {
          check(sqlite3_bind_double(statement.get(), slot, it->get<bool>() ? 1 : 0), sql);
        } else if (it->is_number()) {
          check(sqlite3_bind_double(statement.get(), slot, it->get<double>()), sql);
        } else {
          const std::string text = it->is_string() ? it->get<std::string>() : it->dump();
          check(sqlite3_bind_text(statement.get(), slot, text.c_str(), -1, SQLITE_TRANSIENT), sql);
        }
      }
      check(sqlite3_step(statement.get()), sql);  // SQLITE_DONE: the row is in
    }
  }

 private:
  fs::path path_;
  sqlite3* db_ = nullptr;
};

}  // namespace

void write_csv_table(const fs::path& path, const Table& rows) {
  const auto columns = table_columns(rows);
  std::string csv = join(columns, ",") + "\n";
  for (const auto& row : rows) {
    std::vector<std::string> fields;
    for (const auto& column : columns)
      fields.push_back(row.contains(column) ? csv_field(row[column]) : "");
    csv += join(fields, ",") + "\n";
  }
  write_file_atomic(path, csv);
}

void write_sqlite_tables(const fs::path& path,
                         const std::vector<std::pair<std::string, Table>>& tables) {
  const fs::path temporary = fs::path(path).concat(fmt::format(".tmp{}", ::getpid()));
  const auto remove_temporary = [&] {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    fs::remove(fs::path(temporary).concat("-journal"), ignored);
  };
  remove_temporary();
  try {
    {
      Database db(temporary, path);
      db.exec("BEGIN");
      for (const auto& [name, rows] : tables) db.write_table(name, rows);
      db.exec("COMMIT");
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) throw WriteError(path, errno);
  } catch (...) {  // the previous file stays; no temporary file is left behind
    remove_temporary();
    throw;
  }
}

}  // namespace actlab
