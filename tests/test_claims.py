"""The 2018 claims one by one: each claim's test on synthetic ResultSets shaped to reproduce it, and changed so that it does not."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
from fixtures import fixture_experiment, make_pair, render_report

from reportgen.analysis import analyse, claims, provenance
from reportgen.report import figures
from reportgen.sweep import analysis as sweep_analysis
from reportgen.sweep import plan as sweep_plan
from reportgen.training.results import RunMetrics

EPOCHS = 30
EMBEDDED = {
    "source": "embedded",
    "description": "MNIST sample embedded in reportgen, 500 zeros + 500 ones",
    "path": "",
    "split": "",
    "n_train": 50,
    "n_test": 20,
    "pool_zeros": 500,
    "pool_ones": 500,
    "selection_seed": 678,
}
T10K = {**EMBEDDED, "source": "idx", "description": "MNIST t10k (IDX files in /data), 980 zeros + 1135 ones", "split": "test", "pool_zeros": 980, "pool_ones": 1135}


@pytest.fixture(scope="module")
def pair():
    replica, textbook = make_pair(epochs=EPOCHS)
    replica.data = dict(EMBEDDED)
    return replica, textbook


def changed(result_set, name, **metrics):
    """A deep copy of the ResultSet with some metrics of one method replaced (every seed)."""
    copied = copy.deepcopy(result_set)
    for metric, values in metrics.items():
        copied.arrays[metric][copied.method_index(name)] = values
    return copied


def outcomes(result_sets, sweeps=None) -> dict[str, claims.ClaimOutcome]:
    """The claims of the first replica, by subject."""
    tables = claims.evaluate(result_sets, analyse(result_sets).experiments, sweeps)
    return {outcome.subject: outcome for outcome in tables[0].outcomes}


def subject(test) -> str:
    return next(claim.subject for claim in claims.CLAIMS if claim.test is test)


def test_each_claim_is_tested_on_the_replica_and_says_on_which_images(pair):
    found = outcomes(list(pair))
    assert list(found) == [claim.subject for claim in claims.CLAIMS]
    for outcome in found.values():
        assert outcome.outcome in (claims.REPRODUCED, claims.NOT_REPRODUCED, claims.NOT_TESTED)
        tested = outcome.outcome != claims.NOT_TESTED
        assert outcome.data == ("the 2018 procedure on the embedded sample of other images, seed 678" if tested else "")
    [table] = claims.evaluate(list(pair), analyse(list(pair)).experiments, None)
    assert table.experiment == "seed-2018" and "These are not the 2018 images" in table.data


def test_the_2018_images_only_when_they_are(pair):
    replica = copy.deepcopy(pair[0])
    replica.data = dict(T10K)
    short, full = provenance.data_used(replica)
    assert short == "the 2018 images (t10k), seed 678" and "seed 678 draws the 2018 starting weights" in full
    replica.seeds = [1]
    assert "no seed is 678" in provenance.data_used(replica)[1]
    for other in ({**T10K, "n_train": 100}, {**T10K, "split": "train"}, {**T10K, "selection_seed": 5}):
        replica.data = other
        assert provenance.images(other).startswith("other images (") and "not the 2018 images" in provenance.data_used(replica)[1]


def test_no_replica_no_claims(pair):
    assert claims.evaluate([pair[1]], analyse([pair[1]]).experiments, None) == []


def test_red_star(pair):
    replica, textbook = pair
    found = outcomes([replica, textbook])[subject(claims.red_star)]
    assert found.outcome == claims.REPRODUCED and "e (Adadelta) blows up at epoch" in found.evidence
    assert "e does not blow up and ends at" in found.evidence  # the textbook run's Adadelta
    calm = changed(replica, "adadelta", train_cost_logged=replica.metric("train_cost_logged")[0])
    found = outcomes([calm])[subject(claims.red_star)]
    assert found.outcome == claims.NOT_REPRODUCED and "never blows up" in found.evidence and "textbook" not in found.evidence


def test_brown_star(pair):
    replica, textbook = pair
    found = outcomes([replica])[subject(claims.brown_star)]
    assert found.outcome == claims.REPRODUCED and found.evidence.startswith("l (Adam noise training) stays within 5% of its starting cost")
    rising = np.linspace(8.26, 11.1, EPOCHS)
    found = outcomes([changed(replica, "adam_noise", train_cost_logged=rising), textbook])[subject(claims.brown_star)]
    assert found.outcome == claims.NOT_REPRODUCED
    assert found.evidence.startswith("l (Adam noise training) goes from 8.26 at epoch 1 to 11.1 at epoch 30; its lowest cost, 8.26, is at epoch 1.")
    assert "The textbook run shows one: l (Adam noise training) stays within" in found.evidence


def test_j_hidden_by_k(pair):
    replica = pair[0]
    assert outcomes([replica])[subject(claims.j_hidden_by_k)].outcome == claims.REPRODUCED
    j = replica.metric("train_cost_logged")[replica.method_index("noise_training")]
    found = outcomes([changed(replica, "noise_gaussian", train_cost_logged=j * 0.7)])[subject(claims.j_hidden_by_k)]
    assert found.outcome == claims.NOT_REPRODUCED and "they can be told apart" in found.evidence


def test_j_k_cause(pair):
    replica = pair[0]
    name = "lockstep:noise_training:noise_gaussian:cost_logged"
    assert outcomes([replica])[subject(claims.j_k_cause)].outcome == claims.REPRODUCED
    apart = copy.deepcopy(replica)
    apart.controls[name] = apart.controls[name] * 0.7
    found = outcomes([apart])[subject(claims.j_k_cause)]
    assert found.outcome == claims.NOT_REPRODUCED and "over the line's 4.167" in found.evidence
    uncontrolled = copy.deepcopy(replica)
    uncontrolled.config["controls"]["lockstep"] = [group for group in uncontrolled.config["controls"]["lockstep"] if "noise_gaussian" not in group]
    found = outcomes([uncontrolled])[subject(claims.j_k_cause)]
    assert found.outcome == claims.NOT_TESTED and found.data == "" and "lockstep" in found.evidence


def test_a_b_c_i_coincide(pair):
    replica = pair[0]
    found = outcomes([replica])[subject(claims.a_b_c_i_coincide)]
    assert found.outcome == claims.REPRODUCED and "all four hide each other" in found.evidence
    i = replica.metric("train_cost_logged")[replica.method_index("gaussian_noise")]
    found = outcomes([changed(replica, "gaussian_noise", train_cost_logged=i * 1.5)])[subject(claims.a_b_c_i_coincide)]
    assert found.outcome == claims.NOT_REPRODUCED and "Told apart: c-i" in found.evidence and "a-i (" in found.evidence and "b-c" not in found.evidence


def test_i_accuracy(pair):
    replica = pair[0]
    accuracy = np.full((1, EPOCHS), 0.9)
    better = changed(changed(replica, "sgd", test_accuracy=accuracy), "gaussian_noise", test_accuracy=accuracy + 0.05)
    found = outcomes([better])[subject(claims.i_accuracy)]
    assert found.outcome == claims.REPRODUCED and "i 95.0%, a (the same step without the noise) 90.0%" in found.evidence
    tied = changed(changed(replica, "sgd", test_accuracy=accuracy), "gaussian_noise", test_accuracy=accuracy)
    assert outcomes([tied])[subject(claims.i_accuracy)].outcome == claims.NOT_REPRODUCED


def noise_sweep(replica, final_cost, grid=(1e-7, 1e-6, 1e-5, 1e-4)):
    """A sweep of j, k and l whose every run goes from 10 to final_cost(lr)."""
    experiment = fixture_experiment("seed-2018", "seed-2018", (678,), EPOCHS, 50)
    planned = sweep_plan.plan(experiment, {"lr": list(grid), "methods": list(claims.NOISE_METHODS), "seeds": [678]})
    runs = {
        (sweep_plan.cell_name(spec.method), spec.seed): RunMetrics({"train_cost_logged": np.linspace(10.0, final_cost(spec.method.hyperparams["lr"]), EPOCHS)})
        for spec in planned.specs()
    }
    return sweep_analysis.analyse_sweep(planned, runs)


def test_the_noise_learning_rate_needs_a_sweep(pair):
    replica = pair[0]
    found = outcomes([replica])[subject(claims.noise_lr)]
    assert found.outcome == claims.NOT_TESTED and found.command == claims.NOISE_LR_SWEEP and found.data == ""
    lowest_at_article_lr = noise_sweep(replica, lambda lr: 5.0 + abs(np.log10(lr) + 5))
    found = outcomes([replica], [lowest_at_article_lr])[subject(claims.noise_lr)]
    assert found.outcome == claims.REPRODUCED and found.command == ""
    assert "j over 1e-07 to 0.0001: best 1e-05 at 5, 1e-05 at 5 (converged)" in found.evidence and "for 3 of 3; the grid's largest rate lies outside it for 3 of 3" in found.evidence
    smaller_is_better = noise_sweep(replica, lambda lr: 8.0 + 1e5 * lr)
    found = outcomes([replica], [smaller_is_better])[subject(claims.noise_lr)]
    assert found.outcome == claims.NOT_REPRODUCED and "best 1e-07 (an edge of the grid) at 8" in found.evidence and "for 0 of 3" in found.evidence
    flat = noise_sweep(replica, lambda lr: 5.0)  # any rate will do: nothing needs 1e-5
    found = outcomes([replica], [flat])[subject(claims.noise_lr)]
    assert found.outcome == claims.NOT_REPRODUCED and "for 3 of 3; the grid's largest rate lies outside it for 0 of 3" in found.evidence
    off_grid = noise_sweep(replica, lambda lr: 5.0, grid=(1e-7, 1e-6, 1e-4))
    replica_elsewhere = dataclasses.replace(off_grid, series=[dataclasses.replace(s, default=s.cells[0]) for s in off_grid.series])
    assert outcomes([replica], [replica_elsewhere])[subject(claims.noise_lr)].outcome == claims.NOT_TESTED


def test_a_method_the_replica_lacks_leaves_its_claims_untested(pair):
    replica = copy.deepcopy(pair[0])
    keep = [index for index, spec in enumerate(replica.methods) if spec.name != "adadelta"]
    replica.methods = [replica.methods[index] for index in keep]
    replica.arrays = {name: values[keep] for name, values in replica.arrays.items()}
    replica.diverged_epoch = replica.diverged_epoch[keep]
    found = outcomes([replica])[subject(claims.red_star)]
    assert (found.outcome, found.evidence, found.command) == (claims.NOT_TESTED, "The replica does not train e.", "")


def test_the_section_in_html_and_markdown(pair, tmp_path, monkeypatch):
    monkeypatch.setattr(figures, "draw_all", lambda *arguments: [])  # the figures are not under test here
    render_report(list(pair), tmp_path)
    html, markdown = (tmp_path / "index.html").read_text(), (tmp_path / "report.md").read_text()
    section = html[html.index('<h2 id="the-2018-claims">') : html.index('<h2 id="limitations">')]
    assert '<div class="scroll" tabindex="0">\n<table class="claims">' in section and section.count("<tr>") == len(claims.CLAIMS) + 1
    assert f"<code>{claims.NOISE_LR_SWEEP}</code>" in section and "These are not the 2018 images" in section
    markdown = markdown[markdown.index("## The 2018 claims") : markdown.index("## Limitations")]
    rows = [line for line in markdown.splitlines() if line.startswith("| **")]
    assert len(rows) == len(claims.CLAIMS) and all(line.count(" | ") == 4 for line in rows)  # five cells, none split
    assert f"`{claims.NOISE_LR_SWEEP}`" in markdown
    render_report([pair[1]], tmp_path / "textbook")
    alone = (tmp_path / "textbook" / "report.md").read_text()
    assert "## The 2018 claims" not in alone and "## Overlap analysis" in alone  # no replica: nothing to test the claims on
