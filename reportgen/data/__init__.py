"""Data files shipped inside the package: ``mnist01.npz``, the embedded MNIST zeros and ones (see tools/make_embedded_data.py)."""
