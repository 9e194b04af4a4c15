#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace actlab {

// A table as the results files hold it: one JSON object per row; its scalar fields are the
// columns (structured ones are left out).
using Table = std::vector<nlohmann::json>;

// The union of the rows' scalar keys: identity and outcome first (run_id, experiment, status,
// epoch, layer, index), then the rest in first-seen order.
std::vector<std::string> table_columns(const Table& rows);

// Each writes a temporary file and renames it into place: a failure (WriteError for a full disk
// or an I/O error) leaves the previous file and no temporary file.
void write_csv_table(const std::filesystem::path& path, const Table& rows);  // RFC 4180
// One SQLite table per entry: REAL columns where every value is a number (or a boolean), TEXT
// otherwise.
void write_sqlite_tables(const std::filesystem::path& path,
                         const std::vector<std::pair<std::string, Table>>& tables);

}  // namespace actlab
