#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace actlab {

// RESULTS.md is prose written by people around blocks that `actlab results` writes from the
// committed records, so the document cannot drift from the data and no verdict number in it is
// typed by hand. A block is an HTML comment naming what to write, the generated text, and an end
// comment:
//   <!-- actlab verdicts results/standard/sparsity -->  the experiment's regime, control, every
//   ...                                                  verdict (effect, 95% interval), its runs,
//   <!-- /actlab -->                                     provenance and the reproducing command
//   <!-- actlab summary --> ... <!-- /actlab -->         one row per verdict of every verdicts
//                                                        block in the document, in their order
// Paths are relative to the document's folder. A block whose experiment file
// (experiments/<name>.toml beside the document) differs from the sweep's copy says so, so that
// editing an experiment without rerunning it shows up in --check.
struct ResultsDocument {
  std::string text;                  // the document with every block regenerated
  std::vector<std::string> changed;  // the blocks whose text differed ("verdicts DIR", "summary")
};

// Regenerates every block of `input` from the sweep folders under `base_dir`. Throws Error naming
// the line of a malformed, nested, repeated or unterminated block, or a folder that is not a
// sweep.
ResultsDocument regenerate_results_document(const std::string& input,
                                            const std::filesystem::path& base_dir);

}  // namespace actlab
