"""Check-character algorithms: ISO 7064 MOD 11-2 (GB 11643, GB/T building codes) and GB 32100."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

MOD11_2_WEIGHTS_18 = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
MOD11_2_CHARS = "10X98765432"  # remainder → check character, as printed in GB 11643

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def mod11_2(body: str) -> str:
    """ISO 7064 MOD 11-2 check character of a string of digits (any length)."""
    if not body.isdigit():
        raise ValueError(f"MOD 11-2 needs digits only, got {body!r}")
    total = 0
    for ch in body:  # Horner form of Σ a_i · 2^(n-i+1) mod 11
        total = ((total + int(ch)) * 2) % 11
    return "0123456789X"[(12 - total) % 11]


def mod11_2_many(bodies: list[str]) -> list[str]:
    """MOD 11-2 check characters of many digit strings of one length, at once."""
    if not bodies:
        return []
    length = len(bodies[0])
    raw = np.frombuffer("".join(bodies).encode("ascii"), dtype=np.uint8)
    if len(raw) != length * len(bodies) or ((raw < 48) | (raw > 57)).any():
        return [mod11_2(b) for b in bodies]  # mixed lengths or non-digits: the slow path
    weights = np.array([pow(2, length - i, 11) for i in range(length)], dtype=np.int64)
    totals = (raw.reshape(len(bodies), length).astype(np.int64) - 48) @ weights % 11
    table = np.array(list("0123456789X"), dtype=object)
    return list(table[(12 - totals) % 11])


def uscc_check(body: str) -> str:
    """GB 32100-2015 check character of the first 17 characters of a unified social credit code."""
    if len(body) != 17:
        raise ValueError(f"a unified social credit code body has 17 characters, got {len(body)}")
    try:
        total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(body, USCC_WEIGHTS, strict=True))
    except ValueError:
        raise ValueError(f"{body!r} has a character outside GB 32100's alphabet") from None
    return USCC_ALPHABET[(31 - total % 31) % 31]


def luhn(body: str) -> str:
    """Luhn (ISO/IEC 7812) check digit of a string of digits, for schemes that use it."""
    if not body.isdigit():
        raise ValueError(f"Luhn needs digits only, got {body!r}")
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:  # every second digit from the right, starting with the rightmost
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def mod97_10(body: str) -> str:
    """ISO 7064 MOD 97-10 check characters (two digits) of a string of digits."""
    if not body.isdigit():
        raise ValueError(f"MOD 97-10 needs digits only, got {body!r}")
    return f"{98 - (int(body) * 100) % 97:02d}"


# name → (function from body to check characters, how many characters it yields)
CHECK_ALGORITHMS: dict[str, tuple[Callable[[str], str], int]] = {
    "mod11-2": (mod11_2, 1),
    "gb32100": (uscc_check, 1),
    "luhn": (luhn, 1),
    "mod97-10": (mod97_10, 2),
}


def register_check_algorithm(name: str, function: Callable[[str], str], length: int = 1) -> None:
    """Make a check algorithm available to code schemes under `name`."""
    CHECK_ALGORITHMS[name] = (function, length)


def check_characters_many(algorithm: str, bodies: list[str]) -> list[str]:
    """Check characters for many bodies (vectorised for MOD 11-2)."""
    if algorithm == "mod11-2":
        return mod11_2_many(bodies)
    return [check_characters(algorithm, b) for b in bodies]


def check_characters(algorithm: str, body: str) -> str:
    """The check characters `algorithm` gives for `body`; ValueError on an unknown name."""
    try:
        function, _ = CHECK_ALGORITHMS[algorithm]
    except KeyError:
        raise ValueError(
            f"unknown check algorithm {algorithm!r}; known: {', '.join(CHECK_ALGORITHMS)}"
        ) from None
    return function(body)
