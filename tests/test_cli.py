"""The installed ``reportgen`` console script, as a newcomer first meets it: every --help, and a tiny bench."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from reportgen import cli

pytestmark = pytest.mark.slow  # real processes

SCRIPT = Path(sys.executable).parent / "reportgen"  # what `pip install` put beside this interpreter
SUBCOMMANDS = ["build", "run", "sweep", "ablate", "render", "presets", "bench"]  # as README's command-line section lists them


def run_script(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    assert SCRIPT.is_file(), f"the console script is not installed at {SCRIPT}; install the project first (pip install '.[test]')"
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout)


def test_the_subcommands_are_the_documented_ones():
    listed = cli.build_parser().format_help().split("positional arguments:")[1].split("options:")[0]
    assert re.findall(r"^    (\w+) ", listed, re.M) == SUBCOMMANDS


@pytest.mark.parametrize("command", [[], *[[name] for name in SUBCOMMANDS]], ids=["reportgen", *SUBCOMMANDS])
def test_every_help_works_through_the_console_script(command):
    finished = run_script(*command, "--help")
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.startswith(f"usage: reportgen {' '.join(command)}".rstrip()) and finished.stderr == ""


def test_a_tiny_bench_runs_through_the_console_script():
    finished = run_script("bench", "--quick", "--methods", "sgd", "--repeats", "1", "--workers", "1")
    assert finished.returncode == 0, finished.stderr
    rows = [line.split() for line in finished.stdout.splitlines() if line.split()[:2] in (["seed-2018", "sgd"], ["textbook", "sgd"])]
    assert len(rows) == 2 and all(row[3].endswith("/s") and row[4].endswith("/s") for row in rows)
    # the plain 2018 loop trains the seed-2018 run only; torch.optim only the textbook one
    seed_2018, textbook = rows
    assert seed_2018[2].endswith("/s") and seed_2018[5].endswith("x") and seed_2018[6:8] == ["-", "-"]
    assert textbook[2] == "-" and textbook[5] == "-"
    assert "seed-2018 preset, 1 of 12 methods" in finished.stdout
    assert "x 100 epochs x 50 images, batch 1 (measured over 5 epochs, projected):" in finished.stdout
    assert re.search(r"^  plain 2018 loop, one process: +[0-9.]+ s$", finished.stdout, re.M)
    assert re.search(r"^  engine, one process: +[0-9.]+ s \(each run right after the plain loop's\)$", finished.stdout, re.M)
    assert "pool of" not in finished.stdout  # --workers 1: one process is all there is
    assert re.search(r"^  per core, plain loop / engine in one process: [0-9.]+x \(target: 3x\): target (met|missed)$", finished.stdout, re.M)
    assert "reportgen build from scratch: not timed with --quick" in finished.stdout
    # torch is never a dependency: with it the textbook row gets torch's rate and the per-core ratio, without it the bench says so
    torch_target = re.search(r"^  per core, torch.optim / fused engine on the textbook a-h: (.*)$", finished.stdout, re.M)[1]
    if "torch.optim: not installed (pip install torch to time it here)" in finished.stdout:
        assert textbook[6:8] == ["-", "-"] and "x torch's speed" not in finished.stdout
        assert torch_target == "not measured (torch is not installed)"
    else:
        assert re.search(r"torch\.optim: torch \S+, eager, 1 thread, float64", finished.stdout)
        assert textbook[6].endswith("/s") and textbook[7].endswith("x") and "the 1 textbook method torch.optim has" in finished.stdout
        assert re.fullmatch(r"[0-9.]+x \(target: 2x\): target (met|missed)", torch_target)


def test_a_wrong_bench_flag_is_one_line_and_exit_2():
    finished = run_script("bench", "--quikc")
    assert finished.returncode == 2 and finished.stdout == ""
    assert finished.stderr.count("\n") == 1 and "unrecognized arguments: --quikc" in finished.stderr
