"""Codes (赋码): check characters, code schemes as data, BeiDou grid codes, the registry."""
