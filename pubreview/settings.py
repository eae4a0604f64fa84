"""Every PUBREVIEW_* setting, read from the environment in this one place.

Defaults keep everything inside the project (the embedded default: SQLite under data/, a local
Prefect server). `load()` reads the environment each time it is called, so a test or a command
that sets a variable sees it at once; nothing is read at import time. The README lists every
variable with its default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TIMEZONE = "Asia/Shanghai"


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


def _path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else None


def _hours(name: str, default: tuple[int, int]) -> tuple[int, int]:
    """A span of hours written START-END (20-8: from 20:00 to 08:00); an empty value is none."""
    value = os.environ.get(name)
    if value is None:
        return default
    if not value.strip():
        return (0, 0)
    start, _, end = value.partition("-")
    try:
        hours = (int(start), int(end))
    except ValueError:
        hours = (-1, -1)
    if not all(0 <= h <= 23 for h in hours):
        raise ValueError(f"{name} 应写成「起-止」两个 0–23 的钟点，如 20-8；现为 {value!r}")
    return hours


def _url(name: str, default: str) -> str:
    """An address from the environment, always ending in a slash."""
    return (os.environ.get(name) or default).rstrip("/") + "/"


@dataclass(frozen=True)
class Settings:
    """Where pubreview keeps its data, how it reaches its services, and its limits."""

    data_dir: Path
    database_url: str
    catalog_file: Path
    prefect_api_url: str
    # A suspended review waits for a human; Prefect fails a run whose pause times out,
    # so the timeout is long and `pubreview reconcile` restarts anything that did time out.
    suspend_timeout_s: int
    # Accounts (等保 baseline): lock-out after repeated wrong passwords, session lifetimes,
    # and how long a one-time set-password link stays usable.
    login_max_failures: int = 5
    login_lockout_s: int = 15 * 60
    session_idle_s: int = 30 * 60
    session_max_s: int = 12 * 3600
    password_link_ttl_s: int = 72 * 3600
    # Argon2id cost of a password hash (OWASP's and pwdlib's recommendation by default); the test
    # suite lowers it, since each hash otherwise costs a quarter second of CPU.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    # The largest attachment (or .docx body) a submitter may upload.
    max_attachment_bytes: int = 20 * 1024 * 1024
    # What a .docx/.xlsx (a zip inside) may expand to, in all and as a multiple of its size:
    # past either it is refused as a zip bomb before anything unpacks it.
    max_expanded_bytes: int = 100 * 1024 * 1024
    max_expansion_ratio: int = 100
    # Attachments one revision may carry (the web form and `submit`/`resubmit` alike).
    max_attachments: int = 20
    # Screening one file (extraction and matching) past this many seconds refuses the file; 0: none.
    screen_seconds_per_file: float = 30.0
    timezone: str = DEFAULT_TIMEZONE
    site_url: str = "http://127.0.0.1:8080/"
    web_url: str = "http://127.0.0.1:8090/"
    web_secret: str | None = None
    web_link_ttl_s: int = 30 * 24 * 3600
    site_port: int = 8080
    web_port: int = 8090
    sqlite_busy_timeout_s: float = 30.0
    # Seconds a PostgreSQL writer waits for the ledger's write lock before giving up; 0: forever.
    pg_write_lock_timeout_s: float = 30.0
    # A release due within this many seconds is waited for in-process instead of scheduled.
    release_slack_s: float = 60.0
    # None: the interval declared in deployments/prefect.yaml; 0 turns the schedule off.
    reconcile_interval_s: int | None = None
    worker_limit: int = 8
    # Whether review runs are started and moved on by the step worker (flows/step_worker.py, a
    # warm process: in `pubreview worker`, or beside a work pool's workers) instead of a trigger
    # and a resume each starting a new flow-run process.
    step_worker: bool = True
    notify_attempts: int = 3
    notify_backoff_s: float = 1.0
    apprise_config: Path | None = None
    apprise_yaml: str | None = None
    # Where people open the Prefect UI (the admin pages link each item's run there).
    prefect_ui_url: str = "http://127.0.0.1:4200/"
    # The office's holidays and 调休 beyond (or correcting) chinesecalendar's data.
    workdays_file: Path = PROJECT_ROOT / "config" / "workdays.yaml"
    # The Ed25519 key that signs ledger checkpoints (None: a file under the data folder),
    # and the folder holding the checkpoint log (None: <data dir>/checkpoints).
    ledger_signing_key: Path | None = None
    ledger_checkpoint_dir: Path | None = None
    # The review chains the office configured (a missing file: 初审 → 审签 → 中心发布).
    chains_file: Path = PROJECT_ROOT / "config" / "chains.yaml"
    # Disclosure requests: remind the handler this many working days before the deadline;
    # no reminder goes out in the quiet hours (start hour, end hour; office time).
    reminder_days: int = 3
    # Review steps with a deadline: remind those who may decide this many working days before.
    step_reminder_days: int = 1
    quiet_hours: tuple[int, int] = (20, 8)
    # Scheduled backups: where they go (None: <data dir>/backups) and how many days are kept.
    backup_dir: Path | None = None
    backup_keep_days: int = 14
    # Uploads kept while a form is shown again (None: <data dir>/uploads). Web processes that
    # serve one office share it, so a form posted to another process still has its files.
    upload_staging_dir: Path | None = None
    # The office's leader list (领导名单) and its additions to the shipped 错敏 lexicon; the
    # administrator edits both on /admin/lists (a missing additions file: none yet).
    leaders_file: Path = PROJECT_ROOT / "config" / "sample-leaders.yaml"
    errata_office_file: Path | None = None

    @property
    def prefect_home(self) -> Path:
        """Prefect's own files (its SQLite database, results) live under our data folder."""
        return self.data_dir / "prefect"

    @property
    def signing_key_file(self) -> Path:
        """The checkpoint signing key: kept outside the database, readable by its owner only."""
        return self.ledger_signing_key or self.data_dir / "ledger-signing.key"

    @property
    def checkpoint_dir(self) -> Path:
        """Where the signed checkpoint log is kept beside the database."""
        return self.ledger_checkpoint_dir or self.data_dir / "checkpoints"

    @property
    def backups(self) -> Path:
        """Where the scheduled backup deployment writes one folder per backup."""
        return self.backup_dir or self.data_dir / "backups"

    @property
    def upload_staging(self) -> Path:
        """Where a form's checked uploads wait until it is sent (shared by the web processes)."""
        return self.upload_staging_dir or self.data_dir / "uploads"

    def quiet(self, hour: int) -> bool:
        """Whether an office-time hour falls in the quiet hours (they may wrap past midnight)."""
        start, end = self.quiet_hours
        if start == end:
            return False
        return start <= hour < end if start < end else hour >= start or hour < end

    @property
    def zone(self) -> ZoneInfo:
        """The office's time zone: every time a person reads is shown in it."""
        return _zone(self.timezone)


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


