"""Settings read from the environment, with defaults that keep everything inside the project."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Settings:
    """Where pubreview keeps its data and how it reaches its services."""

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

    @property
    def prefect_home(self) -> Path:
        """Prefect's own files (its SQLite database, results) live under our data folder."""
        return self.data_dir / "prefect"


def load() -> Settings:
    """Read the settings from the environment."""
    data_dir = Path(os.environ.get("PUBREVIEW_DATA_DIR", PROJECT_ROOT / "data")).resolve()
    return Settings(
        data_dir=data_dir,
        database_url=os.environ.get(
            "PUBREVIEW_DATABASE_URL", f"sqlite:///{data_dir / 'pubreview.db'}"
        ),
        catalog_file=Path(
            os.environ.get("PUBREVIEW_CATALOG", PROJECT_ROOT / "config" / "catalog.yaml")
        ),
        prefect_api_url=os.environ.get("PREFECT_API_URL", "http://127.0.0.1:4200/api"),
        suspend_timeout_s=int(os.environ.get("PUBREVIEW_SUSPEND_TIMEOUT_S", 90 * 24 * 3600)),
        login_max_failures=int(os.environ.get("PUBREVIEW_LOGIN_MAX_FAILURES", 5)),
        login_lockout_s=int(os.environ.get("PUBREVIEW_LOGIN_LOCKOUT_S", 15 * 60)),
        session_idle_s=int(os.environ.get("PUBREVIEW_SESSION_IDLE_S", 30 * 60)),
        session_max_s=int(os.environ.get("PUBREVIEW_SESSION_MAX_S", 12 * 3600)),
        password_link_ttl_s=int(os.environ.get("PUBREVIEW_PASSWORD_LINK_TTL_S", 72 * 3600)),
    )


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
