from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin.codes.check import USCC_ALPHABET, mod11_2, uscc_check
from twin.codes.outside import check_division_code, check_id_number, check_uscc


def test_uscc():
    assert check_uscc("91350100M000100Y43").valid
    bad = check_uscc("91350100M000100Y44")
    assert not bad.valid and "expected '3'" in bad.reasons[0]
    assert not check_uscc("91350100M000100Y4").valid
    assert "alphabet" in check_uscc("91350100M000100YO3").reasons[0]
    assert any("department" in r for r in check_uscc("B1350100M000100Y43").reasons)


@given(st.text(alphabet=USCC_ALPHABET[:10], min_size=6, max_size=6),
       st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9))
def test_uscc_check_character_round_trip(region, body):
    code = "91" + "440305" + body
    code += uscc_check(code)
    assert check_uscc(code).valid


def _id(region: str, born: str, seq: str) -> str:
    body = region + born + seq
    return body + mod11_2(body)


def test_id_numbers():
    ok = check_id_number(_id("440305", "19900101", "123"))
    assert ok.valid and ok.details["gender"] == "male"
    assert "*" in ok.code  # never echoed whole
    assert "calendar" in check_id_number(_id("440305", "19900230", "123")).reasons[0]
    future = check_id_number(_id("440305", "20990101", "123"), today=date(2026, 1, 1))
    assert "plausible" in future.reasons[0]
    assert "region" in check_id_number(_id("990305", "19900101", "123")).reasons[0]
    wrong = _id("440305", "19900101", "123")
    wrong = wrong[:-1] + ("0" if wrong[-1] != "0" else "1")
    assert "check character" in check_id_number(wrong).reasons[0]
    assert not check_id_number("44030519900101123").valid


@pytest.mark.parametrize(
    ("code", "level", "valid"),
    [("440305001001", None, True), ("440305001000", "township", True),
     ("440305001000", "village", False), ("440305001999", None, False),
     ("44030500100", None, False)],
)
def test_division_codes(code, level, valid):
    assert check_division_code(code, level=level).valid is valid
