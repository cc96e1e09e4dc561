"""Chinese standard addresses: normalize, parse, match (geocode) and reverse geocode.

`addressing` depends on `twin` for the store, the models and the division table only.
"""
