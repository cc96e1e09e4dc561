"""Settings, one class per concern, all read from `TWIN_*` environment variables."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-secret-change-me"


def _switch(value: object, *, words: tuple[str, ...], means: bool) -> object:
    """A switch given as text: one of `words` means `means`, any other text the opposite
    (a switch never stops the program over a word it does not know)."""
    if isinstance(value, str):
        return means if value.strip().lower() in words else not means
    return value


# On unless set to 0, false, no or off; off unless set to 1, true, yes or on.
OnUnlessOff = Annotated[bool, BeforeValidator(
    partial(_switch, words=("0", "false", "no", "off"), means=False))]
OffUnlessOn = Annotated[bool, BeforeValidator(
    partial(_switch, words=("1", "true", "yes", "on"), means=True))]


class StoreSettings(BaseSettings):
    """Where the data lives: the embedded SpatiaLite file by default, or PostGIS."""

    model_config = SettingsConfigDict(env_prefix="TWIN_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///twin.db",
        description="SQLAlchemy URL: sqlite:///path.db (SpatiaLite) or "
        "postgresql+psycopg://user@host/db (PostGIS)",
    )
    spatialite_library: str = Field(
        default="mod_spatialite", description="SpatiaLite extension to load for sqlite URLs"
    )

    @field_validator("database_url")
    @classmethod
    def _blank_means_default(cls, value: str) -> str:
        return value.strip() or "sqlite:///twin.db"

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded SpatiaLite store."""
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        """The file behind a sqlite URL, if any."""
        if not self.is_sqlite:
            return None
        return Path(self.database_url.split("///", 1)[1])


class SecuritySettings(BaseSettings):
    """Keys, scopes and the secret that hashes ID numbers."""

    model_config = SettingsConfigDict(env_prefix="TWIN_", extra="ignore")

    environment: str = Field(default="dev", description="dev, test or prod")
    secret_key: SecretStr = Field(
        default=SecretStr(DEV_SECRET), description="HMAC key for ID-number hashes and tokens"
    )
    api_keys: dict[str, list[str]] = Field(
        default_factory=dict,
        description='JSON map of API key to scopes, e.g. {"k1": ["read", "write"]}',
    )
    anonymous_scopes: list[str] = Field(
        default_factory=lambda: ["read"], description="scopes granted without a key "
        "(`[]`: anonymous reading off, every request needs a key)"
    )
    anonymous_rate_limit: str | None = Field(
        default=None, description="rate limit of callers without a key, per client address, "
        'in the `limits` notation ("600/minute"); none by default')

    @model_validator(mode="after")
    def _refuse_dev_secret_in_prod(self) -> SecuritySettings:
        if self.environment not in {"dev", "test"} and (
            self.secret_key.get_secret_value() == DEV_SECRET
        ):
            raise ValueError("TWIN_SECRET_KEY must be set outside dev/test")
        return self


