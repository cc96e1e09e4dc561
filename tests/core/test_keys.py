"""Stored API keys on both stores: made, found, listed and revoked, kept only as hashes;
and the `twin keys` commands as a person runs them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from tests.stores import STORES
from twin.errors import InvalidInput, NotFound
from twin.keys import create_key, find_key, list_keys, revoke_key


@pytest.mark.parametrize("store_kind", STORES)
def test_create_find_list_revoke(empty_engine, store_kind):
    record, secret = create_key(empty_engine, "民政局 clerk", ["write", "read"], "100/minute")
    assert record.scopes == ("read", "write")
    assert secret.startswith("twin_") and len(secret) > 40
    assert find_key(empty_engine, secret) == record
    assert find_key(empty_engine, secret + "x") is None
    with empty_engine.connect() as conn:
        stored = " ".join(str(v) for v in conn.execute(text("SELECT * FROM api_key")).one())
    assert secret not in stored and secret[12:] not in stored  # only the hash and prefix
    other, _ = create_key(empty_engine, "admin", ["admin"])
    assert [k.id for k in list_keys(empty_engine)] == [record.id, other.id]
    revoked = revoke_key(empty_engine, record.id)
    assert revoked.revoked_at is not None
    assert find_key(empty_engine, secret) is None
    assert revoke_key(empty_engine, record.id).revoked_at == revoked.revoked_at
    assert [k.id for k in list_keys(empty_engine, include_revoked=False)] == [other.id]
    with pytest.raises(NotFound):
        revoke_key(empty_engine, 9999)


@pytest.mark.parametrize("store_kind", STORES)
def test_bad_scope_rate_or_name_is_refused_and_nothing_kept(empty_engine, store_kind):
    with pytest.raises(InvalidInput) as bad_scope:
        create_key(empty_engine, "x", ["read", "root"])
    assert (bad_scope.value.field, bad_scope.value.value) == ("scopes", "root")
    with pytest.raises(InvalidInput) as bad_rate:
        create_key(empty_engine, "x", ["read"], "lots")
    assert bad_rate.value.field == "rate_limit"
    with pytest.raises(InvalidInput):
        create_key(empty_engine, " ", ["read"])
    with pytest.raises(InvalidInput):
        create_key(empty_engine, "x", [])
    assert list_keys(empty_engine) == []


def test_keys_commands(tmp_path):
    env = {**os.environ, "TWIN_DATABASE_URL": f"sqlite:///{tmp_path / 'twin.db'}"}

    def twin(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "cli", "keys", *args], env=env,
                              capture_output=True, text=True, timeout=300)

    assert subprocess.run([sys.executable, "-m", "cli", "init"], env=env, capture_output=True,
                          timeout=300).returncode == 0
    made = twin("create", "gis team", "--scope", "read", "--scope", "write", "--rate", "5/second")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert secret.startswith("twin_") and "key 1 for gis team: read, write" in made.stderr
    listed = twin("list")
    assert "gis team" in listed.stdout and "active" in listed.stdout
    assert secret not in listed.stdout
    assert twin("revoke", "1").returncode == 0
    assert "revoked" in twin("list").stdout
    missing = twin("revoke", "7")
    assert missing.returncode == 2 and "no API key with id 7" in missing.stderr
    refused = twin("create", "x", "--scope", "root")
    assert refused.returncode == 3 and "unknown scope 'root'" in refused.stderr
