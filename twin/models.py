"""The data model: 行政区划, 网格, 街路巷, 标准地址, 一标三实 and 部件, and the code registry.

Every geometry is stored in CGCS2000 (EPSG:4490), longitude first. Tables are plain
SQLAlchemy 2 declarative classes; bulk work goes through their `__table__` with Core.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

STORAGE_SRID = 4490  # CGCS2000

# A 64-bit key on PostGIS; SQLite only auto-increments a column declared INTEGER.
Key = BigInteger().with_variant(Integer(), "sqlite")

ADDRESS_LEVELS = ("road", "compound", "door", "building", "unit", "floor", "room")
ADDRESS_STATUSES = ("active", "planned", "retired")  # 现行 / 规划 / 废弃 (GB/T 35639)
OBJECT_STATUSES = ("active", "planned", "retired", "demolished")
ADMIN_LEVELS = ("province", "city", "county", "township", "village")


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


def geometry(kind: str, nullable: bool = True) -> Mapped[Any]:
    """A CGCS2000 geometry column with a spatial index."""
    return mapped_column(Geometry(kind, srid=STORAGE_SRID, spatial_index=True), nullable=nullable)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Versioned:
    """Columns for optimistic locking (ETag / If-Match) and change times."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.current_timestamp()
    )


class AdminArea(Base):
    """行政区划: an NBS 12-digit division."""

    __tablename__ = "admin_area"
    __table_args__ = (CheckConstraint(_in("level", ADMIN_LEVELS), name="ck_admin_level"),)

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    level: Mapped[str] = mapped_column(String(10), nullable=False)
    parent_code: Mapped[str | None] = mapped_column(
        String(12), ForeignKey("admin_area.code"), index=True
    )
    aliases: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    geom = geometry("MULTIPOLYGON")
    # Most of the country's divisions come without a boundary: the store says which have
    # one, so a client can tell "no boundary known" from "nothing here". Derived by the
    # store from the geometry, so no writer can let it drift (revision 0006 adds it).
    has_boundary: Mapped[bool] = mapped_column(Boolean, Computed("geom IS NOT NULL"))


class Grid(Versioned, Base):
    """网格: a management grid cell under a community."""

    __tablename__ = "grid"

    id: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    community_code: Mapped[str] = mapped_column(
        String(12), ForeignKey("admin_area.code"), nullable=False, index=True
    )
    geom = geometry("MULTIPOLYGON", nullable=False)


class Road(Versioned, Base):
    """街路巷: a named road, street or lane."""

    __tablename__ = "road"
    __table_args__ = (UniqueConstraint("county_code", "name", name="uq_road_name"),)

    id: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    aliases: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    county_code: Mapped[str] = mapped_column(
        String(12), ForeignKey("admin_area.code"), nullable=False
    )
    township_code: Mapped[str | None] = mapped_column(String(12), ForeignKey("admin_area.code"))
    geom = geometry("MULTILINESTRING")


class Address(Versioned, Base):
    """标准地址: a node of the address tree (road → door → building → unit → floor → room).

    The element columns repeat the path from the root, so a node reads as one row
    (and a file of finest addresses maps one row to one node).
    """

    __tablename__ = "address"
    __table_args__ = (
        CheckConstraint(_in("level", ADDRESS_LEVELS), name="ck_address_level"),
        CheckConstraint(_in("status", ADDRESS_STATUSES), name="ck_address_status"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="ck_address_validity"),
        Index("ix_address_parent", "parent_code"),
        Index("ix_address_community", "community_code"),
        # How the geocoder's index sees edits without a table scan (addressing.service).
        Index("ix_address_updated", "updated_at", "version"),
    )

    id: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    parent_code: Mapped[str | None] = mapped_column(String(40), ForeignKey("address.code"))
    level: Mapped[str] = mapped_column(String(10), nullable=False)
    value: Mapped[str] = mapped_column(String(64), nullable=False)
    full_text: Mapped[str] = mapped_column(Text, nullable=False)
    county_code: Mapped[str] = mapped_column(
        String(12), ForeignKey("admin_area.code"), nullable=False
    )
    township_code: Mapped[str | None] = mapped_column(String(12), ForeignKey("admin_area.code"))
    community_code: Mapped[str | None] = mapped_column(String(12), ForeignKey("admin_area.code"))
    grid_code: Mapped[str | None] = mapped_column(String(32))
    road: Mapped[str | None] = mapped_column(String(64))
    door_no: Mapped[str | None] = mapped_column(String(32))
    compound: Mapped[str | None] = mapped_column(String(64))
    building: Mapped[str | None] = mapped_column(String(32))
    unit: Mapped[str | None] = mapped_column(String(16))
    floor: Mapped[str | None] = mapped_column(String(16))
    room: Mapped[str | None] = mapped_column(String(16))
    aliases: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="active")
    valid_from: Mapped[date] = mapped_column(
        Date, nullable=False, server_default=func.current_date()
    )
    valid_to: Mapped[date | None] = mapped_column(Date)
    geom = geometry("POINT")


class Building(Versioned, Base):
    """实有房屋 (building): footprint, floors, height, use, and its unified code."""

    __tablename__ = "building"
    __table_args__ = (
        CheckConstraint(_in("status", OBJECT_STATUSES), name="ck_building_status"),
        CheckConstraint("floors IS NULL OR floors > 0", name="ck_building_floors"),
        CheckConstraint("height IS NULL OR height > 0", name="ck_building_height"),
    )

    id: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    address_code: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("address.code"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(64))
    floors: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[float | None] = mapped_column(Float)
    use: Mapped[str | None] = mapped_column(String(16))
    year_built: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="active")
    township_code: Mapped[str | None] = mapped_column(String(12), ForeignKey("admin_area.code"))
    community_code: Mapped[str | None] = mapped_column(
        String(12), ForeignKey("admin_area.code"), index=True
    )
    grid_code: Mapped[str | None] = mapped_column(String(32))
    beidou_code: Mapped[str | None] = mapped_column(String(32), index=True)
    geom = geometry("MULTIPOLYGON", nullable=False)


