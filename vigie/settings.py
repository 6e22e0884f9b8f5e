"""One typed configuration object, built once at the edge and passed in.

No other module reads the environment: the CLI, the crawl runner and the web app build a
:class:`Settings` and hand it (or the values it holds) to the rooms they compose.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "please-change", ""}


class Settings(BaseSettings):
    """Every setting of Vigie. Environment variables use the ``VIGIE_`` prefix."""

    model_config = SettingsConfigDict(env_prefix="VIGIE_", extra="ignore")

    data_dir: Path = Field(Path("var"), description="Folder for the database, evidence, logs.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default: SQLite (WAL) file in the data folder."
    )
    user_agent: str = Field(
        "VigieBot/0.1 (+social-security inspection OSINT; contact: vigie@example.org)",
        description="Identifying user agent sent with every request.",
    )
    robots_obey: bool = Field(True, description="Obey robots.txt (override only per source).")
    download_delay: float | None = Field(
        None,
        description="Override of every source's delay between requests (s); the "
        "demo sets 0 for its own loopback web. Default: each source's YAML.",
    )
    concurrent_per_domain: int | None = Field(
        None, description="Override of every source's concurrent requests per domain."
    )
    autothrottle: bool | None = Field(None, description="Override of AutoThrottle on/off.")
    retry_backoff_base: float | None = Field(
        None, ge=0, description="Override of every source's first retry back-off (s; doubled "
        "at each retry up to the cap, unless the server sent Retry-After). Default: each "
        "source's YAML.",
    )
    match_process: Literal["auto", "on", "off"] = Field(
        "auto", description="Match a crawl's items against the register in a child process "
        "(on the other core): auto = for a register of 20,000 employers or more, on, off."
    )
    write_batch: int = Field(
        100, ge=1, description="Items written per database transaction during a crawl."
    )
    db_retry_limit: float = Field(
        30.0, gt=0, description="Seconds a crawl retries an unavailable database before it "
        "spools the items to disk (replayed when the database answers again).",
    )
    db_outage_limit: float = Field(
        120.0, gt=0, description="Seconds a crawl pauses on an unavailable database before "
        "archiving stops (captures are never spooled: their rows are the evidence index).",
    )
    capture_batch: int = Field(
        64, ge=1, description="Responses archived per WARC fsync and Capture transaction."
    )
    capture_batch_ms: int = Field(
        50, ge=0, description="Longest wait (ms) before a partial batch of responses is "
        "archived: the latency a response can gain before its items are processed.",
    )
    write_process: str = Field(
        "auto", pattern="^(auto|true|false)$",
        description="Where a crawl writes its items: `true` in one child process of its own "
        "(off the crawl's interpreter lock; ~1 s of start-up), `false` in a thread of the "
        "crawl process, `auto` in a child process when the register holds at least 20,000 "
        "employers (where matching is costly).",
    )
    download_timeout: int = Field(30, description="Seconds before a request times out.")
    download_maxsize: int = Field(20 * 1024 * 1024, description="Largest response body (bytes).")
    chromium_path: str | None = Field(
        None,
        description="Chromium executable for Playwright; default: /usr/bin/chromium if present.",
    )
    secret_key: str = Field(
        default_factory=lambda: secrets.token_urlsafe(32),
        description="Key signing session cookies; random per process unless set.",
    )
    session_max_age: int = Field(8 * 3600, description="Session lifetime of the review UI (s).")
    session_idle_minutes: int = Field(
        60, ge=1, description="A review UI session ends after this many minutes without a request."
    )
    retention_days: int = Field(365, description="Default retention of uncited captures/records.")
    crawl_time_limit: int = Field(
        6 * 3600, ge=1,
        description="Seconds a scheduled crawl may run before it is stopped (SIGTERM, then "
        "SIGKILL); a schedule's own time_limit wins.",
    )
    crawl_lease_seconds: int = Field(
        120, ge=3,
        description="Lifetime of a crawl's lease (renewed every third of it): a crawl whose "
        "process vanished on another host is taken over after this long.",
    )
    scheduler_misfire_grace: int = Field(
        3600, ge=1,
        description="A scheduled run missed (scheduler down) is still run if the scheduler is "
        "back within this many seconds; later, it is recorded as skipped.",
    )
    worker_stale_seconds: float = Field(
        15.0, ge=2,
        description="Seconds without a heartbeat (a worker sends one every second) after which "
        "a distributed crawl's worker is taken as dead: the requests it held go back in the "
        "queue and the crawl may close without it.",
    )
    redis_url: str | None = Field(
        None,
        description="Redis URL (redis://host:port/db) of the shared crawl frontier: with it, "
        "`vigie crawl --enqueue` seeds a distributed crawl, `vigie worker` processes share it "
        "and the scheduler enqueues due crawls instead of running them.",
    )

    @field_validator("secret_key")
    @classmethod
    def _refuse_placeholder(cls, value: str) -> str:
        if value.strip().lower() in PLACEHOLDER_SECRETS or len(value) < 16:
            raise ValueError("VIGIE_SECRET_KEY must be a real secret of at least 16 characters")
        return value

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'vigie.sqlite3').resolve()}"

    @property
    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"

    @property
    def chromium_executable(self) -> str | None:
        if self.chromium_path:
            return self.chromium_path
        for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
            if Path(candidate).exists():
                return candidate
        return None

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.evidence_dir.mkdir(parents=True, exist_ok=True)
