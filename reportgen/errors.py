"""Errors the command line turns into one readable line and an exit code."""

import difflib


class ReportgenError(Exception):
    """Base class; ``exit_code`` is what the command line returns."""

    exit_code = 1


class ConfigError(ReportgenError):
    """A usage, configuration or input-data problem: exit code 2."""

    exit_code = 2


class DataError(ConfigError):
    """A data file that is missing, truncated or not what it claims to be."""


class RunError(ReportgenError):
    """A failure while training or rendering: exit code 1."""


def did_you_mean(word, candidates) -> str:
    """" (did you mean 'x'?)" for the closest of ``candidates`` to a misspelt ``word``, or ""."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
