"""Two writers edit one feature at the same moment on a real server: one wins, the other is
told the feature "changed while this edit ran" (412), and no edit is lost or applied twice.
"""

from __future__ import annotations

import threading

import httpx
import pytest

from twin.codes.check import mod11_2

from .servers import WRITE_KEY, TwinServer

pytestmark = pytest.mark.clients

ROUNDS = 40
X, Y = 113.9386, 22.5290


def footprint(shift: float) -> dict:
    x = X + shift
    ring = [[x, Y], [x + 0.0002, Y], [x + 0.0002, Y + 0.0002], [x, Y + 0.0002], [x, Y]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_two_writers_at_once_one_wins_the_other_is_told(twin_server: TwinServer) -> None:
    body = "4403050022024" + ("8701" if twin_server.store == "postgis" else "8702") + "00000"
    code = body + mod11_2(body)
    headers = {"X-API-Key": WRITE_KEY}
    url = f"{twin_server.url}/collections/buildings/items/{code}"
    created = httpx.post(f"{twin_server.url}/collections/buildings/items", headers=headers,
                         json={"type": "Feature", "geometry": footprint(0.0), "properties": {
                             "code": code, "floors": 1, "year_built": 2024, "use": "办公"}})
    assert created.status_code == 201, created.text

    outcomes: list[tuple[int, int, int, str]] = []
    lock = threading.Lock()

    def edit(start: threading.Barrier, n: int, floors: int, client: httpx.Client) -> None:
        start.wait()
        # A new footprint too: the edit places it again between reading and writing, the
        # window in which the other writer commits.
        response = client.patch(url, json={"geometry": footprint(floors * 1e-6),
                                           "properties": {"floors": floors}},
                                headers={**headers, "Content-Type": "application/merge-patch+json"})
        with lock:
            outcomes.append((n, floors, response.status_code, response.text))

    with httpx.Client(timeout=60) as one, httpx.Client(timeout=60) as two:
        for n in range(ROUNDS):
            start = threading.Barrier(2)
            writers = [threading.Thread(target=edit, args=(start, n, 2 * n + k + 2, c))
                       for k, c in enumerate((one, two))]
            for w in writers:
                w.start()
            for w in writers:
                w.join()
            if sum(o[2] == 412 for o in outcomes) >= 3:
                break

    statuses = [s for _, _, s, _ in outcomes]
    assert set(statuses) <= {200, 412}, outcomes
    lost = [text for _, _, s, text in outcomes if s == 412]
    assert lost, f"no two edits overlapped in {len(outcomes) // 2} rounds"
    assert all("changed while this edit ran" in text for text in lost), lost
    # Every edit that answered 200 was applied once, in turn: the version counts them.
    final = httpx.get(url)
    assert final.headers["ETag"] == f'"{1 + statuses.count(200)}"'
    # The feature holds what the last round's winner (or later of two winners) sent.
    last = max(n for n, _, s, _ in outcomes if s == 200)
    sent = {floors for n, floors, s, _ in outcomes if n == last and s == 200}
    assert final.json()["properties"]["floors"] in sent
