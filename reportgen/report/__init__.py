"""The report: figures (``figures``, ``sweep_figures``, ``drawing``), equations and references,
the plain data the templates show (``context``), and the files written (``render``, ``export``)."""
