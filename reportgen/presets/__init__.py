"""Shipped experiment presets, one TOML file each (see reportgen.config)."""
