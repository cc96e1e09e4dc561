"""Errors of the addressing package. `api/errors.py` maps each class to an HTTP status."""

from __future__ import annotations


class AddressError(Exception):
    """Base of every error the addressing package raises on purpose."""

    title = "Address error"


class AddressInputError(AddressError):
    """A query or an import row that cannot be read; says which field and value."""

    title = "Invalid address input"

    def __init__(self, message: str, *, field: str | None = None, value: object = None):
        super().__init__(message)
        self.field = field
        self.value = value


class UnknownAddress(AddressError):
    """No standard address has the code asked for."""

    title = "Address not found"


class AddressBaseEmpty(AddressError):
    """The standard address base holds no addresses yet, so nothing can be matched."""

    title = "Standard address base is empty"


class BatchTooLarge(AddressInputError):
    """More addresses in one request than the configured limit."""

    title = "Too many addresses in one request"
