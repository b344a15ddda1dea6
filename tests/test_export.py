"""Raw metrics as tidy CSV and JSON."""

import csv
import io
import json
import math

import numpy as np
from fixtures import make_pair, make_result_set

from reportgen.report import export
from reportgen.training.results import EPOCH_METRICS


def test_one_row_per_method_seed_and_epoch():
    replica, textbook = make_pair(epochs=6)
    rows = list(csv.DictReader(io.StringIO(export.to_csv([replica, textbook]))))
    assert len(rows) == 12 * 1 * 6 + 12 * 3 * 6
    keys = {(row["experiment"], row["method"], row["seed"], row["epoch"]) for row in rows}
    assert len(keys) == len(rows)
    assert list(rows[0]) == export.columns([replica, textbook])
    assert {"grad_norm_layer1", "update_norm_layer3"} <= set(rows[0])


def test_values_round_trip_exactly():
    result_set = make_result_set(epochs=5)
    rows = list(csv.DictReader(io.StringIO(export.to_csv([result_set]))))
    index = result_set.method_index("adam")
    adam = [row for row in rows if row["method"] == "adam"]
    for epoch, row in enumerate(adam):
        for metric in EPOCH_METRICS:
            assert float(row[metric]) == result_set.arrays[metric][index, 0, epoch]
        assert float(row["update_norm_layer2"]) == result_set.arrays["update_norm"][index, 0, epoch, 1]


def test_diverged_epochs_are_empty_in_csv_and_null_in_json():
    result_set = make_result_set(epochs=10, adadelta_nan=True)
    stopped = int(result_set.diverged_epoch[result_set.method_index("adadelta"), 0])
    assert stopped > 0
    rows = [row for row in csv.DictReader(io.StringIO(export.to_csv([result_set]))) if row["method"] == "adadelta"]
    for row in rows:
        epoch = int(row["epoch"])
        assert row["diverged"] == ("true" if epoch >= stopped else "false")
        assert (row["train_cost_logged"] == "") == bool(np.isnan(result_set.arrays["train_cost_logged"][4, 0, epoch - 1]))
    document = json.loads(export.to_json([result_set]))  # strict JSON: no NaN tokens
    records = [record for record in document["records"] if record["method"] == "adadelta"]
    assert records[-1]["train_cost_logged"] is None and records[-1]["diverged"] is True
    assert records[0]["train_cost_logged"] is not None and records[0]["diverged"] is False


def test_json_identifies_the_experiments():
    replica, textbook = make_pair(epochs=4)
    document = json.loads(export.to_json([replica, textbook]))
    assert document["format"] == "reportgen-metrics" and document["format_version"] == 2
    assert [entry["experiment"] for entry in document["experiments"]] == ["seed-2018", "textbook"]
    assert document["experiments"][1]["key"] == textbook.key
    assert document["experiments"][0]["methods"][6]["hyperparams"]["betas"] == [0.9, 0.999]
    assert document["experiments"][0]["methods"][6]["schedule"] is None  # a constant lr (a schedule: tests/test_report_methods.py)
    assert len(document["records"]) == 12 * 4 + 12 * 3 * 4
    assert all(math.isfinite(value) for record in document["records"] for value in record.values() if isinstance(value, float))


def test_numpy_values_in_config_become_plain_json():
    result_set = make_result_set(epochs=3)
    result_set.data["pool"] = np.array([980, 1135])
    result_set.config["scale"] = np.float64(0.2)
    document = json.loads(export.to_json([result_set]))
    assert document["experiments"][0]["data"]["pool"] == [980, 1135]
    assert document["experiments"][0]["config"]["scale"] == 0.2


def test_export_is_deterministic():
    first = make_pair(epochs=4)
    second = make_pair(epochs=4)
    assert export.to_csv(list(first)) == export.to_csv(list(second))
    assert export.to_json(list(first)) == export.to_json(list(second))
