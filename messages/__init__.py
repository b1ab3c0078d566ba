"""Wording and LINE message shapes: pure builders, no I/O."""
