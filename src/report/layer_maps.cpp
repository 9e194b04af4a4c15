// Per-layer probe records of a group: heatmaps over (layer, epoch), gradient flow, histograms.
#include <cmath>
#include <set>

#include "src/activations/activation.h"
#include "src/core/error.h"
#include "src/harness/statistics.h"
#include "src/records/epoch_end_probe.h"
#include "src/report/report_parts.h"

namespace actlab::report {

namespace {

double field_of(const nlohmann::json& record, const std::string& field) {
  const auto it = record.find(field);
  return it != record.end() && it->is_number() ? it->get<double>() : NAN;
}

// Epochs present in every map of `per_run`'s union, sorted.
std::vector<int> epochs_of(const std::vector<std::map<int, std::map<int, nlohmann::json>>>& runs) {
  std::set<int> epochs;
  for (const auto& run : runs) {
    for (const auto& [epoch, layers] : run) epochs.insert(epoch);
  }
  return {epochs.begin(), epochs.end()};
}

int layer_count(const std::vector<std::map<int, std::map<int, nlohmann::json>>>& runs) {
  int count = 0;
  for (const auto& run : runs) {
    for (const auto& [epoch, layers] : run) {
      if (!layers.empty()) count = std::max(count, layers.rbegin()->first + 1);
    }
  }
  return count;
}

std::vector<std::map<int, std::map<int, nlohmann::json>>> layers_of(
    const std::vector<const RunResult*>& runs) {
  std::vector<std::map<int, std::map<int, nlohmann::json>>> layers;
  for (const auto* run : runs) layers.push_back(epoch_end_layers(*run));
  return layers;
}

nlohmann::json layer_names(const std::vector<std::map<int, std::map<int, nlohmann::json>>>& runs,
                           int count) {
  nlohmann::json names = nlohmann::json::array();
  for (int i = 0; i < count; ++i) {
    std::string name = std::to_string(i);
    for (const auto& run : runs) {
      for (const auto& [epoch, layers] : run) {
        const auto it = layers.find(i);
        if (it != layers.end() && it->second.contains("layer") && it->second["layer"].is_string())
          name = it->second["layer"].get<std::string>();
      }
    }
    names.push_back(name);
  }
  return names;
}

// Values of `field` at layer `index` and `epoch`, one per run that probed it.
std::vector<double> values_at(const std::vector<std::map<int, std::map<int, nlohmann::json>>>& runs,
                              int epoch, int index, const std::string& field) {
  std::vector<double> values;
  for (const auto& run : runs) {
    const auto at_epoch = run.find(epoch);
    if (at_epoch == run.end()) continue;
    const auto at_layer = at_epoch->second.find(index);
    if (at_layer != at_epoch->second.end()) values.push_back(field_of(at_layer->second, field));
  }
  return values;
}

}  // namespace

std::map<int, std::map<int, nlohmann::json>> epoch_end_layers(const RunResult& run) {
  std::map<int, std::map<int, nlohmann::json>> layers;
  for (const auto& [epoch, records] : epoch_end_probes(run.layers)) {
    for (const auto& [index, record] : records) layers[epoch][index] = *record;
  }
  return layers;
}

nlohmann::json group_layer_maps(const std::vector<const RunResult*>& runs,
                                const std::vector<std::string>& fields) {
  const auto per_run = layers_of(runs);
  const auto epochs = epochs_of(per_run);
  const int count = layer_count(per_run);
  nlohmann::json maps = {{"epochs", epochs}, {"layers", layer_names(per_run, count)}};
  for (const auto& field : fields) {
    nlohmann::json rows = nlohmann::json::array();  // rows: layers; columns: epochs
    for (int index = 0; index < count; ++index) {
      std::vector<std::vector<double>> values;
      for (int epoch : epochs) values.push_back(values_at(per_run, epoch, index, field));
      rows.push_back(band(values)["mean"]);
    }
    maps[field] = rows;
  }
  return maps;
}

nlohmann::json group_layer_means(const std::vector<const RunResult*>& runs,
                                 const std::vector<std::string>& fields) {
  const auto per_run = layers_of(runs);
  const auto epochs = epochs_of(per_run);
  nlohmann::json means = {{"epochs", epochs}};
  bool any = false;
  for (const auto& field : fields) {
    std::vector<std::vector<double>> values;  // per epoch: one mean over layers per run
    for (int epoch : epochs) {
      values.emplace_back();
      for (const auto& run : per_run) {
        const auto at_epoch = run.find(epoch);
        if (at_epoch == run.end()) continue;
        double sum = 0;
        int count = 0;
        for (const auto& [index, record] : at_epoch->second) {
          const double value = field_of(record, field);
          if (std::isfinite(value)) sum += value, ++count;
        }
        // Every layer or none, as the verdicts' ".mean" reads it: a partial mean is no mean.
        if (count > 0 && count == static_cast<int>(at_epoch->second.size())) {
          values.back().push_back(sum / count);
          any = true;
        }
      }
    }
    means[field] = band(values);
  }
  return any ? means : nlohmann::json(nullptr);
}

nlohmann::json group_gradient_flow(const std::vector<const RunResult*>& runs,
                                   double max_abs_derivative) {
  const auto per_run = layers_of(runs);
  const auto epochs = epochs_of(per_run);
  const int count = layer_count(per_run);
  if (epochs.empty() || count == 0) return nullptr;
  auto at_epoch = [&](int epoch) {
    std::vector<std::vector<double>> values;
    for (int index = 0; index < count; ++index)
      values.push_back(values_at(per_run, epoch, index, "grad_act_rms"));
    return band(values);
  };
  nlohmann::json flow = {{"index", nlohmann::json::array()},
                         {"layers", layer_names(per_run, count)},
                         {"first_epoch", epochs.front()},
                         {"last_epoch", epochs.back()},
                         {"first", at_epoch(epochs.front())},
                         {"last", at_epoch(epochs.back())},
                         {"max_abs_derivative", number_or_null(max_abs_derivative)},
                         {"bound", nullptr}};
  for (int index = 0; index < count; ++index) flow["index"].push_back(index);
  const auto& anchor = flow["first"]["mean"][count - 1];
  if (std::isfinite(max_abs_derivative) && anchor.is_number()) {
    nlohmann::json bound = nlohmann::json::array();
    for (int index = 0; index < count; ++index)
      bound.push_back(anchor.get<double>() * std::pow(max_abs_derivative, count - 1 - index));
    flow["bound"] = bound;
  }
  return flow;
}

nlohmann::json group_histograms(const std::vector<std::filesystem::path>& run_dirs) {
  // (epoch, index) -> pooled counts; epoch-end probes only.
  std::map<std::pair<int, int>, std::vector<double>> counts;
  std::map<std::pair<int, int>, double> outside;
  std::map<int, std::string> names;
  double low = NAN, high = NAN;
  for (const auto& dir : run_dirs) {
    const auto records = load_histograms(dir);
    std::map<std::pair<int, int>, const nlohmann::json*> chosen;
    for (const auto& [epoch, probes] : epoch_end_probes(records)) {
      for (const auto& [index, record] : probes) {
        if (record->contains("counts") && (*record)["counts"].is_array())
          chosen[{epoch, index}] = record;
      }
    }
    for (const auto& [key, chosen_record] : chosen) {
      const auto& record = *chosen_record;
      low = field_of(record, "low");
      high = field_of(record, "high");
      auto& pooled = counts[key];
      const auto& bins = record["counts"];
      if (pooled.size() < bins.size()) pooled.resize(bins.size(), 0.0);
      for (size_t i = 0; i < bins.size(); ++i) pooled[i] += bins[i].get<double>();
      const double below = field_of(record, "below"), above = field_of(record, "above");
      outside[key] += (std::isfinite(below) ? below : 0) + (std::isfinite(above) ? above : 0);
      if (record.contains("layer") && record["layer"].is_string())
        names[key.second] = record["layer"].get<std::string>();
    }
  }
  if (counts.empty()) return nullptr;
  const int first = counts.begin()->first.first, last = counts.rbegin()->first.first;
  nlohmann::json histograms = {{"low", low},
                               {"high", high},
                               {"epochs", {first, last}},
                               {"layers", nlohmann::json::array()},
                               {"fractions", nlohmann::json::array()},
                               {"outside", nlohmann::json::array()}};
  int count = 0;
  for (const auto& [key, pooled] : counts) count = std::max(count, key.second + 1);
  for (int index = 0; index < count; ++index)
    histograms["layers"].push_back(names.count(index) ? names[index] : std::to_string(index));
  for (int epoch : {first, last}) {
    nlohmann::json per_layer = nlohmann::json::array(), per_layer_outside = nlohmann::json::array();
    for (int index = 0; index < count; ++index) {
      const auto it = counts.find({epoch, index});
      if (it == counts.end()) {
        per_layer.push_back(nullptr);
        per_layer_outside.push_back(nullptr);
        continue;
      }
      double total = outside[{epoch, index}];
      for (double c : it->second) total += c;
      nlohmann::json fractions = nlohmann::json::array();
      for (double c : it->second) fractions.push_back(total > 0 ? c / total : 0.0);
      per_layer.push_back(fractions);
      per_layer_outside.push_back(total > 0 ? outside[{epoch, index}] / total : 0.0);
    }
    histograms["fractions"].push_back(per_layer);
    histograms["outside"].push_back(per_layer_outside);
  }
  return histograms;
}

nlohmann::json max_abs_derivative(const std::string& activation) {
  try {
    const auto [low, high] = sampled_derivative_range(activation);
    return std::max(std::abs(low), std::abs(high));
  } catch (const Error&) {
    return nullptr;  // an activation this build does not know: no derivative factor drawn
  }
}

}  // namespace actlab::report
