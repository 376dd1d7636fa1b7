"""Service configuration from the environment (pydantic-settings). Nothing here is read at import time."""

from __future__ import annotations

import ipaddress
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Settings for the store, the API and the CLI; every one can be set by an environment variable."""

    model_config = SettingsConfigDict(env_prefix="PLACEPLAN_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL; PostgreSQL in production. Unset: a SQLite file in data_dir.",
    )
    data_dir: Path = Field(default=Path("."), description="Folder for placeplan.db and exports")
    sen2_returns_dir: Path | None = Field(
        default=None,
        description="Folder of the councils' yearly SEN2 returns for cohort_forecast runs, one sub-folder per "
                    "council (api.cohort_inputs). Unset: data_dir/sen2-returns.",
    )
    max_request_bytes: int = Field(default=20 * 1024 * 1024, description="Largest request body accepted")
    request_timeout_seconds: float = Field(default=30.0, description="Timeout for synchronous requests")
    download_wait_seconds: float = Field(
        default=20.0, ge=0, le=25,
        description="How long a forecast/sufficiency download waits for its run (computed in a worker process) "
                    "before answering 202 with the run's Location; under the request timeout",
    )
    cors_origins: list[str] = Field(default_factory=list, description="Allowed origins; empty = CORS off")
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks (e.g. [\"10.0.0.5\", \"10.1.0.0/16\"]) of reverse proxies whose "
                    "X-Forwarded-For header the audit believes for the client address; empty (default): none, the "
                    "peer's address is recorded. `placeplan serve` turns uvicorn's own proxy-header handling off.",
    )
    run_workers: int = Field(default=2, description="Solve runs executed at once")
    request_threads: int = Field(
        default=4, ge=1, le=200,
        description="Threads serving sync routes at once (anyio's pool; its default is 40). Few is faster on a "
                    "small machine: every extra thread is another contender for the GIL. On 2 cores under the load "
                    "benchmark: 8 threads p95 119 ms, 4 threads 94 ms, 2 threads 60 ms. Forecast downloads run in "
                    "worker processes (api.downloads), so they hold none of these threads.",
    )
    gil_switch_interval_ms: float = Field(
        default=0.5, ge=0, le=100,
        description="Python's thread switch interval while the service runs (sys.setswitchinterval; Python's "
                    "default is 5 ms, 0 leaves it alone): shorter hands the GIL back sooner to a request thread "
                    "returning from the database, which cut p95 latency under load",
    )
    auth_cache_seconds: float = Field(
        default=5.0, ge=0,
        description="How long a key's stored record is cached in-process (0 = read the database on every request). "
                    "A key revoked by another process (the CLI) still works here for at most this long.",
    )
    dask_scheduler: str | None = Field(default=None, description="Dask scheduler address for sweeps")
    pseudonym_key: str | None = Field(
        default=None,
        description="Secret key for learner pseudonyms made at import (HMAC of the UPN/ULN/person id). Unset: a "
                    "random key kept in data_dir/pseudonym.key (created on first use, readable by its owner only), "
                    "so the same child gets the same id on every import on this installation.",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_networks(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            ipaddress.ip_network(entry, strict=False)  # ValueError names the bad entry
        return entries

    def resolved_pseudonym_key(self) -> str:
        """The configured key, else the one kept in data_dir (created on first use)."""
        if self.pseudonym_key:
            return self.pseudonym_key
        path = self.data_dir / "pseudonym.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_hex(32), encoding="ascii")
        return path.read_text(encoding="ascii").strip()

    def resolved_database_url(self) -> str:
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite:///{(self.data_dir / 'placeplan.db').resolve()}"


def normalise_database_url(url: str) -> str:
    """Accept the usual postgres:// spellings and use the psycopg 3 driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@lru_cache(maxsize=1)
def get_settings() -> ServiceSettings:
    """The process's settings (cached; tests build their own ServiceSettings instead)."""
    return ServiceSettings()
