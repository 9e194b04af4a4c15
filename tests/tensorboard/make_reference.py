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
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.compat.proto.histogram_pb2 import HistogramProto
from tensorboard.plugins.text import metadata as text_metadata
from tensorboard.summary.writer.record_writer import RecordWriter
from tensorboard.util import tensor_util

DBL_MAX = sys.float_info.max


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


def main():
    buffer = io.BytesIO()
    writer = RecordWriter(buffer)
    for event in events():
        writer.write(event.SerializeToString())
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.tfevents")
    with open(path, "wb") as f:
        f.write(buffer.getvalue())
    print(f"wrote {path} ({len(buffer.getvalue())} bytes)")


if __name__ == "__main__":
    main()
