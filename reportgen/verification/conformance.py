"""``reportgen check-optimizer``: a conformance suite for one method, a plugin's or a built-in's.

Each check prints one line, PASS, FAIL or NOTE, with what it measured
(``method_checks``): the update equation's LaTeX, the update contract (weights changed in
place with their shapes and dtypes, the look-ahead point, a state that keeps
its structure), determinism (one seed, one trajectory, byte for byte), the
memory a step allocates (a NOTE, never a failure: a method may need it),
descent on a small quadratic, finite weights and state after 1,000 steps,
and parity with the reference vectors a plugin declares (the shipped ones for
a built-in). Exit code 0 when nothing fails, 1 when a check fails; a plugin
that cannot load stops it with the build's one-line error, exit code 2.
"""

from __future__ import annotations

from pathlib import Path

from reportgen import optimizers
from reportgen.errors import ConfigError, did_you_mean
from reportgen.optimizers import plugins
from reportgen.verification.method_checks import SUITES, Finding, Subject, Trial


def subject(reference: str) -> Subject:
    """``file.py:builder`` (relative to the working directory), a built-in's name, or an installed entry point's name.
    A plugin that cannot load raises its one-line PluginError, as the build does."""
    if reference in optimizers.METHODS:
        return Subject(reference, reference, None)
    plugin = plugins.from_reference(reference, Path.cwd()) if ":" in reference else plugins.from_entry_point(reference)
    if plugin is None:
        raise ConfigError(
            f"check-optimizer: {reference!r} is neither a built-in method{did_you_mean(reference, optimizers.METHODS)} "
            f"nor an entry point in the group {plugins.ENTRY_POINT_GROUP!r}; a plugin file is named as path/to/file.py:builder"
        )
    declared = plugin.declaration.vectors
    label = plugin.source.origin if plugin.source.entry_point else reference
    return Subject(plugin.source.key, label, Path(plugin.source.file).parent / declared if declared else None)


def check(reference: str, variant: str = "textbook", hyperparams: dict | None = None) -> tuple[Trial, list[Finding]]:
    """Every check on the method ``reference`` names; a bad hyperparameter or plugin raises a one-line ConfigError."""
    trial = Trial(subject(reference), variant, hyperparams or {})
    trial.build()  # the hyperparameters' errors before any check, in one line
    findings = []
    for name, suite in SUITES:
        try:
            findings.extend(suite(trial))
        except Exception as error:  # the method's own code, whatever it raises, fails the check it stopped
            findings.append(Finding("FAIL", name, f"raised {plugins.first_line(error)}"))
    return trial, findings



def parse_hyperparams(text: str | None) -> dict:
    """``lr=0.01,betas=[0.9,0.99]``: the body of a TOML inline table, as a [methods.NAME] table would give them."""
    if not text:
        return {}
    import tomllib

    try:
        return tomllib.loads(f"hyperparams = {{{text}}}")["hyperparams"]
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"--hyperparams: expected name=value pairs separated by commas, e.g. lr=0.01,betas=[0.9,0.99] ({error})") from None


def run(reference: str, variant: str = "textbook", hyperparams: str | None = None) -> int:
    """Print every finding, one line each, then the count; 1 when a check fails."""
    trial, findings = check(reference, variant, parse_hyperparams(hyperparams))
    settings = ", ".join(f"{name} = {value}" for name, value in trial.build().hyperparams.items())
    print(f"{optimizers.describe(trial.subject.key, variant).title} ({trial.subject.label}, {variant}; {settings or 'no hyperparameters'})")
    width = max(len(finding.check) for finding in findings)
    for finding in findings:
        print(f"{finding.verdict}  {finding.check:{width}}  {finding.detail}")
    counts = {verdict: sum(finding.verdict == verdict for finding in findings) for verdict in ("PASS", "FAIL", "NOTE")}
    print(f"{len(findings)} checks: {counts['PASS']} passed, {counts['FAIL']} failed, {counts['NOTE']} with a note")
    return 1 if counts["FAIL"] else 0
