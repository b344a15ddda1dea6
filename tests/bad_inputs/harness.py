"""What the robustness tests share: running reportgen, a tiny valid config, hashing a tree.

Lives beside the bad-input corpus; the tests import it as ``bad_inputs.harness``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import signal
import subprocess
import sys
from pathlib import Path

from reportgen import cli

ROOT = Path(__file__).resolve().parents[2]  # the checkout: what `python -m reportgen` must import

TINY_CONFIG = """\
name = "{name}"
description = "{description}"

[data]
n_train = {n_train}
n_test = 4

[network]
hidden = [6, 3]

[training]
epochs = {epochs}
seeds = {seeds}
record_timings = false

{methods}
"""
TINY_METHODS = '[methods.sgd]\nlr = 0.05\n\n[methods.adam]\nlr = 0.01\n'


def write_config(path: Path, *, name: str = "tiny", description: str = "a tiny experiment", n_train: int = 8,
                 epochs: int = 2, seeds: str = "[678]", methods: str = TINY_METHODS) -> Path:
    """A small, fast, valid experiment (hidden [6, 3], 4 test images, no wall-clock in the outputs)."""
    path = Path(path)
    path.write_text(
        TINY_CONFIG.format(name=name, description=description, n_train=n_train, epochs=epochs, seeds=seeds, methods=methods),
        encoding="utf-8",
    )
    return path


# sgd blows up at once; momentum in one seed only, at epoch 3 (seed 678), a curve cut short
DIVERGING_METHODS = """\
[methods.sgd]
lr = 1e6

[methods.momentum]
lr = 1000.0

[methods.adam]
lr = 0.01
"""


def shared_report(tmp_path_factory) -> tuple[Path, str]:
    """A real report in which methods diverge, built once per test session; its output directory and stderr.

    Tests must not change it: copy it first, or check that it is unchanged.
    """
    root = tmp_path_factory.getbasetemp() / "shared-report"
    if not (root / "stderr.txt").exists():
        root.mkdir()
        config_file = write_config(root / "diverging.toml", name="diverging", epochs=3, seeds="[678, 1]", methods=DIVERGING_METHODS)
        config_file.write_text(config_file.read_text().replace("record_timings = false", "record_timings = false\ndivergence_threshold = 1000.0"))
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            code = cli.main(["build", "--config", str(config_file), "--out", str(root / "out"), "--workers", "2"])
        assert code == 0, stderr.getvalue()
        (root / "stderr.txt").write_text(stderr.getvalue())
    return root / "out", (root / "stderr.txt").read_text()


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    """``reportgen.cli.main`` in this process: exit code, stdout, stderr."""
    capsys.readouterr()  # drop anything printed before
    code = cli.main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": ""}


def command(*args) -> list[str]:
    return [sys.executable, "-m", "reportgen", *(str(arg) for arg in args)]


def run_process(*args, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m reportgen ARGS`` in a fresh interpreter, as a user would run it."""
    return subprocess.run(command(*args), cwd=cwd, env=environment(), capture_output=True, text=True, timeout=timeout)


def _interruptible() -> None:
    # A shell without job control starts a background job with SIGINT ignored, and a child inherits that: Python
    # would then never raise KeyboardInterrupt. The build starts as a user's terminal starts it, whatever ran pytest.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_process(*args, cwd: Path) -> subprocess.Popen:
    """Like ``run_process`` but returns at once; in its own session so a signal can go to its whole group."""
    return subprocess.Popen(
        command(*args), cwd=cwd, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=_interruptible,
    )


def tree_digest(directory: Path, skip=lambda relative: False) -> dict[str, str]:
    """Every entry under ``directory``: a file by the sha256 of its bytes, a folder as "dir", a link by its target."""
    directory = Path(directory)
    digest = {}
    for folder, folders, files in os.walk(directory):  # does not follow links
        for name in folders + files:
            path = Path(folder) / name
            relative = path.relative_to(directory).as_posix()
            if skip(relative):
                continue
            if path.is_symlink():
                digest[relative] = f"link to {os.readlink(path)}"
            elif not (path.is_dir() or path.is_file()):
                digest[relative] = "special"  # a FIFO or socket: reading it would block
            elif path.is_dir():
                digest[relative] = "dir"
            else:
                digest[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return dict(sorted(digest.items()))


def assert_one_error_line(stderr: str, *words: str) -> str:
    """stderr is exactly one ``reportgen: ...`` line, no traceback, holding every word given."""
    lines = stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{stderr}"
    line = lines[0]
    assert line.startswith("reportgen: "), line
    assert "Traceback" not in line and "internal error" not in line, line
    for word in words:
        assert word in line, f"{word!r} not in {line!r}"
    return line


# Runs reportgen's command line and, however it ends, writes the process's peak resident
# memory (VmHWM, kB) to the file named by the first argument. VmHWM belongs to the
# memory image exec created, so unlike wait4's ru_maxrss it does not start from the
# peak of the test process that spawned it.
PEAK_WRAPPER = """
import sys
from reportgen.cli import main
try:
    code = main(sys.argv[2:])
finally:
    with open("/proc/self/status") as status, open(sys.argv[1], "w") as peak:
        peak.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
sys.exit(code)
"""


def measured_run(*args, cwd: Path, timeout: float = 60) -> tuple[int, str, int]:
    """``reportgen ARGS`` in a fresh interpreter: exit code (negative: killed by that signal), stderr,
    and peak resident memory in bytes (0 if it was killed before it could say). Killed after ``timeout``."""
    peak_file = Path(cwd) / ".peak-memory"
    peak_file.unlink(missing_ok=True)
    argv = [sys.executable, "-c", PEAK_WRAPPER, str(peak_file), *(str(arg) for arg in args)]
    try:
        finished = subprocess.run(argv, cwd=cwd, env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as expired:
        return -signal.SIGKILL, (expired.stderr or b"").decode("utf-8", errors="replace"), 0
    peak = int(peak_file.read_text()) * 1024 if peak_file.exists() else 0
    return finished.returncode, finished.stderr, peak
