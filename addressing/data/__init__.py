"""Data files of the addressing package (division aliases)."""
