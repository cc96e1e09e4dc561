"""实有人口 privacy: ID numbers are kept only as a keyed hash and a masked form."""

from __future__ import annotations

import hashlib
import hmac


def hash_id_number(id_number: str, key: bytes) -> str:
    """HMAC-SHA256 of an ID number under the deployment's secret (hex, 64 chars)."""
    return hmac.new(key, id_number.strip().upper().encode(), hashlib.sha256).hexdigest()


def mask_id_number(id_number: str) -> str:
    """Keep the region and the last four characters: 440305********123X."""
    id_number = id_number.strip().upper()
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def mask_name(name: str) -> str:
    """Keep the surname character only: 李甲3 → 李**, 李 → 李*."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else name


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; short numbers keep only their last two digits."""
    if len(phone) >= 7:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * max(len(phone) - 2, 0) + phone[-2:]