class ApiSettings(BaseSettings):
    """How the HTTP service presents itself."""

    model_config = SettingsConfigDict(env_prefix="TWIN_", extra="ignore")

    title: str = "cim-twin"
    description: str = "CIM / digital-twin spatial data service: 一标三实, 落图, 赋码, OGC APIs"
    root_path: str = Field(default="", description="path prefix when served behind a proxy")
    default_limit: int = Field(default=10, ge=1)
    max_limit: int = Field(default=10_000, ge=1)
    max_geocode_batch: int = Field(default=1_000, ge=1)
    tile_cache_mb: int = Field(default=256, ge=0, description="memory for drawn vector tiles "
                               "(tiles/cache.py), kept per layer version; 0: no cache")
    map_base_tiles: str | None = Field(default=None, description="an optional raster base "
                                       "map URL template ({z}/{x}/{y}, e.g. a GCJ-02 web map) "
                                       "under the twin's layers on /map; none: no base map")
    max_body_bytes: int = Field(default=64 * 1024 * 1024, ge=1, description="largest request "
                                "body (a feature, a batch, an upload); larger is a 413")
    max_filter_depth: int = Field(default=20, ge=1, description="deepest nesting of a CQL2 "
                                  "filter (parentheses in text, arrays/objects in JSON)")
    max_bbox_degrees: float = Field(default=360.0, gt=0, description="widest/tallest CRS84 "
                                    "bbox, in degrees; GIS clients ask for their whole view, "
                                    "so the default refuses none (pages are bounded by limit)")
    fast_reads: bool = Field(default=True, description="answer GeoJSON items/item GETs "
                             "without FastAPI's routing (api/fast_reads.py); same answers")
    boxes_min_rows: int = Field(default=20_000, ge=1, description="on PostGIS, layers of at "
                                "least this many features keep their boxes in memory for "
                                "bbox pages and counts (twin/boxes.py); off with fast_reads")
    address_index_at_startup: bool = Field(
        default=True, description="build the geocoder's address index in the background "
        "when the app starts; off: on the first geocoding request (also in the background)")
    address_index_wait: float = Field(
        default=10.0, ge=0, description="seconds a geocoding request waits for the first "
        "address index build before answering 503 with Retry-After")
    address_index_fresh_wait: float = Field(
        default=5.0, ge=0, description="after an address edit through this server, seconds "
        "a geocoding request waits for the rebuild so the edit is seen at once; only when "
        "the served index took no longer than this to build (else it answers meanwhile)")
    sync_max_bytes: int = Field(
        default=1_000_000, ge=1, description="largest input file a synchronous process "
        "execution takes; larger ones need `Prefer: respond-async` (a job)")
    jobs_step_delay: float = Field(
        default=0.0, ge=0, description="seconds a job pauses after each progress report "
        "(tests and demos: a job slow enough to watch and to stop mid-way)")
    job_retention_days: float = Field(
        default=30.0, gt=0, description="days a finished job (successful, failed or "
        "dismissed) is kept with its results; older ones are removed at start, every hour "
        "and when jobs are listed")
    address_index_retry: float = Field(
        default=5.0, ge=0, description="seconds after a failed address index build before a "
        "request tries again (the Retry-After of its 503)")


class CodeSettings(BaseSettings):
    """Where a city's own code schemes are declared (`twin.codes.schemes`)."""

    model_config = SettingsConfigDict(env_prefix="TWIN_", extra="ignore")

    code_schemes: Path | None = Field(
        default=None, description="JSON or YAML file with a list of extra code schemes"
    )


class MatcherSettings(BaseSettings):
    """How the address matcher runs."""

    model_config = SettingsConfigDict(env_prefix="TWIN_", extra="ignore")

    native: OnUnlessOff = Field(default=True, description="run the compiled address "
                                "matcher when its build is current (false: plain Python)")


class CliSettings(BaseSettings):
    """How the command line reports."""

    model_config = SettingsConfigDict(env_prefix="TWIN_", extra="ignore")

    debug: OffUnlessOn = Field(default=False, description="print the traceback of an "
                               "internal error (a bug) above its one-line message (1, true, "
                               "yes or on)")


class Settings(BaseSettings):
    """All settings of one running twin."""

    model_config = SettingsConfigDict(env_prefix="TWIN_", extra="ignore")

    store: StoreSettings = Field(default_factory=StoreSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    codes: CodeSettings = Field(default_factory=CodeSettings)
    matcher: MatcherSettings = Field(default_factory=MatcherSettings)
    cli: CliSettings = Field(default_factory=CliSettings)

    @classmethod
    def from_env(cls, **store_overrides: object) -> Settings:
        """Read everything from the environment; `database_url=` etc. override the store."""
        store = StoreSettings(**store_overrides)  # type: ignore[arg-type]
        return cls(store=store, security=SecuritySettings(), api=ApiSettings(),
                   codes=CodeSettings(), matcher=MatcherSettings(), cli=CliSettings())
