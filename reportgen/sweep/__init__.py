"""Learning-rate sweeps: ``plan`` (what to train, from ``[sweep]``), ``run`` (train it), ``analysis`` (what it shows)."""