# Settings read, by what they were read from: a web page asks for them dozens of times.
_read_from: dict[tuple, Settings] = {}


def load() -> Settings:
    """The settings from the environment, read again whenever the environment or the working
    directory (relative paths) differs from every read before."""
    # The raw environment, undecoded (os.environ's own store; its items in a stable order).
    raw = getattr(os.environ, "_data", None)
    key = (os.getcwd(), tuple((raw if raw is not None else os.environ).items()))
    found = _read_from.get(key)
    if found is None:
        if len(_read_from) > 64:  # a test suite's many environments: keep the latest only
            _read_from.clear()
        found = _read_from[key] = _read()
    return found


def _read() -> Settings:
    """Read the settings from the environment."""
    env = os.environ.get
    data_dir = Path(env("PUBREVIEW_DATA_DIR") or PROJECT_ROOT / "data").resolve()
    web_port = _int("PUBREVIEW_WEB_PORT", 8090)
    reconcile = env("PUBREVIEW_RECONCILE_INTERVAL_S")
    apprise_config = env("PUBREVIEW_APPRISE_CONFIG")
    prefect_api_url = env("PREFECT_API_URL") or "http://127.0.0.1:4200/api"
    return Settings(
        data_dir=data_dir,
        database_url=env("PUBREVIEW_DATABASE_URL") or f"sqlite:///{data_dir / 'pubreview.db'}",
        catalog_file=Path(env("PUBREVIEW_CATALOG") or PROJECT_ROOT / "config" / "catalog.yaml"),
        prefect_api_url=prefect_api_url,
        suspend_timeout_s=_int("PUBREVIEW_SUSPEND_TIMEOUT_S", 90 * 24 * 3600),
        login_max_failures=_int("PUBREVIEW_LOGIN_MAX_FAILURES", 5),
        login_lockout_s=_int("PUBREVIEW_LOGIN_LOCKOUT_S", 15 * 60),
        session_idle_s=_int("PUBREVIEW_SESSION_IDLE_S", 30 * 60),
        session_max_s=_int("PUBREVIEW_SESSION_MAX_S", 12 * 3600),
        password_link_ttl_s=_int("PUBREVIEW_PASSWORD_LINK_TTL_S", 72 * 3600),
        argon2_time_cost=max(1, _int("PUBREVIEW_ARGON2_TIME_COST", 3)),
        argon2_memory_kib=max(1024, _int("PUBREVIEW_ARGON2_MEMORY_KIB", 65536)),
        max_attachment_bytes=_int("PUBREVIEW_MAX_ATTACHMENT_BYTES", 20 * 1024 * 1024),
        max_expanded_bytes=_int("PUBREVIEW_MAX_EXPANDED_BYTES", 100 * 1024 * 1024),
        max_expansion_ratio=_int("PUBREVIEW_MAX_EXPANSION_RATIO", 100),
        max_attachments=_int("PUBREVIEW_MAX_ATTACHMENTS", 20),
        screen_seconds_per_file=_float("PUBREVIEW_SCREEN_SECONDS_PER_FILE", 30.0),
        timezone=env("PUBREVIEW_TIMEZONE") or DEFAULT_TIMEZONE,
        site_url=_url("PUBREVIEW_SITE_URL", "http://127.0.0.1:8080/"),
        web_url=_url("PUBREVIEW_WEB_URL", f"http://127.0.0.1:{web_port}/"),
        web_secret=env("PUBREVIEW_WEB_SECRET") or None,
        web_link_ttl_s=_int("PUBREVIEW_WEB_LINK_TTL_S", 30 * 24 * 3600),
        site_port=_int("PUBREVIEW_SITE_PORT", 8080),
        web_port=web_port,
        sqlite_busy_timeout_s=_float("PUBREVIEW_SQLITE_BUSY_TIMEOUT_S", 30.0),
        pg_write_lock_timeout_s=_float("PUBREVIEW_PG_WRITE_LOCK_TIMEOUT_S", 30.0),
        release_slack_s=_float("PUBREVIEW_RELEASE_SLACK_S", 60.0),
        reconcile_interval_s=int(reconcile) if reconcile else None,
        worker_limit=_int("PUBREVIEW_WORKER_LIMIT", 8),
        step_worker=(env("PUBREVIEW_STEP_WORKER") or "1").strip().lower() not in ("0", "false"),
        notify_attempts=max(1, _int("PUBREVIEW_NOTIFY_ATTEMPTS", 3)),
        notify_backoff_s=_float("PUBREVIEW_NOTIFY_BACKOFF_S", 1.0),
        apprise_config=Path(apprise_config) if apprise_config else None,
        apprise_yaml=env("PUBREVIEW_APPRISE_YAML") or None,
        prefect_ui_url=_url("PUBREVIEW_PREFECT_UI_URL", _ui_of(prefect_api_url)),
        ledger_signing_key=_path("PUBREVIEW_LEDGER_SIGNING_KEY"),
        ledger_checkpoint_dir=_path("PUBREVIEW_LEDGER_CHECKPOINT_DIR"),
        workdays_file=Path(env("PUBREVIEW_WORKDAYS") or PROJECT_ROOT / "config" / "workdays.yaml"),
        chains_file=Path(env("PUBREVIEW_CHAINS") or PROJECT_ROOT / "config" / "chains.yaml"),
        reminder_days=_int("PUBREVIEW_REMINDER_DAYS", 3),
        step_reminder_days=_int("PUBREVIEW_STEP_REMINDER_DAYS", 1),
        quiet_hours=_hours("PUBREVIEW_QUIET_HOURS", (20, 8)),
        backup_dir=_path("PUBREVIEW_BACKUP_DIR"),
        backup_keep_days=_int("PUBREVIEW_BACKUP_KEEP_DAYS", 14),
        upload_staging_dir=_path("PUBREVIEW_UPLOAD_STAGING_DIR"),
        leaders_file=Path(
            env("PUBREVIEW_LEADERS") or PROJECT_ROOT / "config" / "sample-leaders.yaml"
        ),
        errata_office_file=Path(
            env("PUBREVIEW_ERRATA_OFFICE") or data_dir / "screening" / "errata-office.yaml"
        ),
    )


def _ui_of(api_url: str) -> str:
    """The Prefect UI beside its API: the same address without the trailing /api."""
    base = api_url.rstrip("/")
    return base.removesuffix("/api") + "/"


def office_timezone() -> ZoneInfo:
    """The office's time zone (PUBREVIEW_TIMEZONE, default Asia/Shanghai)."""
    return load().zone


def pin_prefect_environment(settings: Settings) -> None:
    """Point Prefect at our server and keep its files in our data folder, unless already set."""
    home = settings.prefect_home
    defaults = {
        "PREFECT_API_URL": settings.prefect_api_url,
        "PREFECT_HOME": str(home),
        "PREFECT_LOCAL_STORAGE_PATH": str(home / "storage"),
        "PREFECT_UI_STATIC_DIRECTORY": str(home / "ui"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
