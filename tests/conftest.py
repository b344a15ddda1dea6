"""What several test modules share.

pytest puts this folder on ``sys.path``, so tests import the helpers beside
them by name: ``fixtures`` (synthetic result sets built through
``config.validate``), ``idx_files`` (MNIST-format files, whole or broken) and
``bad_inputs.harness`` (running reportgen, hashing a tree). Tests that start
real processes (a browser, Java), send signals or start a Dask cluster are marked ``slow``:
``pytest -m "not slow"`` runs the rest in under a minute.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures import verified

from bad_inputs import harness
from reportgen import verification


@pytest.fixture(scope="session", autouse=True)
def verify_once():
    """Builds in this process reuse one run of the report's checks (``fixtures.verified``): the checks read only
    the code, which a session does not change, and each run takes seconds. Builds in other processes run their own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(verification, "verify", verified)
        yield


@pytest.fixture(scope="session")
def diverging_report(tmp_path_factory) -> tuple[Path, str]:
    """A real report in which methods diverge, built once per session: its output directory and the build's stderr.

    Tests must not change it: copy it first, or check that it is unchanged.
    """
    return harness.shared_report(tmp_path_factory)
