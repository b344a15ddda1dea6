"""Progress of long work on stderr: a bar on a terminal, plain lines elsewhere."""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR_WIDTH = 30
LINE_INTERVAL_SECONDS = 10.0  # how often a non-terminal (CI log) gets a line


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes:02d}:{seconds:02d}"


class Progress:
    def __init__(self, total: int, label: str, stream: TextIO | None = None, quiet: bool = False):
        self.total, self.label, self.done = total, label, 0
        self.stream = stream or sys.stderr
        self.quiet = quiet or total == 0
        self.terminal = self.stream.isatty()
        self.started = self.last_line = time.monotonic()

    def advance(self, note: str = "") -> None:
        self.done += 1
        if self.quiet:
            return
        now = time.monotonic()
        elapsed = _clock(now - self.started)
        if self.terminal:
            filled = BAR_WIDTH * self.done // self.total
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total} runs {elapsed} {note[:40]:<40}")
            self.stream.flush()
        elif now - self.last_line >= LINE_INTERVAL_SECONDS or self.done == self.total:
            self.stream.write(f"{self.label}: {self.done}/{self.total} runs done, {elapsed} elapsed\n")
            self.stream.flush()
            self.last_line = now

    def close(self) -> None:
        if not self.quiet and self.terminal:
            self.stream.write("\n")
            self.stream.flush()
