"""Loading the Apprise configuration that routes messages by tag, and checking it against the org.

The configuration holds secrets (SMTP passwords, tokens): it is read from a file
(PUBREVIEW_APPRISE_CONFIG) or from the environment (PUBREVIEW_APPRISE_YAML), never logged,
and errors name people and tags, never URLs. Without either, the sample outbox
configuration is used so the demo works with no mail server.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, lru_cache
from io import StringIO

import apprise
import yaml
from apprise.plugins.base import NotifyBase
from sqlalchemy import select
from sqlalchemy.orm import Session

# Imported for its side effect: registers the pubreview:// outbox schema with Apprise.
import pubreview.notify.outbox  # noqa: F401
from models import Person, Role, RoleGrant, Unit
from pubreview import settings
from pubreview.errors import ValidationError
from pubreview.settings import PROJECT_ROOT

ENV_FILE = "PUBREVIEW_APPRISE_CONFIG"
ENV_YAML = "PUBREVIEW_APPRISE_YAML"
SAMPLE_CONFIG = PROJECT_ROOT / "config" / "apprise-sample.yaml"

ROLE_PREFIX = "role:"
UNIT_PREFIX = "unit:"
# People who may be addressed need somewhere to be reached; an admin-only account does not.
ADDRESSED_ROLES = (Role.SUBMITTER, Role.SECTION_HEAD, Role.LEADER, Role.CENTER)


@dataclass(frozen=True)
class Routing:
    """The loaded Apprise configuration: ask it for a person's tag to get their services."""

    apprise: apprise.Apprise
    source: str  # where it came from, safe to show (a path or a variable name)

    def targets(self, username: str) -> list[NotifyBase]:
        """The services tagged with this person's username (none means misrouted).

        Each a copy: the loaded ones are kept for later calls (see `load_routing`) and never
        send, so a copy starts without Apprise's per-instance throttle state (mail waits 5.5 s
        after a send through the same instance), as a freshly loaded service did.
        """
        return [copy.copy(s) for s in self.apprise.find(tag=username)]


@contextmanager
def quiet_apprise() -> Iterator[StringIO]:
    """Keep Apprise's log lines (which may quote URLs) out of our logs; collect them instead."""
    log = logging.getLogger("apprise")
    buffer = StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(message)s"))
    # Warnings say what failed; Apprise gives the underlying cause ("Socket Exception: …")
    # only at debug level, so that line is kept too.
    handler.addFilter(
        lambda r: r.levelno >= logging.WARNING or r.getMessage().startswith("Socket Exception")
    )
    saved = log.propagate, log.level
    log.propagate = False
    log.setLevel(logging.DEBUG)
    log.addHandler(handler)
    try:
        yield buffer
    finally:
        log.removeHandler(handler)
        log.propagate, log.level = saved


def config_source() -> tuple[str, str]:
    """The configuration's text and a safe description of where it came from."""
    current = settings.load()
    if current.apprise_yaml:
        return ENV_YAML, current.apprise_yaml
    path = current.apprise_config or SAMPLE_CONFIG
    try:
        return str(path), path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"Apprise configuration {path}: cannot read: {exc.strerror}") from exc


def _tags(value: object) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).replace(",", " ").split()
    return [str(t).strip().lower() for t in items if str(t).strip()]


# libyaml when present: the configuration is read on every notification pass.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def declared_entries(text: str, source: str) -> list[list[str]]:
    """The tags of every service the YAML declares, in order (to spot entries Apprise dropped)."""
    return [list(tags) for tags in _declared(text, source)]


