"""Data files shipped with the package (the NBS division table)."""
