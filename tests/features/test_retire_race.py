"""Two retires of one feature at the same moment: one wins, the other is told the feature
"changed while this retire ran", and the code is retired once.

PostGIS only, on purpose: the race is MVCC's (both writers read version v, then queue on the
row's lock). A test transaction holds that lock until both retires are seen waiting on it, so
both have read before either writes, every time. SpatiaLite takes one writer at a time at the
database lock and has no such window.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select, text

from tests.stores import sample_store
from twin import editing, models
from twin.errors import PreconditionFailed
from twin.layers import LAYERS


def test_two_retires_at_once_one_wins_the_other_is_told(tmp_path):
    with sample_store("postgis", tmp_path) as engine:
        b = models.Building.__table__
        with engine.connect() as conn:
            code, version = conn.execute(select(b.c.code, b.c.version)
                                         .order_by(b.c.code).limit(1)).one()
        outcomes: list[Exception | None] = []

        def retire() -> None:
            try:
                editing.retire(engine, LAYERS["buildings"], code, "race-test")
                outcomes.append(None)
            except Exception as exc:  # noqa: BLE001 - the outcome is what is checked
                outcomes.append(exc)

        with engine.connect() as holder:
            holder.begin()
            holder.execute(select(b.c.id).where(b.c.code == code).with_for_update())
            writers = [threading.Thread(target=retire) for _ in range(2)]
            for w in writers:
                w.start()
            deadline = time.monotonic() + 30
            waiting = 0
            while waiting < 2:
                assert time.monotonic() < deadline, "the two retires never queued on the row"
                time.sleep(0.05)
                with engine.connect() as probe:
                    waiting = probe.execute(text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                        "current_database() AND wait_event_type = 'Lock'")).scalar_one()
            holder.rollback()  # let them go, having changed nothing
        for w in writers:
            w.join(timeout=30)

        assert sorted(type(o).__name__ for o in outcomes) == ["NoneType", "PreconditionFailed"]
        [told] = [o for o in outcomes if isinstance(o, PreconditionFailed)]
        assert f"{code} changed while this retire ran" in str(told)
        with engine.connect() as conn:
            status, now = conn.execute(select(b.c.status, b.c.version)
                                       .where(b.c.code == code)).one()
            record = conn.execute(select(models.CodeRecord.status)
                                  .where(models.CodeRecord.code == code)).scalar_one()
            deletes = conn.execute(select(func.count()).select_from(models.AuditEntry)
                                   .where(models.AuditEntry.object_id == code,
                                          models.AuditEntry.action == "delete")).scalar_one()
        assert (status, now, record, deletes) == ("demolished", version + 1, "retired", 1)