@cache
def _declared(text: str, source: str) -> tuple[tuple[str, ...], ...]:
    # Cached by the text itself: an edited file is a new key, so nothing stale is read.
    try:
        doc = yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 — a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ValidationError(f"Apprise configuration {source}: not valid YAML{where}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("urls"), list):
        raise ValidationError(f"Apprise configuration {source}: expected a YAML mapping with urls:")
    shared = _tags(doc.get("tag"))
    entries: list[list[str]] = []
    for item in doc["urls"]:
        if isinstance(item, dict) and len(item) == 1:
            options = next(iter(item.values()))
            groups = options if isinstance(options, list) else [options or {}]
            entries += [shared + _tags((g or {}).get("tag")) for g in groups]
        else:
            entries.append(list(shared))
    return tuple(tuple(tags) for tags in entries)


OrgKey = tuple[tuple[tuple[str, str | None, str | None], ...], tuple[str, ...]]


def _org_key(session: Session) -> OrgKey:
    """Everything `problems` reads of the organisation, in two small queries (the cache's key)."""
    rows = session.execute(
        select(Person.username, RoleGrant.role, Unit.code)
        .join(RoleGrant, RoleGrant.person_id == Person.id, isouter=True)
        .join(Unit, Unit.id == RoleGrant.unit_id, isouter=True)
    )
    grants = tuple(sorted((u, r, c) for u, r, c in rows))
    return grants, tuple(sorted(session.scalars(select(Unit.code))))


def _person_grants(org: OrgKey) -> dict[str, set[tuple[str, str]]]:
    grants: dict[str, set[tuple[str, str]]] = {}
    for username, role, unit in org[0]:
        people = grants.setdefault(username.lower(), set())
        if role is not None:
            people.add((Role(role).value, unit))
    return grants


# A person nobody can reach is that person's problem alone: their deliveries are recorded as
# misrouted, everyone else is still told. (A person added to the org before their address
# must not silence the office.) `notify check` still lists them.
UNREACHED = ": nobody could notify them"


def problems(routing: Routing, declared: list[list[str]], org: OrgKey) -> list[str]:
    """Everything wrong with a configuration, each naming the person or tag concerned."""
    services = list(routing.apprise)
    if not services:
        return [f"Apprise configuration {routing.source}: no service loaded"]
    found: list[str] = []
    loaded = [sorted(str(t).lower() for t in s.tags) for s in services]
    for i, tags in enumerate(declared):
        if sorted(tags) in loaded:
            loaded.remove(sorted(tags))
        else:
            found.append(
                f"urls[{i}] (tags: {', '.join(tags) or 'none'}) did not load: "
                "unknown schema or malformed URL"
            )
    grants = _person_grants(org)
    roles = {r.value for r in Role}
    units = {code for held in grants.values() for _, code in held if code}
    units |= set(org[1])
    reached: set[str] = set()
    for service in services:
        tags = sorted(str(t).lower() for t in service.tags)
        people = [t for t in tags if t in grants]
        label = ", ".join(people) or ", ".join(tags) or "no tags"
        if not people:
            found.append(f"a target tagged {label} names no person: tag it with a username")
        for tag in tags:
            if tag in grants:
                continue
            if tag.startswith(ROLE_PREFIX) and tag[len(ROLE_PREFIX) :] in roles:
                role = tag[len(ROLE_PREFIX) :]
                found += [
                    f"{p}'s target is tagged {tag}, but {p} holds no such role"
                    for p in people
                    if not any(r == role for r, _ in grants[p])
                ]
            elif tag.startswith(UNIT_PREFIX) and tag[len(UNIT_PREFIX) :] in units:
                unit = tag[len(UNIT_PREFIX) :]
                found += [
                    f"{p}'s target is tagged {tag}, but {p} holds no role in unit {unit}"
                    for p in people
                    if not any(u == unit for _, u in grants[p])
                ]
            else:
                found.append(f"unknown tag {tag!r} on the target of {label}")
        reached.update(people)
    addressed = {r.value for r in ADDRESSED_ROLES}
    for username, held in sorted(grants.items()):
        if username not in reached and any(r in addressed for r, _ in held):
            found.append(f"no target for {username}{UNREACHED}")
    return found


def load_routing(session: Session, *, strict: bool = False) -> Routing:
    """Load and check the configuration; a ValidationError lists every problem found.

    Not `strict`: people without a target do not stop the others' messages.
    """
    source, text = config_source()
    # Building Apprise's services and checking them against the org costs about 150 ms; both
    # depend only on the configuration's text and the org's grants, which are read afresh
    # (two small queries) as the key, so an edited file or a changed org is never served stale.
    routing, found = _checked(source, text, _org_key(session))
    blocking = found if strict else tuple(f for f in found if not f.endswith(UNREACHED))
    if blocking:
        raise ValidationError(
            f"Apprise configuration {source} has {len(found)} problem(s):\n  - "
            + "\n  - ".join(found)
        )
    return routing


@lru_cache(maxsize=8)
def _checked(source: str, text: str, org: OrgKey) -> tuple[Routing, tuple[str, ...]]:
    """The routing built from the text and its problems against the org (cached by all three)."""
    declared = declared_entries(text, source)
    config = apprise.AppriseConfig()
    with quiet_apprise():
        config.add_config(text, format="yaml")
        routing = Routing(apprise.Apprise(), source)
        routing.apprise.add(config)
        # Materialise the services now, inside the quiet block: Apprise loads lazily.
        list(routing.apprise)
    return routing, tuple(problems(routing, declared, org))
