"""Quirk ablations: ``plan`` (which runs), ``run`` (train them into the store, or find them there); the effects are ``reportgen.analysis.quirks``."""
