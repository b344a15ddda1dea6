"""reportgen: train twelve gradient-descent optimizers on a small NumPy network and publish the comparison."""

__version__ = "0.1.0"
