"""Errors the command line turns into one readable line and an exit code."""


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
