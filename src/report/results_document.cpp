#include "src/report/results_document.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

#include "src/core/build_info.h"
#include "src/core/error.h"
#include "src/core/files.h"
#include "src/core/spec.h"
#include "src/harness/experiment.h"
#include "src/harness/results.h"
#include "src/harness/run_set.h"
#include "src/harness/verdict.h"
#include "src/harness/verdicts_file.h"

namespace actlab {

namespace fs = std::filesystem;

namespace {

constexpr const char* kEnd = "<!-- /actlab -->";

// A markdown table cell: pipes would end the cell, newlines the row.
std::string cell(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

// The experiment file's multi-line strings as one paragraph.
std::string paragraph(const std::string& text) {
  std::istringstream words(text);
  std::string word, out;
  while (words >> word) out += (out.empty() ? "" : " ") + word;
  return out;
}

// A verdict as verdicts.json holds it (verdicts_file.h), in the words `actlab verdict` prints.
std::string text_of(const nlohmann::json& verdict, const char* field) {
  const auto value = verdict.value(field, nlohmann::json());
  return value.is_string() ? value.get<std::string>() : "";
}

std::string shown(const nlohmann::json& verdict, const char* field) {
  return text_of(verdict.value("shown", nlohmann::json::object()), field);
}

// "activation=tanh: seeds 0 1 2: ..." (the group's filter, then its values).
std::string group(const nlohmann::json& verdict, const char* side) {
  std::vector<std::pair<std::string, std::string>> filter;
  const nlohmann::json filter_json = verdict.value(side, nlohmann::json::object());
  for (const auto& [key, value] : filter_json.items())
    filter.emplace_back(key, value.is_string() ? value.get<std::string>() : value.dump());
  return fmt::format("{}: {}", describe_filter(filter), shown(verdict, side));
}

std::string says_text(const nlohmann::json& v) {
  const std::string scope = text_of(v, "scope");
  return text_of(v, "says") + (scope.empty() ? "" : " [" + scope + "]");
}

// The distinct values of one resolved field over runs, sorted, each passed through `shown`
// ("ef78a0a1cdb6, 4ac7727e1f0a" with short_commit).
std::string distinct(const std::vector<RunResult>& runs, const std::string& field,
                     std::string (*shown)(const std::string&) = nullptr) {
  std::set<std::string> values;
  for (const auto& run : runs) {
    const auto resolved = run.config.value("resolved", nlohmann::json::object());
    if (!resolved.contains(field)) continue;
    const auto& value = resolved[field];
    const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    values.insert(shown ? shown(text) : text);
  }
  return values.empty() ? "unrecorded" : join({values.begin(), values.end()});
}

std::string distinct_config(const std::vector<RunResult>& runs, const std::string& field) {
  std::set<std::string> values;
  for (const auto& run : runs) {
    if (run.config.contains(field)) values.insert(run.config[field].dump());
  }
  return join({values.begin(), values.end()});
}

// A file that reads a table of tuned rates ([tune] from) rests on the table's tuning runs that
// chose its rates: its tune/choice.json names them (paths from the document's folder).
std::vector<RunResult> table_tuning_runs(const fs::path& base_dir, const fs::path& dir) {
  const auto choice = read_json_or_empty(dir / "tune" / "choice.json");
  std::set<std::string> paths;
  if (choice.contains("table_sweep") && choice.contains("choices")) {
    for (const auto& [configuration, chosen] : choice["choices"].items()) {
      for (const auto& path : chosen.value("runs", nlohmann::json::array()))
        if (path.is_string()) paths.insert(path.get<std::string>());
    }
  }
  std::vector<RunResult> runs;
  for (const auto& path : paths) {
    if (fs::is_directory(base_dir / path)) runs.push_back(load_run(base_dir / path));
  }
  return runs;
}

std::string tuned_choices(const fs::path& dir) {
  const auto choice = read_json_or_empty(dir / "tune" / "choice.json");
  if (!choice.contains("choices")) return "";
  std::vector<std::string> parts;
  for (const auto& [configuration, chosen] : choice["choices"].items()) {
    parts.push_back(fmt::format("{} → {}", configuration, chosen.value("value", "?")));
  }
  return join(parts, "; ");
}

struct VerdictBlock {
  std::string experiment;
  nlohmann::json verdicts;  // DIR/verdicts.json's list
  std::string text;
};

VerdictBlock verdict_block(const fs::path& base_dir, const std::string& dir_text) {
  const fs::path dir = base_dir / dir_text;
  if (!fs::exists(dir / "experiment.toml")) {
    throw Error(
        fmt::format("'{}' is not a sweep folder (no experiment.toml): run `actlab run "
                    "experiments/{}.toml --profile standard --out {}` first",
                    dir.string(), fs::path(dir_text).filename().string(), dir_text));
  }
  const Experiment experiment = load_experiment(dir / "experiment.toml");
  const RunSet runs = classify_runs(dir, load_results(dir));
  VerdictBlock block{experiment.name, read_verdicts(dir, experiment, runs), ""};

  std::string& out = block.text;
  out += fmt::format("**Claim.** {}\n\n*Source:* {}\n\n", paragraph(experiment.claim),
                     paragraph(experiment.source));
  out += fmt::format("**Regime.** {}\n\n**Control.** {}\n\n", paragraph(experiment.regime),
                     paragraph(experiment.control));
  out += "| Outcome | Verdict | a | b | Effect [CI] | p (Holm) | Test | Expected |\n";
  out += "|---|---|---|---|---|---|---|---|\n";
  std::string notes;
  for (const auto& v : block.verdicts) {
    out += fmt::format("| **{}** | {} | {} | {} | {} | {} | {} | {} |\n", text_of(v, "outcome"),
                       cell(says_text(v)), cell(group(v, "a")), cell(group(v, "b")),
                       cell(shown(v, "effect")), cell(shown(v, "p")), cell(text_of(v, "test")),
                       cell(text_of(v, "expect")));
    const std::string note = text_of(v, "note"), neighbours = shown(v, "neighbours");
    if (!note.empty()) notes += fmt::format("- *{}*: {}\n", says_text(v), note);
    if (!neighbours.empty())
      notes += fmt::format("- *{}*, at the neighbouring rates: {}\n", says_text(v), neighbours);
  }
  if (!notes.empty()) out += "\n" + notes;

  std::set<std::tuple<int, double, std::string>> seeds;  // numeric order: 2 before 10
  for (const auto& run : runs.finished) {
    const auto seed = run.config.value("seed", nlohmann::json());
    seeds.insert(value_order_key(seed.is_string() ? seed.get<std::string>() : seed.dump()));
  }
  std::vector<std::string> seed_texts;
  for (const auto& seed : seeds) seed_texts.push_back(std::get<2>(seed));
  out += fmt::format("\n**Runs.** {} finished runs of the current grid (seeds {})",
                     runs.finished.size(), join(seed_texts));
  if (runs.diverged.empty() && runs.apart.empty()) {
    out += "; none left out.\n";
  } else {
    out += fmt::format(
        "; {} diverged (counted only by verdicts about divergence), {} other not averaged:"
        "\n\n```\n{}```\n",
        runs.diverged.size(), runs.apart.size(), apart_listing(runs));
  }
  const fs::path source_file = base_dir / "experiments" / (experiment.name + ".toml");
  if (fs::exists(source_file) && read_file(source_file) != read_file(dir / "experiment.toml")) {
    out += fmt::format(
        "\n**Out of date:** experiments/{0}.toml differs from the copy these runs were made with "
        "({1}/experiment.toml): rerun the command below, then `actlab results`.\n",
        experiment.name, dir_text);
  }
  const std::string tuned = tuned_choices(dir);
  if (!tuned.empty()) out += fmt::format("Tuned per configuration: {}.\n", tuned);
  std::vector<RunResult> all = runs.finished;
  all.insert(all.end(), runs.diverged.begin(), runs.diverged.end());
  // The tuning and neighbour runs' builds too: a verdict rests on them as much as on the grid's.
  std::string stages;
  for (const auto& [folder, name] : {std::pair{"tune", "tuning"}, {"neighbours", "neighbour"}}) {
    if (fs::is_directory(dir / folder / "runs"))
      stages += fmt::format("; {} runs: {}", name,
                            distinct(load_results(dir / folder), "git_commit", short_commit));
  }
  if (const auto table = table_tuning_runs(base_dir, dir); !table.empty())
    stages +=
        fmt::format("; the table's tuning runs: {}", distinct(table, "git_commit", short_commit));
  out += fmt::format(
      "Made by actlab {}{} with LibTorch {} on {} ({} thread(s) per run); {} training images, {} "
      "epoch(s) per run.\n",
      distinct(all, "git_commit", short_commit), stages.empty() ? "" : " (grid runs" + stages + ")",
      distinct(all, "libtorch_version"), distinct(all, "device"), distinct(all, "threads"),
      distinct(all, "train_images"), distinct_config(all, "epochs"));
  // The profile the runs were made with ("" is the file's top level, `--profile full`).
  const std::string profile = all.empty() ? "standard" : run_profile(all.front());
  out += fmt::format(
      "Reproduce: `actlab run experiments/{0}.toml --profile {2} -j 2 --out {1}` (resumes "
      "and skips finished runs), then `actlab verdict {1}`; figures: `actlab report`.\n",
      experiment.name, dir_text, profile.empty() ? "full" : profile);
  return block;
}

std::string summary_block(const std::vector<VerdictBlock>& blocks) {
  std::string out =
      "| Experiment | Verdict | Expected | Outcome | Effect [CI] | p (Holm) |\n"
      "|---|---|---|---|---|---|\n";
  for (const auto& block : blocks) {
    for (const auto& v : block.verdicts) {
      out += fmt::format("| `{}` | {} | {} | **{}** | {} | {} |\n", block.experiment,
                         cell(says_text(v)), cell(text_of(v, "expect")), text_of(v, "outcome"),
                         cell(shown(v, "effect")), cell(shown(v, "p")));
    }
  }
  return out;
}

struct Segment {
  std::string literal;  // text kept as written (including the opening comment line)
  std::string kind;     // "" (plain text), "verdicts", "summary"
  std::string argument;
  std::string old_body;
};

}  // namespace

ResultsDocument regenerate_results_document(const std::string& input, const fs::path& base_dir) {
  // A CRLF document is read as LF and written back as CRLF.
  const bool crlf = input.find("\r\n") != std::string::npos;
  std::string text;
  for (size_t i = 0; i < input.size(); ++i) {
    if (!(crlf && input[i] == '\r' && i + 1 < input.size() && input[i + 1] == '\n')) {
      text += input[i];
    }
  }
  // Markers are matched on the line without trailing blanks or a CR (CRLF files). Anything that
  // looks like a marker but is not a well-formed one is an error, never prose: a typo must not
  // hide a block from --check, nor let `actlab results` swallow the prose after it.
  static const std::regex opening(R"(^<!-- actlab (verdicts|summary)(?: ([^ \t]+))? -->$)");
  static const std::regex marker_like(R"(^\s*<!--\s*/?\s*actlab)");
  std::vector<Segment> segments(1);
  std::istringstream lines(text);
  std::string line;
  int line_number = 0, block_line = 0;
  bool inside = false, has_summary = false;
  std::set<std::string> folders;
  while (std::getline(lines, line)) {
    ++line_number;
    std::string bare = line;
    while (!bare.empty() && (bare.back() == '\r' || bare.back() == ' ' || bare.back() == '\t'))
      bare.pop_back();
    if (bare == kEnd) {
      if (!inside) {
        throw Error(
            fmt::format("line {}: {} without a block to end: remove it, or open a block "
                        "with <!-- actlab verdicts DIR --> or <!-- actlab summary -->",
                        line_number, kEnd));
      }
      inside = false;
      segments.emplace_back();
      continue;
    }
    if (!std::regex_search(bare, marker_like)) {
      (inside ? segments.back().old_body : segments.back().literal) += line + "\n";
      continue;
    }
    if (inside) {
      throw Error(
          fmt::format("line {}: a marker inside the block opened at line {}: end that "
                      "block with {} first",
                      line_number, block_line, kEnd));
    }
    std::smatch match;
    if (!std::regex_match(bare, match, opening)) {
      throw Error(
          fmt::format("line {}: malformed marker '{}': write <!-- actlab verdicts DIR --> "
                      "(DIR without spaces), <!-- actlab summary --> or {}",
                      line_number, bare, kEnd));
    }
    const std::string kind = match[1], folder = match[2];
    if (kind == "verdicts" && folder.empty()) {
      throw Error(
          fmt::format("line {}: <!-- actlab verdicts --> needs the sweep folder, e.g. "
                      "<!-- actlab verdicts results/standard/sparsity -->",
                      line_number));
    }
    if (kind == "summary" && !folder.empty()) {
      throw Error(
          fmt::format("line {}: <!-- actlab summary --> takes no folder: it lists the "
                      "verdicts of every block in the document",
                      line_number));
    }
    if (kind == "verdicts" && !folders.insert(folder).second) {
      throw Error(fmt::format("line {}: a second block for {}: keep one per sweep folder",
                              line_number, folder));
    }
    has_summary = has_summary || kind == "summary";
    segments.push_back({bare + "\n", kind, folder, ""});
    inside = true;
    block_line = line_number;
  }
  if (inside) {
    throw Error(fmt::format("line {}: block not closed: end it with a line {}", block_line, kEnd));
  }
  if (has_summary && folders.empty()) {
    throw Error("the summary block has nothing to list: add <!-- actlab verdicts DIR --> blocks");
  }

  std::vector<VerdictBlock> blocks;
  std::map<size_t, std::string> bodies;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (segments[i].kind != "verdicts") continue;
    blocks.push_back(verdict_block(base_dir, segments[i].argument));
    bodies[i] = blocks.back().text;
  }
  ResultsDocument document;
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& segment = segments[i];
    document.text += segment.literal;
    if (segment.kind.empty()) continue;
    const std::string body = segment.kind == "summary" ? summary_block(blocks) : bodies[i];
    document.text += body + kEnd + "\n";
    if (body != segment.old_body) {
      document.changed.push_back(segment.kind +
                                 (segment.argument.empty() ? "" : " " + segment.argument));
    }
  }
  if (crlf) {
    std::string out;
    for (char c : document.text) out += c == '\n' ? std::string("\r\n") : std::string(1, c);
    document.text = std::move(out);
  }
  return document;
}

}  // namespace actlab
