"""Admin-level parsing side by side: cim-twin vs cpca vs jionlp, on the same inputs.

    pip install cpca jionlp        # the two open tools compared (not project dependencies)
    python bench/geocode_admin_compare.py [--per-class 40] [--corpus DIR]

Three input sets with known truth:
- `shenzhen`: the messy address set of the sample city (sample_data/messy_addresses.py,
  positive classes), whose truth is 广东省 / 深圳市 / 南山区 (440305);
- `national`: hand-written addresses across China with duplicate district names, short
  names, renamed and merged areas, traditional characters and typos (truth below, checked
  against the NBS 2023 table);
- `china`: generated from the NBS table, `--china-counties` counties drawn with `--seed`,
  each written in five forms (see `china_set`).

- `real` (with `--corpus DIR`): real logistics addresses of the NAACL 2019 address-parsing
  corpus (`--split`, dev by default; see bench/README.md), those whose gold district the NBS
  table knows; truth is that district (`geocode_real_text.py` reads the corpus and resolves
  it); `real-today` the same texts, truth the county the labelled town lies in today where
  the labelled district was since split or lost it (江干区下沙街道: 钱塘区 since 2021).

For each tool: the share of inputs where province, city and county are right. A tool that
answers nothing for a level where the input is ambiguous (朝阳区 alone) is right only if the
truth row marks the level as undecidable (None) — guessing one of two 朝阳区 is wrong half
the time. cim-twin is shown twice: parsing alone first (the gazetteer, no address base: the
like-for-like row), then the geocoder (parsing plus the sample city's address base as
context, which the open tools do not have).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections.abc import Callable

from addressing.admin import default_gazetteer
from addressing.index import index_from_rows
from addressing.match import Geocoder
from addressing.parse import parse
from sample_data import generate
from sample_data.messy_addresses import NEGATIVE, messy_addresses
from twin.divisions import Level, load_divisions

Answer = tuple[str | None, str | None, str | None]  # province, city, county (6-digit codes)

# text, county code (6 digits) or None when the input does not decide it.
NATIONAL = [
    ("北京朝阳区建国路88号", "110105"),
    ("长春市朝阳区人民大街1号", "220104"),
    ("朝阳区建国路1号", None),
    ("福州鼓楼区五四路1号", "350102"),
    ("南京鼓楼区中山路1号", "320106"),
    ("徐州市鼓楼区淮海路2号", "320302"),
    ("开封鼓楼区书店街3号", "410204"),
    ("鼓楼区中山北路1号", None),
    ("鹤岗南山区红军路1号", "230404"),
    ("湖北省襄樊市樊城区人民路1号", "420606"),
    ("上海市闸北区天目西路218号", "310106"),
    ("北京市崇文区前门大街1号", "110101"),
    ("杭州市下城区延安路1号", "330105"),  # merged into 拱墅区 in 2021
    ("杭州市江干区下沙街道1号", "330114"),  # 江干区 was split in 2021: its township decides
    ("苏州平江区干将路1号", "320508"),
    ("广西南宁市青秀区民族大道1号", "450103"),
    ("内蒙古呼和浩特市新城区新华大街1号", "150102"),
    ("新疆乌鲁木齐市天山区解放路1号", "650102"),
    ("吉林省延边州延吉市光明街1号", "222401"),
    ("重庆市渝中区解放碑1号", "500103"),
    ("重庆江北区建新路1号", "500105"),
    ("宁波市江北区人民路1号", "330205"),
    ("沈阳和平区中山路1号", "210102"),
    ("天津市和平区南京路1号", "120101"),
    ("杭州西湖区文三路1号", "330106"),
    ("南昌市西湖区中山路1号", "360103"),
    ("广州天河区天河路1号", "440106"),
    ("成都武侯区武侯祠大街1号", "510107"),
    ("廣東省廣州市天河區天河路385號", "440106"),
    ("广东省深证市南山区科苑路15号", "440305"),
    ("深圳南山科苑路15号", "440305"),
    ("鞍山铁西区人民路1号", "210303"),
    ("铁西区建设大路1号", None),
    ("兰州城关区东岗西路1号", "620102"),
    ("拉萨市城关区北京中路1号", "540102"),
    ("舟山普陀区东港街道1号", "330903"),
    ("上海普陀区长寿路1号", "310107"),
    ("西安新城区西一路1号", "610102"),
    ("宝安区龙华街道人民路1号", "440309"),
]


ROADS = ("人民路", "解放路", "中山路", "建设路", "和平路", "新华街", "文化路", "长江路")
PROVINCE_SUFFIX = re.compile(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$")
CITY_SUFFIX = re.compile(r"(市|地区|盟)$")


def _short(name: str, suffix: re.Pattern[str]) -> str:
    if name.endswith("自治州"):
        return name  # 延边 for 延边朝鲜族自治州, but 巴州 or 巴音郭楞 for 巴音郭楞蒙古自治州
    return suffix.sub("", name) or name


def china_set(counties: int, seed: int) -> tuple[list[str], list[Answer], list[str]]:
    """Addresses across China made from the NBS table, in five forms, with their truth.

    For `counties` counties drawn at random: the full chain (江苏省南京市鼓楼区), no
    province (南京市鼓楼区), short names (江苏南京鼓楼区), the county alone (鼓楼区) and the
    full chain in traditional characters; each followed by a road and a number. A level is
    true only when the text decides it: the county alone decides a level only where every
    county of that name shares it (鼓楼区 alone decides nothing; 朝阳区 alone neither), and
    it is left out where a township or village bears the name too.
    """
    from opencc import OpenCC

    table = load_divisions()
    to_traditional = OpenCC("s2t")
    by_name: dict[str, list[str]] = {}
    other_levels: set[str] = set()  # names of townships and villages too (许昌's 东城区)
    picks = []
    for d in table:
        if d.level is not Level.county:
            other_levels.add(d.name)
        elif d.name != "市辖区":
            by_name.setdefault(d.name, []).append(d.code[:6])
            picks.append(d)
    rng = random.Random(seed)
    texts, truths, forms = [], [], []
    for d in rng.sample(picks, min(counties, len(picks))):
        chain = table.chain(d.code)
        province, city = chain[0].name, chain[1].name
        if city in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
            city = ""  # 北京市朝阳区, 湖北省仙桃市: no city name between
        street = f"{rng.choice(ROADS)}{rng.randint(1, 300)}号"
        full = province + city + d.name + street
        same = by_name[d.name]
        alone = tuple(  # a level the county's name alone decides
            same[0][:n] if len({c[:n] for c in same}) == 1 else None for n in (2, 4, 6))
        short_city = _short(city, CITY_SUFFIX) if city else ""
        variants = [
            ("full", full, truth_of(d.code[:6])),
            ("no province", (city or province) + d.name + street, truth_of(d.code[:6])),
            ("short names", _short(province, PROVINCE_SUFFIX) + short_city + d.name + street,
             truth_of(d.code[:6])),
            ("county alone", d.name + street, alone),
            ("traditional", to_traditional.convert(full), truth_of(d.code[:6])),
        ]
        if d.name in other_levels:  # alone, it may be either: no truth to hold a tool to
            variants = [v for v in variants if v[0] != "county alone"]
        for form, text, truth in variants:
            texts.append(text)
            truths.append(truth)
            forms.append(form)
    return texts, truths, forms


def real_set(corpus: str, split: str = "dev") -> tuple[list[str], list[Answer], list[Answer]]:
    """The corpus's texts that name a district the NBS table knows, with that district as
    labelled and as it is today (where the labelled town says an old district's part)."""
    from pathlib import Path

    from geocode_real_text import Divisions, read_corpus  # a sibling script in bench/

    divisions = Divisions(load_divisions())
    texts, truths, today = [], [], []
    for item in read_corpus(Path(corpus) / f"{split}.txt"):
        county, named = divisions.county_of(item)
        if county is not None and named:
            texts.append(item.text)
            truths.append(truth_of(county.code[:6]))
            now = divisions.today(item, county)
            today.append(truth_of(now.code[:6] if now else None))
    return texts, truths, today


def truth_of(county: str | None) -> Answer:
    if county is None:
        return (None, None, None)
    return (county[:2], county[:4], county)


def ours_parse(text: str) -> Answer:
    admin = parse(text).admin
    table = load_divisions()
    return tuple(  # type: ignore[return-value]
        (d.code[: {Level.province: 2, Level.city: 4, Level.county: 6}[level]]
         if (d := admin.decided(level, table)) else None)
        for level in (Level.province, Level.city, Level.county)
    )


def ours_geocode(geocoder: Geocoder) -> Callable[[str], Answer]:
    def answer(text: str) -> Answer:
        r = geocoder.geocode(text)
        codes = {a["level"]: a["code"] for a in r.admin} if r.code else {}
        return (codes.get("province", "")[:2] or None, codes.get("city", "")[:4] or None,
                codes.get("county", "")[:6] or None)
    return answer


def _name_codes() -> dict[tuple[str, ...], str]:
    # (province, city, county) names → county code, for tools that answer with names.
    table = load_divisions()
    out: dict[tuple[str, ...], str] = {}
    for d in table:
        if d.level is Level.county:
            chain = table.chain(d.code)
            out[(chain[0].name, chain[1].name, d.name)] = d.code[:6]
            out[(chain[0].name, chain[0].name, d.name)] = d.code[:6]  # 北京市/北京市/朝阳区
    return out


def tool_answer(province: str | None, city: str | None, county: str | None,
                names: dict[tuple[str, ...], str], table_names: dict[str, list[str]]) -> Answer:
    p = next(iter(table_names.get(province or "", [])), None)
    code = names.get((province or "", city or "", county or "")) if county else None
    c = None
    if city:
        c = next((x for x in table_names.get(city, []) if p is None or x.startswith(p)), None)
        if city == province and p:
            c = p + "01"
    return (p, (code[:4] if code else c), code)


def cpca_answers(texts: list[str]) -> list[Answer]:
    import cpca

    frame = cpca.transform(texts)
    names, table_names = _name_codes(), _short_codes()
    return [tool_answer(_s(r["省"]), _s(r["市"]), _s(r["区"]), names, table_names)
            for _, r in frame.iterrows()]


def jionlp_answers(texts: list[str]) -> list[Answer]:
    import jionlp

    names, table_names = _name_codes(), _short_codes()
    out = []
    for text in texts:
        r = jionlp.parse_location(text)
        out.append(tool_answer(r.get("province"), r.get("city"), r.get("county"), names,
                               table_names))
    return out


def _s(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _short_codes() -> dict[str, list[str]]:
    table = load_divisions()
    out: dict[str, list[str]] = {}
    for d in table:
        if d.level in (Level.province, Level.city):
            out.setdefault(d.name, []).append(d.short_code)
    return out


def score(answers: list[Answer], truths: list[Answer]) -> tuple[float, float, float]:
    n = len(truths)
    return tuple(sum(a[i] == t[i] for a, t in zip(answers, truths, strict=True)) / n
                 for i in range(3))  # type: ignore[return-value]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-class", type=int, default=40)
    ap.add_argument("--china-counties", type=int, default=600,
                    help="counties drawn for the generated nationwide set (5 forms each)")
    ap.add_argument("--seed", type=int, default=2023)
    ap.add_argument("--corpus", help="directory with the address-parsing corpus's dev.txt")
    ap.add_argument("--split", default="dev", choices=("train", "dev"),
                    help="the corpus split of the real set (develop on train)")
    args = ap.parse_args()
    print(f"command: python {' '.join(sys.argv)}")
    rows = []
    for chunk in generate("small"):
        for row in chunk.rows["addresses"]:
            row = dict(row)
            point = row.pop("geom")
            row["lon"], row["lat"] = point.x, point.y
            rows.append(row)
    geocoder = Geocoder(index_from_rows(rows))
    default_gazetteer()
    items = [i for i in messy_addresses(rows, per_class=args.per_class, seed=5)
             if i.difficulty not in NEGATIVE]
    sets = {
        "shenzhen": ([i.text for i in items], [truth_of("440305")] * len(items)),
        "national": ([t for t, _ in NATIONAL], [truth_of(c) for _, c in NATIONAL]),
        "china": china_set(args.china_counties, args.seed)[:2],
    }
    if args.corpus:
        texts, labelled, today = real_set(args.corpus, args.split)
        sets["real"] = texts, labelled
        sets["real-today"] = texts, today
    tools: dict[str, Callable[[list[str]], list[Answer]]] = {
        "cim-twin parse": lambda texts: [ours_parse(t) for t in texts],
        "cim-twin geocode": lambda texts: [ours_geocode(geocoder)(t) for t in texts],
        "cpca": cpca_answers,
        "jionlp": jionlp_answers,
    }
    print(f"{'set':<10}{'tool':<18}{'rows':>6}{'province':>10}{'city':>8}{'county':>8}"
          f"{'ms/row':>8}")
    for set_name, (texts, truths) in sets.items():
        for tool, run in tools.items():
            try:
                started = time.perf_counter()
                answers = run(texts)
                ms = (time.perf_counter() - started) / len(texts) * 1000
            except ImportError as exc:
                hint = ("pip install 'setuptools<81' (cpca imports pkg_resources)"
                        if exc.name == "pkg_resources" else "pip install cpca jionlp")
                print(f"{set_name:<10}{tool:<18} not installed ({exc.name}): {hint}")
                continue
            p, c, k = score(answers, truths)
            print(f"{set_name:<10}{tool:<18}{len(texts):>6}{p:>10.1%}{c:>8.1%}{k:>8.1%}"
                  f"{ms:>8.2f}")
    print("cim-twin geocode uses the sample city's address base only, so on the national set it "
          "can place no street: its admin answer there comes from areas alone")


if __name__ == "__main__":
    main()
