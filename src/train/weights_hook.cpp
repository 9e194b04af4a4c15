#include "src/train/weights_hook.h"

#include "src/train/state_dict_file.h"

namespace actlab {

WeightsHook::WeightsHook(std::filesystem::path dir) : dir_(std::move(dir)) {}

void WeightsHook::on_finish(const TrainingContext& context, const RunSummary&) {
  save_state_dict(*context.model, dir_ / "model.pt");
}

}  // namespace actlab
