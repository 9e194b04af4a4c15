#!/usr/bin/env python3
"""Prints what TensorBoard's own event reader finds in a run folder, as JSON.

Usage: read_events.py RUN_DIR. Exits 3 (after printing "SKIPPED: ...") when the tensorboard
package is missing, so test_tensorboard.cpp can report the test as skipped rather than passed.
Output: {"scalars": {tag: [[step, value], ...]},
         "histograms": {tag: [[step, {min, max, num, sum, sum_squares, bucket_limit, bucket}]]},
         "texts": {tag: [[step, text], ...]},
         "hparams": {"experiment": {...}, "session_start_info": {...}, "session_end_info": {...}}}
The HParams records are parsed by TensorBoard's hparams plugin (its metadata module) and given as
the JSON form of its messages (json_format.MessageToDict).
"""
import json
import sys

try:
    from tensorboard.backend.event_processing import event_accumulator as ea
    from tensorboard.util import tensor_util
    from tensorboard.plugins.hparams import metadata as hparams_metadata
    from google.protobuf import json_format
except ImportError as error:
    print(f"SKIPPED: the tensorboard Python package is missing ({error}): pip install tensorboard")
    sys.exit(3)


def main(run_dir):
    # 0 keeps every event (the defaults sample histograms and tensors).
    accumulator = ea.EventAccumulator(
        run_dir, size_guidance={ea.SCALARS: 0, ea.HISTOGRAMS: 0, ea.TENSORS: 0})
    accumulator.Reload()
    tags = accumulator.Tags()
    out = {"scalars": {}, "histograms": {}, "texts": {}}
    for tag in tags[ea.SCALARS]:
        out["scalars"][tag] = [[e.step, e.value] for e in accumulator.Scalars(tag)]
    for tag in tags[ea.HISTOGRAMS]:
        out["histograms"][tag] = [
            [e.step, {"min": h.min, "max": h.max, "num": h.num, "sum": h.sum,
                      "sum_squares": h.sum_squares, "bucket_limit": list(h.bucket_limit),
                      "bucket": list(h.bucket)}]
            for e in accumulator.Histograms(tag) for h in [e.histogram_value]]
    try:  # the tags TensorBoard hands to its text plugin
        text_tags = sorted(accumulator.PluginTagToContent("text"))
    except KeyError:
        text_tags = []
    out["text_plugin_tags"] = text_tags
    for tag in text_tags:
        texts = []
        for e in accumulator.Tensors(tag):
            value = tensor_util.make_ndarray(e.tensor_proto).item()
            texts.append([e.step, value.decode() if isinstance(value, bytes) else value])
        out["texts"][tag] = texts
    try:
        hparams_content = accumulator.PluginTagToContent(hparams_metadata.PLUGIN_NAME)
    except KeyError:
        hparams_content = {}
    parsers = {
        hparams_metadata.EXPERIMENT_TAG: ("experiment", hparams_metadata.parse_experiment_plugin_data),
        hparams_metadata.SESSION_START_INFO_TAG:
            ("session_start_info", hparams_metadata.parse_session_start_info_plugin_data),
        hparams_metadata.SESSION_END_INFO_TAG:
            ("session_end_info", hparams_metadata.parse_session_end_info_plugin_data),
    }
    out["hparams"] = {}
    for tag, content in hparams_content.items():
        name, parse = parsers[tag]
        out["hparams"][name] = json_format.MessageToDict(parse(content))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
