#!/usr/bin/env python3
"""Compares two sweep folders' records (tests/records/identical_test.sh).

  compare_records.py exact EXPECTED ACTUAL FILE...   byte for byte (a JSON file's generated_by
                                                      and wall times masked)
  compare_records.py close EXPECTED_SWEEP ACTUAL_SWEEP  every record file of every run, the
                                                      tables and the verdicts: the same files,
                                                      keys in the same order, the same strings,
                                                      integers and booleans; other numbers
                                                      within a relative 1e-3 (the same arithmetic
                                                      on another CPU's kernels rounds otherwise);
                                                      wall times, commits and host names masked.
  compare_records.py shape EXPECTED_SWEEP ACTUAL_SWEEP  as close for what no training
                                                      number decides (config.json, run.json, the
                                                      experiment file); of the other records the
                                                      same files, keys in the same order, and the
                                                      tables' columns, values not compared: for a
                                                      sweep made on another kind of CPU, where
                                                      rounding moves a run (an image flips, a
                                                      target is met an evaluation later).

Why two modes: the readers (collect, verdict, report) turn fixed records into tables, verdicts
and report numbers, deterministically, so their output must not change by one byte. A fresh
training run on another machine's CPU may round differently (oneDNN picks its kernels by
instruction set), so the writers are held to everything but the last digits of their floats.
"""
import csv
import io
import json
import math
import os
import re
import sys

# Fields that are wall-clock or machine facts, not results: masked in both modes.
MASKED_KEY = re.compile(
    r"(^|_)(seconds|elapsed|wall|time|timestamp|started|ended|date|commit|host|hostname|pid|"
    r"generated_by|made_by|img_per_s|images_per_second|throughput|version|libtorch|cpu|"
    r"threads_available|duration)($|_)")
RECORD_SUFFIXES = (".json", ".jsonl", ".csv", ".toml")
# Text written for people beside the records; training logs carry speeds and times.
SKIPPED_FILES = {"log.txt"}


class Mismatch(Exception):
    pass


def masked(key):
    return bool(MASKED_KEY.search(str(key)))


def mask_json(value, key=""):
    if masked(key):
        return "<masked>"
    if isinstance(value, dict):
        return {k: mask_json(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_json(v, key) for v in value]
    return value


def close_numbers(a, b):
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, int) and isinstance(b, int):
        return a == b
    if math.isnan(a) and math.isnan(b):
        return True
    return math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-9)


# Where the sweep and the checkout lie differs between the fixture and a run made again (config.json
# keeps `out` and the data folder as absolute paths): close mode compares them from those roots on.
PLACES = []


def placed(text):
    for pattern, name in PLACES:
        text = pattern.sub(name, text)
    return text


