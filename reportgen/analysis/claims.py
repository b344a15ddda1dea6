"""The 2018 article's claims about its results, one by one: what would reproduce each, and whether the replica does.

Each claim is a small declarative entry (``CLAIMS``): the words it was made
in, what would reproduce it, and a test over the evidence. The evidence is
the replica (an experiment of the seed-2018 variant), with the textbook run
and a learning-rate sweep of the replica where they bear on a claim. Every
test reuses the one definition of its event: ``events`` for the red and brown
stars, the main figure's pixel gaps (``ExperimentAnalysis.overlap_matrix``)
against its line width for curves that hide each other, the lockstep
controls (``overlap``) for why, the sweep's robust range for a learning rate.

What data a claim was tested on is said plainly (``data_used``): the
embedded sample holds other MNIST digits than the 2018 script's, so a replica
trained on it runs the 2018 procedure on other images, not the 2018 ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING, Callable

import numpy as np

from reportgen import optimizers
from reportgen.analysis import TEXTBOOK_VARIANT, variant_of
from reportgen.analysis.curves import LINE_WIDTH_PIXELS, plotted_resolution, seed_summary
from reportgen.analysis.events import BLOW_UP, CONVERGENCE_DROP, DIVERGENCE_MARGIN, FLAT_BAND, convergence_window
from reportgen.analysis.provenance import data_used
from reportgen.formatting import listing, number, percent, share
from reportgen.training.results import ResultSet

if TYPE_CHECKING:  # read only; the sweep stage comes after this one
    from reportgen.analysis import ExperimentAnalysis
    from reportgen.analysis.tables import MethodRow
    from reportgen.sweep.analysis import SweepAnalysis

REPRODUCED, NOT_REPRODUCED, NOT_TESTED = "reproduced", "not reproduced", "not tested here"
REPLICA_VARIANT = "seed-2018"  # the claims are tested on experiments of this variant
ARTICLE, SCRIPT = "the article", "read from the 2018 script; not in the article"
ARTICLE_NOISE_LR = 1e-5
NOISE_METHODS = ("noise_training", "noise_gaussian", "adam_noise")
# The learning-rate sweep that tests the article's 1e-5 for j-l (README: "The 2018 claims"); not in the default build.
NOISE_LR_SWEEP = "reportgen sweep --preset seed-2018 --methods noise_training,noise_gaussian,adam_noise --lr-grid 1e-7:1e-3:9"


@dataclass(frozen=True)
class Evidence:
    """What the claims are tested on: a replica, and the textbook run and a sweep of the replica when the report has them."""

    replica: ResultSet
    analysis: ExperimentAnalysis
    textbook: ExperimentAnalysis | None
    sweep: SweepAnalysis | None

    def has(self, *names: str) -> bool:
        return all(name in self.letters for name in names)

    @property
    def letters(self) -> dict[str, str]:
        return {spec.name: spec.letter for spec in self.replica.methods}

    def row(self, name: str, analysis: ExperimentAnalysis | None = None) -> MethodRow | None:
        return next((row for row in (analysis or self.analysis).rows if row.method == name), None)

    def label(self, name: str) -> str:
        row = self.row(name)
        return f"{row.letter} ({row.title})"

    def curve(self, name: str) -> np.ndarray:
        """The plotted (median) cost curve of a method."""
        return seed_summary(self.replica)[0][self.replica.method_index(name)]

    def marker(self, name: str, kind: str, analysis: ExperimentAnalysis | None = None):
        return next((m for m in (analysis or self.analysis).markers if m.method == name and m.kind == kind), None)

    def pixels(self, first: str, second: str) -> float:
        """The largest gap between two plotted curves, in pixels of the main figure."""
        return float(self.analysis.overlap_matrix[self.replica.method_index(first), self.replica.method_index(second)])


Verdict = tuple[str, str]  # (outcome, evidence or why not)


@dataclass(frozen=True)
class Claim:
    subject: str
    quote: str
    source: str  # ARTICLE, or SCRIPT for what the 2018 script implies
    criterion: str  # what would reproduce it
    methods: tuple[str, ...]  # the replica must have them all for the claim to be tested
    test: Callable[[Evidence], Verdict]
    command: str = ""  # what would test it when this report cannot


@dataclass(frozen=True)
class ClaimOutcome:
    subject: str
    quote: str
    source: str
    criterion: str
    outcome: str  # REPRODUCED, NOT_REPRODUCED or NOT_TESTED
    data: str  # what it was tested on; "" when it was not
    evidence: str  # epochs and numbers, or why it was not tested
    command: str  # "" or the command that would test it


@dataclass(frozen=True)
class ClaimTable:
    """The claims tested on one replica."""

    experiment: str
    data: str  # the sentences that say what data the replica ran on
    outcomes: list[ClaimOutcome]


def _textbook_adadelta(evidence: Evidence) -> str:
    row = evidence.row("adadelta", evidence.textbook) if evidence.textbook else None
    if row is None:
        return ""
    outcome = f"diverges too, at epoch {row.diverged_epoch}" if row.diverged_epoch else f"does not blow up and ends at {number(row.final_cost)}"
    return f" With the textbook rule (experiment {evidence.textbook.experiment}: the step's sign right; other settings differ too), {row.letter} {outcome}."


def red_star(evidence: Evidence) -> Verdict:
    marker = evidence.marker("adadelta", "diverged")
    if marker:
        return REPRODUCED, f"{marker.caption}.{_textbook_adadelta(evidence)}"
    curve = evidence.curve("adadelta")
    peak = int(np.nanargmax(curve))
    return NOT_REPRODUCED, (
        f"{evidence.label('adadelta')} never blows up: it starts at {number(curve[0])}, is highest at epoch {peak + 1} "
        f"({number(curve[peak])}) and ends at {number(curve[-1])}.{_textbook_adadelta(evidence)}"
    )


def brown_star(evidence: Evidence) -> Verdict:
    marker = evidence.marker("adam_noise", "converging")
    textbook = evidence.marker("adam_noise", "converging", evidence.textbook) if evidence.textbook else None
    elsewhere = f" The textbook run shows one: {textbook.caption}." if textbook else ""
    if marker:
        return REPRODUCED, f"{marker.caption}.{elsewhere}"
    row, curve = evidence.row("adam_noise"), evidence.curve("adam_noise")
    window = convergence_window(evidence.replica.epochs)
    return NOT_REPRODUCED, (
        f"{evidence.label('adam_noise')} goes from {number(curve[0])} at epoch 1 to {number(curve[-1])} at epoch {curve.size}; "
        f"its lowest cost, {number(row.best_cost)}, is at epoch {row.best_epoch}. At no epoch does it fall by more than "
        f"{share(CONVERGENCE_DROP)} within {window} epochs after staying within {share(FLAT_BAND)} of its start.{elsewhere}"
    )


def _gap(evidence: Evidence, first: str, second: str) -> str:
    pixels = evidence.pixels(first, second)
    return f"{number(pixels * plotted_resolution(evidence.replica))} apart, {number(pixels)} pixels"


def j_hidden_by_k(evidence: Evidence) -> Verdict:
    hidden = evidence.pixels("noise_training", "noise_gaussian") <= LINE_WIDTH_PIXELS
    return REPRODUCED if hidden else NOT_REPRODUCED, (
        f"The plotted curves of j and k are at most {_gap(evidence, 'noise_training', 'noise_gaussian')} against a line "
        f"{number(LINE_WIDTH_PIXELS)} pixels wide (one pixel is {number(plotted_resolution(evidence.replica))} cost units): "
        f"{'one hides the other' if hidden else 'they can be told apart'}."
    )


def j_k_cause(evidence: Evidence) -> Verdict:
    found = next((s for s in evidence.analysis.overlaps if (s.first, s.second) == ("noise_training", "noise_gaussian")), None)
    if found is None or found.cause is None:
        return NOT_TESTED, "It needs k trained in lockstep with j (a [controls] lockstep group of noise_training and noise_gaussian); the config has none."
    own = float(np.median(found.cause.own_effect))
    pixels = own / found.resolution
    small = pixels <= LINE_WIDTH_PIXELS
    return REPRODUCED if small else NOT_REPRODUCED, (
        f"Trained in lockstep with j (same weights and Gumbel samples), k lies at most {number(own)} from j (median over seeds): "
        f"{number(pixels)} pixels, {'under' if small else 'over'} the line's {number(LINE_WIDTH_PIXELS)}. "
        "The Overlap analysis splits the plotted gap further."
    )


def a_b_c_i_coincide(evidence: Evidence) -> Verdict:
    names = ("sgd", "momentum", "nesterov", "gaussian_noise")
    pairs = sorted(combinations(names, 2), key=lambda pair: -evidence.pixels(*pair))
    apart = [pair for pair in pairs if evidence.pixels(*pair) > LINE_WIDTH_PIXELS]
    letters = evidence.letters
    widest = pairs[0]
    sentence = (
        f"The widest of the {len(pairs)} pairs, {letters[widest[0]]} and {letters[widest[1]]}, is at most {_gap(evidence, *widest)} "
        f"against a line {number(LINE_WIDTH_PIXELS)} pixels wide"
    )
    if not apart:
        return REPRODUCED, sentence + ": all four hide each other."
    told = listing([f"{letters[a]}-{letters[b]} ({number(evidence.pixels(a, b))} pixels)" for a, b in apart])
    return NOT_REPRODUCED, f"{sentence}. Told apart: {told}."


def noise_lr(evidence: Evidence) -> Verdict:
    swept = {s.method: s for s in (evidence.sweep.series if evidence.sweep else []) if s.parameter == "lr"}
    cells = {name: next((c for c in [*swept[name].cells, swept[name].default] if c.value == ARTICLE_NOISE_LR), None) for name in NOISE_METHODS if name in swept}
    if len(cells) < len(NOISE_METHODS) or None in cells.values():
        return NOT_TESTED, (
            f"Not tested in this report: it needs a learning-rate sweep of j, k and l on the replica with {number(ARTICLE_NOISE_LR)} "
            "on its grid. This command runs one (not part of the default build):"
        )
    parts, inside, larger_worse = [], [], []
    for name in NOISE_METHODS:
        series, cell = swept[name], cells[name]
        inside.append(series.has_best and series.robust_low <= ARTICLE_NOISE_LR <= series.robust_high)
        larger_worse.append(series.has_best and series.robust_high < series.values[-1])
        parts.append(
            f"{series.letter} over {number(series.values[0])} to {number(series.values[-1])}: best {number(series.best.value)}"
            f"{' (an edge of the grid)' if series.best_at_edge else ''} at {number(series.best.median_cost)}, "
            f"{number(ARTICLE_NOISE_LR)} at {number(cell.median_cost)} ({listing(sorted(set(cell.status)))})"
        )
    seeds = len(evidence.sweep.seeds)
    return REPRODUCED if all(inside) and all(larger_worse) else NOT_REPRODUCED, (
        f"Median final cost over {seeds} seed{'s' if seeds > 1 else ''}: {'; '.join(parts)}. "
        f"{number(ARTICLE_NOISE_LR)} lies in the robust range (within {share(evidence.sweep.robust_fraction)} of the best) "
        f"for {sum(inside)} of {len(NOISE_METHODS)}; the grid's largest rate lies outside it for {sum(larger_worse)} of {len(NOISE_METHODS)}."
    )


def i_accuracy(evidence: Evidence) -> Verdict:
    a, i = evidence.row("sgd"), evidence.row("gaussian_noise")
    better = i.test_accuracy > a.test_accuracy
    return REPRODUCED if better else NOT_REPRODUCED, (
        f"Final test accuracy on {evidence.replica.data.get('n_test')} held-out images (median over seeds): "
        f"{i.letter} {percent(i.test_accuracy)}, {a.letter} (the same step without the noise) {percent(a.test_accuracy)}; "
        f"final cost {number(i.final_cost)} and {number(a.final_cost)}. The 2018 script measured no accuracy."
    )


CLAIMS = (
    Claim(
        "Gaussian noise improves accuracy",
        "Here we have very simple yet powerful solution, just adding Gaussian noise to gradient. "
        "I am still wowed by how this simple method improves overall accuracy.",
        ARTICLE,
        "i (SGD plus the Gaussian) ends with a higher test accuracy than a (SGD)",
        ("sgd", "gaussian_noise"),
        i_accuracy,
    ),
    Claim(
        f"The noise methods need learning rate {number(ARTICLE_NOISE_LR)}",
        "Also, please do note for Noise Training methods I set the learning rate as 0.00001.",
        ARTICLE,
        f"in a learning-rate sweep of the replica, {number(ARTICLE_NOISE_LR)} lies in the robust range of each of j, k and l "
        "(the rates whose median final cost is close to the best one's) and the grid's largest rate does not: a larger rate does worse",
        NOISE_METHODS,
        noise_lr,
        NOISE_LR_SWEEP,
    ),
    Claim(
        "Red star: Adadelta's cost goes crazy",
        "The Red Star → Where Adadelta’s cost have started going crazy and went to point of no return.",
        ARTICLE,
        f"e's plotted cost diverges: a run stops, or from some epoch on the cost stays more than {share(DIVERGENCE_MARGIN)} above "
        f"its start and climbs past {number(BLOW_UP)} times the lowest cost before (the red star's rule)",
        ("adadelta",),
        red_star,
    ),
    Claim(
        "Brown star: Adam Noise starts to converge",
        "Brown Star → Where Adam Noise optimization method actually started to show signs of convergence. "
        "It is truly amazing to see how this is even possible.",
        ARTICLE,
        f"l's plotted cost has a brown star: it stays within {share(FLAT_BAND)} of its start for a window of epochs, "
        f"then falls by more than {share(CONVERGENCE_DROP)} within one window (the brown star's rule)",
        ("adam_noise",),
        brown_star,
    ),
    Claim(
        "j is hidden by k",
        "The reason why you can’t see Noise Training results (j) is because Noise Training and Gaussian Additive Noise "
        "almost have identical cost values, so one is overlay-ed by another.",
        ARTICLE,
        "the largest gap between the plotted curves of j and k is no wider than the main figure's line",
        ("noise_training", "noise_gaussian"),
        j_hidden_by_k,
    ),
    Claim(
        "j and k overlap because k's Gaussian is tiny",
        "Why they overlap follows from the numbers: [...] every weight drifts by about -lr * 0.5772 * 5000 in the same direction, "
        "while the added Gaussian has standard deviation at most 0.001 and is one scalar shared by all weights.",
        SCRIPT,
        "k trained in lockstep with j (the same Gumbel samples, so only the Gaussian differs) stays closer to j than the main figure's line",
        ("noise_training", "noise_gaussian"),
        j_k_cause,
    ),
    Claim(
        "a, b, c and i nearly coincide",
        "By the same reasoning, a, b, c and i should nearly coincide too (alpha = 0.001, tiny gradient noise).",
        SCRIPT,
        "no two of the plotted curves of a, b, c and i are farther apart than the main figure's line",
        ("sgd", "momentum", "nesterov", "gaussian_noise"),
        a_b_c_i_coincide,
    ),
)


def _outcome(claim: Claim, evidence: Evidence, data: str) -> ClaimOutcome:
    missing = [name for name in claim.methods if not evidence.has(name)]
    if missing:
        letters = [optimizers.describe(name, REPLICA_VARIANT).letter for name in missing]
        outcome, said = NOT_TESTED, f"The replica does not train {listing(letters)}."
    else:
        outcome, said = claim.test(evidence)
    command = claim.command if outcome == NOT_TESTED and not missing else ""
    return ClaimOutcome(claim.subject, claim.quote, claim.source, claim.criterion, outcome, data if outcome != NOT_TESTED else "", said, command)


def evaluate(result_sets: list[ResultSet], analyses: list[ExperimentAnalysis], sweeps: list[SweepAnalysis] | None) -> list[ClaimTable]:
    """Every claim tested on each replica (experiments of the seed-2018 variant), with the first textbook run and the replica's own sweep."""
    pairs = list(zip(result_sets, analyses))
    textbook = next((analysis for result_set, analysis in pairs if variant_of(result_set) == TEXTBOOK_VARIANT), None)
    tables = []
    for result_set, analysis in pairs:
        if variant_of(result_set) != REPLICA_VARIANT:
            continue
        sweep = next((sweep for sweep in sweeps or [] if sweep.experiment == result_set.experiment), None)
        evidence = Evidence(result_set, analysis, textbook, sweep)
        short, full = data_used(result_set)
        tables.append(ClaimTable(result_set.experiment, full, [_outcome(claim, evidence, short) for claim in CLAIMS]))
    return tables
