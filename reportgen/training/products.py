"""The outer products of a one-image gradient, as compiled loops (the fused engine's).

For one image, dJ/dW = outer(a, delta): each element is the single product
a_r d_c, which NumPy's broadcast multiply forms too, so these loops give the
same bits. They save NumPy's per-row dispatch (a broadcast multiply of a
225 x 256 outer product calls its inner loop once per row) and, for the first
layer, the zeros of the rows of unlit pixels: ``rows_into`` writes the lit
rows alone and the optimizer reads the others as zero (``Optimizer.update``'s
``active_rows``).
"""

from __future__ import annotations

from reportgen.optimizers.kernels import compiled


@compiled
def outer_into(a, d, out):  # pragma: no cover - compiled
    """out <- outer(a, d)."""
    for r in range(a.size):
        for c in range(d.size):
            out[r, c] = a[r] * d[c]


@compiled
def rows_into(a, d, rows, out):  # pragma: no cover - compiled
    """out[rows[k]] <- a[k] d for each k; the other rows of ``out`` are left as they are."""
    for k in range(rows.size):
        row = out[rows[k]]  # a view: indexing out[rows[k], c] element by element ran 4x slower
        for c in range(d.size):
            row[c] = a[k] * d[c]