class House(Versioned, Base):
    """实有房屋 (unit/room): one dwelling or office in a building."""

    __tablename__ = "house"
    __table_args__ = (
        CheckConstraint(_in("status", OBJECT_STATUSES), name="ck_house_status"),
        CheckConstraint("area IS NULL OR area > 0", name="ck_house_area"),
    )

    id: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    building_code: Mapped[str] = mapped_column(
        String(40), ForeignKey("building.code"), nullable=False, index=True
    )
    address_code: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("address.code"), index=True
    )
    unit: Mapped[str | None] = mapped_column(String(16))
    floor: Mapped[str | None] = mapped_column(String(16))
    room: Mapped[str | None] = mapped_column(String(16))
    area: Mapped[float | None] = mapped_column(Float)
    use: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="active")
    township_code: Mapped[str | None] = mapped_column(String(12), ForeignKey("admin_area.code"))
    community_code: Mapped[str | None] = mapped_column(
        String(12), ForeignKey("admin_area.code"), index=True
    )
    grid_code: Mapped[str | None] = mapped_column(String(32))
    # GB/T 39409 3D grid code: the house's point lifted to its storey (twin.placement).
    beidou_code_3d: Mapped[str | None] = mapped_column(String(40), index=True)
    geom = geometry("POINT")


class Person(Versioned, Base):
    """实有人口: sensitive. The ID number is kept only as a keyed hash and a masked form."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    id_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    id_masked: Mapped[str] = mapped_column(String(18), nullable=False)
    name: Mapped[str] = mapped_column(String(32), nullable=False)
    gender: Mapped[str | None] = mapped_column(String(1))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    phone: Mapped[str | None] = mapped_column(String(20))
    house_code: Mapped[str | None] = mapped_column(String(40), ForeignKey("house.code"), index=True)
    address_code: Mapped[str | None] = mapped_column(String(40), ForeignKey("address.code"))
    residence_type: Mapped[str | None] = mapped_column(String(16))  # 户籍 / 流动 / 境外
    township_code: Mapped[str | None] = mapped_column(String(12), ForeignKey("admin_area.code"))
    community_code: Mapped[str | None] = mapped_column(
        String(12), ForeignKey("admin_area.code"), index=True
    )
    grid_code: Mapped[str | None] = mapped_column(String(32))
    geom = geometry("POINT")


class Organization(Versioned, Base):
    """实有单位: identified by its 18-character unified social credit code (GB 32100)."""

    __tablename__ = "organization"
    __table_args__ = (
        CheckConstraint(_in("status", OBJECT_STATUSES), name="ck_organization_status"),
    )

    id: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(18), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False, index=True)
    org_type: Mapped[str | None] = mapped_column(String(16))
    industry: Mapped[str | None] = mapped_column(String(32))
    address_code: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("address.code"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="active")
    township_code: Mapped[str | None] = mapped_column(String(12), ForeignKey("admin_area.code"))
    community_code: Mapped[str | None] = mapped_column(
        String(12), ForeignKey("admin_area.code"), index=True
    )
    grid_code: Mapped[str | None] = mapped_column(String(32))
    geom = geometry("POINT")


class CityObject(Versioned, Base):
    """部件 and other city things: any geometry, a class code and free attributes."""

    __tablename__ = "city_object"
    __table_args__ = (
        CheckConstraint(_in("status", OBJECT_STATUSES), name="ck_city_object_status"),
    )

    id: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    object_type: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    name: Mapped[str | None] = mapped_column(String(64))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    township_code: Mapped[str | None] = mapped_column(String(12), ForeignKey("admin_area.code"))
    community_code: Mapped[str | None] = mapped_column(
        String(12), ForeignKey("admin_area.code"), index=True
    )
    grid_code: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="active")
    geom = geometry("GEOMETRY", nullable=False)


class CodeRecord(Base):
    """code_registry: every code ever issued. A code is never reused or deleted."""

    __tablename__ = "code_registry"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'retired')", name="ck_code_status"),
        UniqueConstraint("scheme", "natural_key", name="uq_code_natural_key"),
    )

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    scheme: Mapped[str] = mapped_column(String(32), nullable=False)
    object_type: Mapped[str] = mapped_column(String(32), nullable=False)
    object_id: Mapped[str | None] = mapped_column(String(64), index=True)
    natural_key: Mapped[str | None] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="active")
    issued_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.current_timestamp()
    )
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(String(64))  # issue / split / merge / demolish …
    predecessors: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    successors: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)


class CodeSequence(Base):
    """The next free sequence number under a code prefix (scheme + parent segments)."""

    __tablename__ = "code_sequence"

    scheme: Mapped[str] = mapped_column(String(32), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(40), primary_key=True)
    next_value: Mapped[int] = mapped_column(Integer, nullable=False, default=1)


class AuditEntry(Base):
    """An audit log line: every write and every sensitive read."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.current_timestamp()
    )
    actor: Mapped[str] = mapped_column(String(64), nullable=False)
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    layer: Mapped[str] = mapped_column(String(32), nullable=False)
    object_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
