"""Putting the site on disk so readers never see half of it.

The site directory is a symlink to one complete build under `<site>.builds/`. A full build
writes a new build directory and then swaps the symlink with one rename, so a crash at any
point leaves the previous site serving. A single page is rewritten in place with write to a
temporary file + rename, so a reader gets the old page or the new one, never a torn one.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def builds_dir(out_dir: Path) -> Path:
    """Where the complete builds behind the site symlink live."""
    return out_dir.with_name(out_dir.name + ".builds")


@contextmanager
def site_lock(out_dir: Path) -> Iterator[None]:
    """Hold the site's lock: one build or update at a time (others wait for it)."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(out_dir.with_name(out_dir.name + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def new_build_dir(out_dir: Path) -> Path:
    """A fresh, empty directory for a full build, beside the live one."""
    path = builds_dir(out_dir) / f"build-{uuid.uuid4().hex[:12]}"
    path.mkdir(parents=True)
    return path


def write_new(root: Path, relpath: str, data: bytes) -> None:
    """Write a file into a build directory that nobody serves yet (no rename needed)."""
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def write_atomic(root: Path, relpath: str, data: bytes) -> bool:
    """Replace one file of the live site atomically; return False when it was already so."""
    path = root / relpath
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return True


def read(root: Path, relpath: str) -> bytes | None:
    """One file of the live site as it is now, or None when there is none."""
    try:
        return (root / relpath).read_bytes()
    except FileNotFoundError:
        return None


def listing_files(root: Path, folder: str) -> list[str]:
    """The files directly in one folder of the live site, as site paths (none if no folder)."""
    try:
        with os.scandir(root / folder) as entries:
            # A temporary file of write_atomic (".name.pid.tmp") is never part of the site.
            return [
                f"{folder}/{e.name}"
                for e in entries
                if e.is_file(follow_symlinks=False) and not e.name.startswith(".")
            ]
    except FileNotFoundError:
        return []


def remove(root: Path, paths: list[str]) -> int:
    """Delete these files of the live site, and their folders once empty; return how many."""
    removed = 0
    for rel in paths:
        path = root / rel
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed += 1
        folder = path.parent
        while folder != root and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
    return removed


def swap_in(out_dir: Path, build: Path) -> None:
    """Point the site symlink at a finished build in one rename, then drop older builds."""
    if out_dir.exists() and not out_dir.is_symlink():
        # A plain directory from elsewhere: keep it as an old build. Only this first swap is
        # not atomic; every later one is.
        out_dir.rename(builds_dir(out_dir) / f"legacy-{uuid.uuid4().hex[:12]}")
    link = out_dir.with_name(f".{out_dir.name}.link-{os.getpid()}")
    link.unlink(missing_ok=True)
    link.symlink_to(os.path.relpath(build, out_dir.parent), target_is_directory=True)
    os.replace(link, out_dir)
    for old in builds_dir(out_dir).iterdir():
        if old != build:
            shutil.rmtree(old, ignore_errors=True)


def live_root(out_dir: Path) -> Path | None:
    """The build directory the site currently serves, or None when there is no site yet."""
    return out_dir.resolve() if out_dir.is_dir() else None
