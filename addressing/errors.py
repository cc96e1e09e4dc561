"""Errors of the addressing package, in the one tree rooted in `twin.errors.TwinError`.

Each class also derives from the core class that says what kind of failure it is (bad
input, not found, conflict), so `api/errors.py` and the command line map them through the
core classes and never list them a second time.
"""

from __future__ import annotations

from twin.errors import Conflict, InvalidInput, NotFound, TwinError


class AddressError(TwinError):
    """Base of every error the addressing package raises on purpose."""

    title = "Address error"


class AddressInputError(AddressError, InvalidInput):
    """A query or an import row that cannot be read; says which field and value."""

    title = "Invalid address input"


class UnknownAddress(AddressError, NotFound):
    """No standard address has the code asked for."""

    title = "Address not found"


class AddressBaseEmpty(AddressError, Conflict):
    """The standard address base holds no addresses yet, so nothing can be matched."""

    title = "Standard address base is empty"


class BatchTooLarge(AddressInputError):
    """More addresses in one request than the configured limit."""

    title = "Too many addresses in one request"
