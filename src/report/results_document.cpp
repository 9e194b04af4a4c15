#include "src/report/results_document.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "src/core/error.h"
#include "src/core/files.h"
#include "src/core/spec.h"
#include "src/harness/experiment.h"
#include "src/harness/results.h"
#include "src/harness/run_set.h"
#include "src/harness/verdict.h"

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

std::string number(double value) {
  return fmt::format("{:.3g}", value);
}

std::string group(const std::vector<std::pair<std::string, std::string>>& filter,
                  const std::vector<double>& values, double mean) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : filter) parts.push_back(key + "=" + value);
  return fmt::format("{}: {} (n={})", join(parts, ","), values.empty() ? "-" : number(mean),
                     values.size());
}

std::string effect_text(const VerdictResult& v) {
  if (v.a.empty() || v.b.empty()) return "-";
  return fmt::format("{} {}{}", v.spec.effect, number(v.effect),
                     v.has_interval ? fmt::format(" [{}, {}]", number(v.low), number(v.high))
                                    : std::string(" (no interval)"));
}

std::string says_text(const VerdictResult& v) {
  return v.spec.says + (v.scope.empty() ? "" : " [" + v.scope + "]");
}

// The distinct values of one resolved field over runs, sorted ("ef78a0a1cdb6, 4ac7727e1f0a").
std::string distinct(const std::vector<RunResult>& runs, const std::string& field,
                     size_t width = std::string::npos) {
  std::set<std::string> values;
  for (const auto& run : runs) {
    const auto resolved = run.config.value("resolved", nlohmann::json::object());
    if (!resolved.contains(field)) continue;
    const auto& value = resolved[field];
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    const bool dirty = text.size() > 6 && text.compare(text.size() - 6, 6, "-dirty") == 0;
    if (width != std::string::npos && text.size() > width) {
      text = text.substr(0, width) + (dirty ? "-dirty" : "");
    }
    values.insert(text);
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
  std::vector<VerdictResult> verdicts;
  std::string text;
};

VerdictBlock verdict_block(const fs::path& base_dir, const std::string& dir_text) {
  const fs::path dir = base_dir / dir_text;
  if (!fs::exists(dir / "experiment.toml")) {
    throw Error(
        fmt::format("'{}' is not a sweep folder (no experiment.toml): run `actlab run "
                    "experiments/<name>.toml --profile standard --out {}` first",
                    dir.string(), dir_text));
  }
  const Experiment experiment = load_experiment(dir / "experiment.toml");
  const RunSet runs = classify_runs(dir, load_results(dir));
  VerdictBlock block{experiment.name, evaluate_verdicts(experiment, runs), ""};

  std::string& out = block.text;
  out += fmt::format("**Claim.** {}  \n*Source:* {}\n\n", paragraph(experiment.claim),
                     paragraph(experiment.source));
  out += fmt::format("**Regime.** {}\n\n**Control.** {}\n\n", paragraph(experiment.regime),
                     paragraph(experiment.control));
  out += "| Outcome | Verdict | a | b | Effect [95% CI] | Expected |\n";
  out += "|---|---|---|---|---|---|\n";
  std::string notes;
  for (const auto& v : block.verdicts) {
    out += fmt::format("| **{}** | {} | {} | {} | {} | {} |\n", v.outcome, cell(says_text(v)),
                       cell(group(v.spec.a, v.a, v.mean_a)), cell(group(v.spec.b, v.b, v.mean_b)),
                       cell(effect_text(v)), cell(expectation(v.spec)));
    if (!v.note.empty()) notes += fmt::format("- *{}*: {}\n", says_text(v), v.note);
  }
  if (!notes.empty()) out += "\n" + notes;

  std::set<std::string> seeds;
  for (const auto& run : runs.finished)
    seeds.insert(run.config.value("seed", nlohmann::json()).dump());
  out += fmt::format("\n**Runs.** {} finished runs of the current grid (seeds {})",
                     runs.finished.size(), join({seeds.begin(), seeds.end()}));
  if (runs.diverged.empty() && runs.apart.empty()) {
    out += "; none left out.\n";
  } else {
    out += fmt::format("; not averaged: {} diverged, {} other:\n\n```\n{}```\n",
                       runs.diverged.size(), runs.apart.size(), apart_listing(runs));
  }
  const std::string tuned = tuned_choices(dir);
  if (!tuned.empty()) out += fmt::format("Tuned per configuration: {}.\n", tuned);
  std::vector<RunResult> all = runs.finished;
  all.insert(all.end(), runs.diverged.begin(), runs.diverged.end());
  out += fmt::format(
      "Made by actlab {} with LibTorch {} on {} ({} thread(s) per run); {} training images, {} "
      "epoch(s) per run.\n",
      distinct(all, "git_commit", 12), distinct(all, "libtorch_version"), distinct(all, "device"),
      distinct(all, "threads"), distinct(all, "train_images"), distinct_config(all, "epochs"));
  out += fmt::format(
      "Reproduce: `actlab run experiments/{0}.toml --profile standard -j 2 --out {1}` (resumes "
      "and skips finished runs), then `actlab verdict {1}`; figures: `actlab report`.\n",
      experiment.name, dir_text);
  return block;
}

std::string summary_block(const std::vector<VerdictBlock>& blocks) {
  std::string out =
      "| Experiment | Verdict | Expected | Outcome | Effect [95% CI] |\n|---|---|---|---|---|\n";
  for (const auto& block : blocks) {
    for (const auto& v : block.verdicts) {
      out += fmt::format("| `{}` | {} | {} | **{}** | {} |\n", block.experiment, cell(says_text(v)),
                         cell(expectation(v.spec)), v.outcome, cell(effect_text(v)));
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

ResultsDocument regenerate_results_document(const std::string& text, const fs::path& base_dir) {
  static const std::regex opening(R"(^<!-- actlab (\S+)(?: (\S+))? -->\s*$)");
  std::vector<Segment> segments(1);
  std::istringstream lines(text);
  std::string line;
  int number = 0, block_line = 0;
  bool inside = false;
  while (std::getline(lines, line)) {
    ++number;
    std::smatch match;
    if (inside) {
      if (line == kEnd) {
        inside = false;
        segments.emplace_back();
      } else {
        segments.back().old_body += line + "\n";
      }
      continue;
    }
    if (std::regex_match(line, match, opening)) {
      const std::string kind = match[1];
      if (kind != "verdicts" && kind != "summary") {
        throw Error(
            fmt::format("line {}: unknown block '{}': use <!-- actlab verdicts DIR --> or "
                        "<!-- actlab summary -->",
                        number, kind));
      }
      if (kind == "verdicts" && !match[2].matched) {
        throw Error(
            fmt::format("line {}: <!-- actlab verdicts --> needs the sweep folder, e.g. "
                        "<!-- actlab verdicts results/standard/sparsity -->",
                        number));
      }
      segments.push_back({line + "\n", kind, match[2], ""});
      inside = true;
      block_line = number;
      continue;
    }
    segments.back().literal += line + "\n";
  }
  if (inside) {
    throw Error(fmt::format("line {}: block not closed: end it with a line {}", block_line, kEnd));
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
  return document;
}

}  // namespace actlab
