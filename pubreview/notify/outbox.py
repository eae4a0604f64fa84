"""The outbox: a real Apprise plugin (`pubreview://USERNAME`) that keeps messages in a local folder.

It is the embedded default (the demo needs no mail server) and the tests' second target.
Each message is one JSON file under data_dir/outbox/<username>/, written atomically.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apprise.decorators import notify

from pubreview import settings

SCHEMA = "pubreview"


@dataclass(frozen=True)
class OutboxMessage:
    """One message as the outbox stored it."""

    to: str
    at: str
    title: str
    body: str
    body_format: str
    notify_type: str
    path: str

    def to_dict(self) -> dict[str, str]:
        """Plain data for --json."""
        return asdict(self)


def outbox_dir() -> Path:
    """Where the outbox keeps messages (under the data folder, read afresh for each send)."""
    return settings.load().data_dir / "outbox"


@notify(on=SCHEMA, name="pubreview outbox")
def _store(
    body: str, title: str, notify_type: str, body_format: str, meta: dict[str, Any], *args, **kwargs
) -> bool:
    """Apprise calls this to send: write the message to the recipient's folder."""
    to = meta.get("host") or ""
    if not to or "/" in to or to.startswith("."):
        return False
    now = datetime.now(UTC)
    folder = outbox_dir() / to
    record = {
        "to": to,
        "at": now.isoformat(timespec="microseconds"),
        "title": title,
        "body": body,
        "body_format": str(body_format),
        "notify_type": str(notify_type),
    }
    name = f"{now.strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:8]}.json"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader never sees half a message.
        partial = folder / f".{name}.part"
        partial.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, folder / name)
    except OSError:
        return False
    return True


def read_outbox(to: str | None = None) -> list[OutboxMessage]:
    """Messages in the outbox, oldest first; only one person's when `to` is given."""
    root = outbox_dir()
    folders = [root / to] if to else sorted(p for p in root.glob("*") if p.is_dir())
    messages = []
    for folder in folders:
        for path in sorted(folder.glob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            messages.append(OutboxMessage(**data, path=str(path)))
    return sorted(messages, key=lambda m: m.at)
