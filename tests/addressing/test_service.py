import pytest
from sqlalchemy import func, select, update

from addressing.base_import import import_address_base
from addressing.service import AddressBaseCache
from tests.addressing.test_base_import import GOOD, write
from tests.stores import STORES
from twin.models import Address

T = Address.__table__


def _edit(engine, road_alias: str, door: str) -> None:
    """What a Features PATCH does: new values, version + 1, updated_at now."""
    with engine.begin() as conn:
        conn.execute(update(T).where(T.c.level == "road", T.c.value == "科苑路").values(
            aliases=[road_alias], version=T.c.version + 1, updated_at=func.current_timestamp()))
        conn.execute(update(T).where(T.c.level == "door", T.c.value == "9988号").values(
            aliases=[door], version=T.c.version + 1, updated_at=func.current_timestamp()))


@pytest.mark.parametrize("store_kind", STORES)
def test_every_edit_reaches_the_geocoder(empty_engine, tmp_path, store_kind):
    import_address_base(empty_engine, write(tmp_path / "base.csv", GOOD))
    cache = AddressBaseCache(check_every=3600)
    first = cache.get(empty_engine)
    assert first.geocoder.geocode("深圳市南山区甲一路").status != "matched"
    _edit(empty_engine, "甲一路", "甲一大厦")
    assert cache.get(empty_engine) is first  # not checked again within check_every
    cache.forget()
    second = cache.get(empty_engine)
    assert second is not first
    assert second.geocoder.geocode("深圳市南山区甲一路").status == "matched"
    # The same rows edited again within the same clock tick: versions give it away
    # (a stamp of max(version) alone saw nothing once every row had been edited once).
    _edit(empty_engine, "乙二路", "乙二大厦")
    cache.forget()
    third = cache.get(empty_engine)
    assert third is not second
    assert third.geocoder.geocode("深圳市南山区乙二路").status == "matched"
    cache.forget()
    assert cache.get(empty_engine) is third  # nothing changed: no rebuild
    with empty_engine.connect() as conn:
        assert conn.execute(select(func.max(T.c.version))).scalar() == 3