def compare_values(a, b, where):
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            raise Mismatch(f"{where}: keys {list(a)} != {list(b)}")
        for k in a:
            compare_values(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            raise Mismatch(f"{where}: {len(a)} items != {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            compare_values(x, y, f"{where}[{i}]")
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if not close_numbers(a, b):
            raise Mismatch(f"{where}: {a!r} != {b!r}")
    elif isinstance(a, str) and isinstance(b, str):
        if placed(a) != placed(b):
            raise Mismatch(f"{where}: {a!r} != {b!r}")
    elif a != b:
        raise Mismatch(f"{where}: {a!r} != {b!r}")


def compare_shape(a, b, where):
    # Objects against objects, lists against lists; scalars may differ (a number where the other
    # CPU's run has null: a target met by one run and not the other). List lengths may differ too:
    # a run that meets its stop condition an evaluation later writes more lines.
    if isinstance(a, dict) != isinstance(b, dict) or isinstance(a, list) != isinstance(b, list):
        raise Mismatch(f"{where}: {type(a).__name__} != {type(b).__name__}")
    if isinstance(a, dict):
        if list(a) != list(b):
            raise Mismatch(f"{where}: keys {list(a)} != {list(b)}")
        for k in a:
            compare_shape(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        if (len(a) == 0) != (len(b) == 0):
            raise Mismatch(f"{where}: {len(a)} items != {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            compare_shape(x, y, f"{where}[{i}]")


# Records no training number decides: compared in full even in shape mode.
SETUP_FILES = ("config.json", "run.json", "experiment.toml")


def number_or_text(cell):
    try:
        return int(cell)
    except ValueError:
        pass
    try:
        return float(cell)
    except ValueError:
        return cell


# A masked key's value in JSON text, whatever it is (a string, a number, null).
JSON_FIELD = re.compile(r'"([A-Za-z0-9_.]+)"(\s*:\s*)("(?:[^"\\]|\\.)*"|[^,}\]\n]*)')


def mask_json_text(text):
    return JSON_FIELD.sub(
        lambda m: f'"{m.group(1)}"{m.group(2)}<masked>' if masked(m.group(1)) else m.group(0), text)


def load(path, exact):
    text = open(path, encoding="utf-8").read()
    name = os.path.basename(path)
    if exact and name.endswith((".json", ".jsonl")):
        return mask_json_text(text)
    if name.endswith(".jsonl"):
        return [mask_json(json.loads(line)) for line in text.splitlines() if line.strip()]
    if name.endswith(".json"):
        return mask_json(json.loads(text))
    if name.endswith(".csv"):
        rows = list(csv.reader(io.StringIO(text)))
        header = rows[0] if rows else []
        return [[("<masked>" if masked(header[i]) else (cell if exact else number_or_text(cell)))
                 for i, cell in enumerate(row)] for row in rows]
    return text


def compare_exact(expected_dir, actual_dir, files):
    for name in files:
        expected = load(os.path.join(expected_dir, name), exact=True)
        actual = load(os.path.join(actual_dir, name), exact=True)
        if expected != actual:
            raise Mismatch(f"{name} differs from the fixture's{first_difference(expected, actual)}")


def first_difference(expected, actual):
    a = json.dumps(expected, indent=1).splitlines() if not isinstance(expected, str) else expected.splitlines()
    b = json.dumps(actual, indent=1).splitlines() if not isinstance(actual, str) else actual.splitlines()
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f" (line {i + 1}: fixture {x.strip()!r}, now {y.strip()!r})"
    return f" ({len(a)} lines against {len(b)})"


def record_files(root):
    found = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(RECORD_SUFFIXES) and name not in SKIPPED_FILES:
                found.append(os.path.relpath(os.path.join(folder, name), root))
    return found


def compare_close(expected_dir, actual_dir, shape_only=False):
    sweep = re.escape(os.path.basename(os.path.normpath(expected_dir)))
    PLACES[:] = [(re.compile(r"/[^\s\"',]*/" + sweep + r"(?=/|$)"), "<sweep>"),
                 (re.compile(r"/[^\s\"',]*(?=/data/cifar-10-batches-bin)"), "<checkout>"),
                 # The archive the data was prepared from: where it lay is the machine's fact,
                 # its sha256 beside it is the record.
                 (re.compile(r"/[^\s\"',]*/(?=[^/\s\"',]+\.tar\.gz(?=\"|$))"), "<archive>/")]
    expected_files, actual_files = record_files(expected_dir), record_files(actual_dir)
    if expected_files != actual_files:
        missing = sorted(set(expected_files) - set(actual_files))
        extra = sorted(set(actual_files) - set(expected_files))
        raise Mismatch(f"other record files: missing {missing[:5]}, new {extra[:5]}")
    for name in expected_files:
        expected = load(os.path.join(expected_dir, name), exact=False)
        actual = load(os.path.join(actual_dir, name), exact=False)
        if not shape_only or os.path.basename(name) in SETUP_FILES:
            compare_values(expected, actual, name)
        elif name.endswith(".csv"):
            compare_values(expected[:1], actual[:1], name)  # the header: the same columns
        else:
            compare_shape(expected, actual, name)
    return len(expected_files)


def main():
    mode, expected, actual, *files = sys.argv[1:]
    try:
        if mode == "exact":
            compare_exact(expected, actual, files)
            print(f"exact: {len(files)} files equal the fixture's byte for byte")
        elif mode == "shape":
            count = compare_close(expected, actual, shape_only=True)
            print(f"shape: {count} record files have the fixture's files, keys and columns")
        else:
            count = compare_close(expected, actual)
            print(f"close: {count} record files equal the fixture's (floats within 1e-3)")
    except Mismatch as error:
        sys.exit(f"FAIL: {error}")


if __name__ == "__main__":
    main()
