// RESULTS.md's generated blocks: written from the records through verdicts.json, prose kept, a
// changed number caught by --check.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "src/core/error.h"
#include "src/core/files.h"
#include "src/harness/experiment.h"
#include "src/harness/verdicts_file.h"
#include "src/report/results_document.h"
#include "tests/helpers.h"
#include "tests/speed_sweep.h"

using namespace actlab;
using namespace actlab::testing;

TEST_CASE("RESULTS.md blocks are written from the records and a changed number is caught",
          "[unit][harness][verdict][results]") {
  const TempDir dir = make_sweep({1.0, 1.1, 0.9}, {2.0, 2.1, 1.9});
  const std::string prose = "# Results\n\nWritten by people.\n\n";
  const std::string block = "<!-- actlab verdicts sweep -->\n<!-- /actlab -->\n";
  // The blocks show what the verdict engine wrote: without verdicts.json, one line says how.
  CHECK_THROWS_WITH(
      regenerate_results_document(block, dir.path()),
      Catch::Contains("verdicts.json is missing") && Catch::Contains("actlab verdict"));
  write_verdicts(dir.path() / "sweep");
  const std::string skeleton = prose +
                               "<!-- actlab summary -->\n<!-- /actlab -->\n\n## Speed\n\n"
                               "<!-- actlab verdicts sweep -->\nstale text\n<!-- /actlab -->\n"
                               "Plain reading, kept.\n";
  const auto first = regenerate_results_document(skeleton, dir.path());
  CHECK(first.changed == std::vector<std::string>{"summary", "verdicts sweep"});
  CHECK_THAT(first.text, Catch::StartsWith(prose) && Catch::EndsWith("Plain reading, kept.\n"));
  // The summary row and the section's row: outcome, means (n) and the ratio of 2 with its interval.
  CHECK_THAT(first.text, Catch::Contains("| `speed` | tanh needs at least 1.5x relu's epochs | "
                                         "ratio >= 1.5 | **HOLDS** | ratio of geometric means "
                                         "2.005 [95% CI "));
  CHECK_THAT(first.text, Catch::Contains("| activation=tanh: seeds 0 1 2: 2 2.1 1.9; mean 2, SD "
                                         "0.1, n=3 | activation=relu: seeds 0 1 2: 1 1.1 0.9; "
                                         "mean 1, SD 0.1, n=3 |"));
  CHECK_THAT(first.text, Catch::Contains("| paired t on log values, 3 pairs by seed |"));
  CHECK_THAT(first.text, Catch::Contains("6 finished runs of the current grid"));
  // The runs' run.json says profile "" (the file's top level): the command names it.
  CHECK_THAT(first.text, Catch::Contains("actlab run experiments/speed.toml --profile full"));
  CHECK_FALSE(Catch::contains(first.text, "stale text"));

  SECTION("the builds of the tuning runs are named beside the grid runs'") {
    const auto sweep = dir.path() / "sweep";
    const auto runs = expand(load_experiment(sweep / "experiment.toml"));
    write_run(sweep / "tune", runs[0], "completed", 1.0);
    auto config = read_json_or_empty(sweep / "tune" / "runs" / runs[0].id / "config.json");
    config["resolved"] = {{"git_commit", "0123456789abcdef"}};
    write_text(sweep / "tune" / "runs" / runs[0].id / "config.json", config.dump());
    CHECK_THAT(regenerate_results_document(skeleton, dir.path()).text,
               Catch::Contains("Made by actlab unrecorded (grid runs; tuning runs: 0123456789ab) "
                               "with LibTorch"));
  }
  SECTION("a reader of a table names the builds of the table's runs that chose its rates") {
    const auto sweep = dir.path() / "sweep";
    const auto runs = expand(load_experiment(sweep / "experiment.toml"));
    write_run(dir.path() / "table" / "tune", runs[0], "completed", 1.0);
    const auto table_run = dir.path() / "table" / "tune" / "runs" / runs[0].id;
    auto config = read_json_or_empty(table_run / "config.json");
    config["resolved"] = {{"git_commit", "fedcba9876543210"}};
    write_text(table_run / "config.json", config.dump());
    const nlohmann::json choice = {
        {"table_sweep", "table"},
        {"choices",
         {{"activation=relu",
           {{"value", "0.01"}, {"runs", {"table/tune/runs/" + runs[0].id, "table/gone"}}}}}}};
    write_text(sweep / "tune" / "choice.json", choice.dump());
    CHECK_THAT(regenerate_results_document(skeleton, dir.path()).text,
               Catch::Contains("Made by actlab unrecorded (grid runs; the table's tuning runs: "
                               "fedcba987654) with LibTorch"));
  }
  SECTION("regenerating an up-to-date document changes nothing") {
    const auto second = regenerate_results_document(first.text, dir.path());
    CHECK(second.changed.empty());
    CHECK(second.text == first.text);
  }
  SECTION("a number typed by hand into a block is named, and `actlab results --check` fails") {
    std::string edited = first.text;
    const auto at = edited.find("mean 2, SD 0.1");
    REQUIRE(at != std::string::npos);
    edited.replace(at, 14, "mean 6, SD 0.1");
    CHECK(regenerate_results_document(edited, dir.path()).changed ==
          std::vector<std::string>{"verdicts sweep"});
    write_text(dir / "RESULTS.md", edited);
    const auto check =
        run_actlab(fmt::format("results --check '{}'", (dir / "RESULTS.md").string()));
    CHECK(check.exit_code == 1);
    CHECK_THAT(check.output, Catch::Contains("block 'verdicts sweep' differs"));
    CHECK(read_file(dir / "RESULTS.md") == edited);  // --check writes nothing
    const auto update = run_actlab(fmt::format("results '{}'", (dir / "RESULTS.md").string()));
    CHECK(update.exit_code == 0);
    CHECK(read_file(dir / "RESULTS.md") == first.text);
  }
  SECTION("new records change the verdict the document shows") {
    const TempDir slower = make_sweep({1.0, 1.1, 0.9}, {1.0, 1.05, 0.95});
    write_verdicts(slower.path() / "sweep");  // the verdict engine judges them first
    const auto changed = regenerate_results_document(first.text, slower.path());
    CHECK(changed.changed == std::vector<std::string>{"summary", "verdicts sweep"});
    CHECK_THAT(changed.text, Catch::Contains("**FAILS**"));
  }
  SECTION("CRLF line endings and trailing blanks on markers still match") {
    std::string crlf;
    for (char c : first.text) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    const auto again = regenerate_results_document(crlf, dir.path());
    CHECK(again.changed.empty());
    CHECK(again.text == crlf);
  }
  SECTION("editing the experiment file without rerunning it shows in the block") {
    write_text(dir / "experiments" / "speed.toml", std::string(kSweep) + "# edited\n");
    const auto stale = regenerate_results_document(first.text, dir.path());
    CHECK(stale.changed == std::vector<std::string>{"verdicts sweep"});
    CHECK_THAT(stale.text, Catch::Contains("**Out of date:** experiments/speed.toml differs"));
    write_text(dir / "experiments" / "speed.toml", kSweep);
    CHECK(regenerate_results_document(first.text, dir.path()).changed.empty());
  }
  SECTION("bad blocks are one-line errors naming the line") {
    CHECK_THROWS_WITH(regenerate_results_document("a\n<!-- /actlab -->\n", dir.path()),
                      Catch::Contains("line 2: <!-- /actlab --> without a block to end"));
    CHECK_THROWS_WITH(regenerate_results_document("<!--actlab verdicts sweep-->\n", dir.path()),
                      Catch::Contains("line 1: malformed marker"));
    CHECK_THROWS_WITH(regenerate_results_document(
                          "<!-- actlab verdicts sweep -->\n<!-- actlab summary -->\n", dir.path()),
                      Catch::Contains("line 2: a marker inside the block opened at line 1"));
    CHECK_THROWS_WITH(
        regenerate_results_document("<!-- actlab verdicts sweep -->\n<!-- /actlab -->\n"
                                    "<!-- actlab verdicts sweep -->\n<!-- /actlab -->\n",
                                    dir.path()),
        Catch::Contains("line 3: a second block for sweep"));
    CHECK_THROWS_WITH(
        regenerate_results_document("<!-- actlab summary -->\n<!-- /actlab -->\n", dir.path()),
        Catch::Contains("the summary block has nothing to list"));
    CHECK_THROWS_WITH(
        regenerate_results_document("a\n<!-- actlab verdicts sweep -->\nb\n", dir.path()),
        Catch::Contains("line 2: block not closed"));
    CHECK_THROWS_WITH(
        regenerate_results_document("<!-- actlab figures x -->\n<!-- /actlab -->\n", dir.path()),
        Catch::Contains("line 1: malformed marker"));
    CHECK_THROWS_WITH(regenerate_results_document(
                          "<!-- actlab verdicts nowhere -->\n<!-- /actlab -->\n", dir.path()),
                      Catch::Contains("is not a sweep folder"));
  }
}
