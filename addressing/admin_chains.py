"""Chains of divisions read from an admin prefix (`addressing.admin`).

Each name read extends the chains consistent so far: a reading fits where it lies inside
the last area of a chain, with the rules for short township and village names; of several
readings of one name only the certain ones are kept. A name that fits no chain is a
conflict, said in a note. These are functions of the chains alone: the text and the
gazetteer's lookups stay with the parse.
"""

from __future__ import annotations

from addressing.admin_names import LEVEL_ORDER, TOWNSHIP_KINDS, AdminName, is_within
from twin.divisions import Division, Level

# A base's place named like a province or city (a shop called 浙江) does not hide the area.
WIDE = (Level.province, Level.city)


def coarsest_reading(
    chains: list[tuple[AdminName, ...]], namesakes: set[str]
) -> list[tuple[AdminName, ...]]:
    """The readings of one name that are certain.

    One name read as an area and as an area inside it (西丽: 西丽街道, 西丽社区): only the
    outer reading is certain, unless the inner is the outer's only child and namesake
    (嘉峪关市): then the inner is, and it says the outer too.
    The same areas read by their own names and by an alias (临平区乔司街道: 乔司街道, and
    the alias of 余杭区's former 乔司街道) are one reading, by their own names.
    """
    plain = {tuple(n.division.code for n in c) for c in chains if c[-1].note is None}
    chains = [c for c in chains if c[-1].note is None
              or tuple(n.division.code for n in c) not in plain]
    lasts = {c[-1].division.code: c[-1].division for c in chains}
    inner_certain = {lasts[c].parent_code for c in lasts if c in namesakes}
    keep = []
    for chain in chains:
        d = chain[-1].division
        if d.code in inner_certain:
            continue
        if d.code not in namesakes and any(
            o.code != d.code and LEVEL_ORDER[o.level] < LEVEL_ORDER[d.level]
            and d.code.startswith(o.short_code) for o in lasts.values()
        ):
            continue
        keep.append(chain)
    return keep


def skips_a_level(chains: list[tuple[AdminName, ...]]) -> bool:
    """Whether every reading puts the new name two or more levels below the one before it
    (云南 then the township 普洱镇): a sign the name took what begins the next one."""
    grown = [c for c in chains if len(c) > 1]
    return bool(grown) and all(
        LEVEL_ORDER[c[-1].division.level] - LEVEL_ORDER[c[-2].division.level] > 1 for c in grown)


def extend(
    chains: list[tuple[AdminName, ...]], names: list[AdminName], bare_township: bool = False
) -> list[tuple[AdminName, ...]]:
    """The chains grown by the readings in `names` that fit inside their last area.

    `bare_township`: a township's short name may follow a city or province (see below).
    """
    out: list[tuple[AdminName, ...]] = []
    # A township's old kind is read only where no real name of it fits (东浦镇 in a county
    # that has a real 东浦镇 and a 东浦街道 once a 镇 is the real one).
    real = [n for n in names if n.kind != "former"]
    for chain in chains:
        last = chain[-1].division if chain else None
        fits = real if len(real) < len(names) and any(
            last is None or is_within(n, last) for n in real) else names
        for n in fits:
            if last is None:
                # Township and village short names mean something only inside a county, and
                # a misspelt name is taken only as the first of a chain when it is unique.
                if n.kind == "short" and n.division.level in (Level.township, Level.village):
                    continue
                out.append((n,))
            elif is_within(n, last):
                # A short township name needs its county typed just before it (深圳南山 is
                # the district, not 南山街道), or a city or province where it is the one
                # township of the name (杭州市九堡: 九堡街道 of 上城区, and no other in 杭州);
                # a short village name its county or township.
                if n.kind == "short" and n.division.level is Level.township and (
                    last.level is not Level.county and not (
                        bare_township and only_township(n, names, last))
                ):
                    continue
                if n.kind == "short" and n.division.level is Level.village and (
                    last.level not in (Level.county, Level.township)
                ):
                    continue
                out.append((*chain, n))
    return out


def reads_bare_township(names: list[AdminName], chains: list[tuple[AdminName, ...]]) -> bool:
    """Whether a township's short name may be read after a city or province (`extend`)."""
    return any(n.kind == "short" and n.division.level is Level.township for n in names) and (
        any(c and c[-1].division.level in WIDE for c in chains))


def only_township(name: AdminName, names: list[AdminName], outer: Division) -> bool:
    """Whether `name`, a township's short name, is the only township of `outer` (a city or
    province) that the name may mean."""
    return outer.level in WIDE and all(
        n.division.code == name.division.code for n in names
        if n.division.level is Level.township and is_within(n, outer))


def repeats(names: list[AdminName], chains: list[tuple[AdminName, ...]]) -> bool:
    """Whether every reading already holds one of these divisions, as its last area or one
    outside it."""
    return all(chain and any(chain[-1].division.code.startswith(n.division.short_code)
                             for n in names) for chain in chains)


def typed_township(piece: str, names: list[AdminName]) -> bool:
    """Whether the name is typed with a township's kind word and means only townships."""
    return piece.removesuffix("办事处").endswith(TOWNSHIP_KINDS) and all(
        n.kind != "short" and n.division.level is Level.township for n in names)


def conflict_note(piece: str, names: list[AdminName], chains: list[tuple[AdminName, ...]]) -> str:
    """The note for a name that fits none of the chains read."""
    return f"{piece} is not inside {inside_names(chains)}; ignored"


def inside_names(chains: list[tuple[AdminName, ...]]) -> str:
    """The last areas of the chains, as a note names them."""
    return "/".join(sorted({c[-1].division.name for c in chains if c}))
