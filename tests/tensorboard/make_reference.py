#!/usr/bin/env python3
"""Writes reference.tfevents with TensorBoard's own protocol buffers and record writer.

test_tensorboard.cpp builds the same events with actlab's encoder and compares the bytes. Run once
(`pip install tensorboard`; python3 tests/tensorboard/make_reference.py) and commit the output;
the fixture pins the format, so regenerate it only when the events in the test change.
"""
import io
import os
import sys

import numpy as np
from google.protobuf import struct_pb2
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.compat.proto.histogram_pb2 import HistogramProto
from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2
from tensorboard.plugins.hparams import metadata as hparams_metadata
from tensorboard.plugins.text import metadata as text_metadata
from tensorboard.summary.writer.record_writer import RecordWriter
from tensorboard.util import tensor_util

DBL_MAX = sys.float_info.max


def _varint(n):
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def events():
    yield event_pb2.Event(wall_time=1700000000.25, file_version="brain.Event:2")
    text = summary_pb2.Summary.Value(
        tag="config",
        tensor=tensor_util.make_tensor_proto(np.array('    {\n      "lr": 0.01\n    }')),
        metadata=text_metadata.create_summary_metadata(display_name=None, description=None),
    )
    yield event_pb2.Event(wall_time=1700000000.5, step=0, summary=summary_pb2.Summary(value=[text]))
    scalars = [
        summary_pb2.Summary.Value(tag="metrics/test_error", simple_value=0.875),
        summary_pb2.Summary.Value(tag="metrics/epoch", simple_value=0.0),
        summary_pb2.Summary.Value(tag="dead_fraction/features.0.act", simple_value=-1.5e-7),
    ]
    yield event_pb2.Event(wall_time=1700000123.0, step=390, summary=summary_pb2.Summary(value=scalars))
    histogram = HistogramProto(
        min=-10.25, max=10.25, num=1000, sum=-12.5, sum_squares=845.0,
        bucket_limit=[-10.0, -9.75, 10.0, DBL_MAX], bucket=[3, 0, 990, 7])
    empty = HistogramProto(bucket_limit=[0.0], bucket=[0.0])  # proto3 drops the zero fields
    values = [summary_pb2.Summary.Value(tag="preact_histogram/features.0.act", histo=histogram),
              summary_pb2.Summary.Value(tag="preact_histogram/empty", histo=empty)]
    yield event_pb2.Event(wall_time=1700000124.0, step=123456789012, summary=summary_pb2.Summary(value=values))
    # HParams records as the plugin's summary API builds them (hparams/summary.py `_summary`:
    # metadata.NULL_TENSOR with the plugin data in its metadata), without TensorFlow.
    experiment = api_pb2.Experiment(
        name="demo", description="actlab runs of demo",
        hparam_infos=[api_pb2.HParamInfo(name="lr", type=api_pb2.DATA_TYPE_FLOAT64),
                      api_pb2.HParamInfo(name="activation", type=api_pb2.DATA_TYPE_STRING,
                                         differs=True),
                      api_pb2.HParamInfo(name="augment", type=api_pb2.DATA_TYPE_BOOL)],
        metric_infos=[api_pb2.MetricInfo(name=api_pb2.MetricName(tag="summary/final_test_error"),
                                         description="test error at the last evaluation")])
    # The map's entries in key order, as C++'s deterministic serialization writes them (the
    # test inserts lr first, so this pins the sorting). Python's upb writes a map in hash order,
    # so the entries are serialized one message each and concatenated (a map is a repeated
    # entry field: concatenated messages merge into one).
    values = {"activation": struct_pb2.Value(string_value="relu"),
              "augment": struct_pb2.Value(bool_value=False),
              "lr": struct_pb2.Value(number_value=0.01)}
    start_bytes = b"".join(
        plugin_data_pb2.SessionStartInfo(hparams={key: values[key]}).SerializeToString()
        for key in sorted(values)) + plugin_data_pb2.SessionStartInfo(
            start_time_secs=1700000000.5).SerializeToString()
    start = plugin_data_pb2.SessionStartInfo.FromString(start_bytes)
    end = plugin_data_pb2.SessionEndInfo(status=api_pb2.STATUS_SUCCESS, end_time_secs=1700000200.0)

    def hparams_value(tag, raw=None, **data):
        metadata = hparams_metadata.create_summary_metadata(
            plugin_data_pb2.HParamsPluginData(**data))
        if raw is not None:  # the plugin's message as given (version 0 is not written)
            metadata.plugin_data.content = raw
        return summary_pb2.Summary.Value(tag=tag, tensor=hparams_metadata.NULL_TENSOR,
                                         metadata=metadata)

    yield event_pb2.Event(wall_time=1700000000.5, step=0, summary=summary_pb2.Summary(value=[
        hparams_value(hparams_metadata.EXPERIMENT_TAG, experiment=experiment),
        hparams_value(hparams_metadata.SESSION_START_INFO_TAG, raw=b"\x1a" +
                      _varint(len(start_bytes)) + start_bytes)]))
    yield event_pb2.Event(wall_time=1700000200.0, step=390, summary=summary_pb2.Summary(value=[
        summary_pb2.Summary.Value(tag="summary/final_test_error", simple_value=0.5),
        hparams_value(hparams_metadata.SESSION_END_INFO_TAG, session_end_info=end)]))


def main():
    buffer = io.BytesIO()
    writer = RecordWriter(buffer)
    for event in events():
        writer.write(event.SerializeToString(deterministic=True))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.tfevents")
    with open(path, "wb") as f:
        f.write(buffer.getvalue())
    print(f"wrote {path} ({len(buffer.getvalue())} bytes)")


if __name__ == "__main__":
    main()
