"""Training: one run (``trainer`` with the fast ``engine``, checked against the plain ``reference``;
``record`` and ``seeding`` shared by both), and many (``runner`` over ``executors``, kept in the ``store``
under the key ``fingerprint`` computes)."""
