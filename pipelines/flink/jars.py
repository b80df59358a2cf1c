"""The Flink Kafka connector jars, taken out of a PyPI wheel (stdlib only: the main env calls it too).

`apache-flink-libraries` has no Kafka connector and Maven is out of reach here. The PyPI wheel
`shigawire-apache-flink-libraries==2.0.0.post1` carries `flink-connector-kafka` 4.0.1-2.0 and
`kafka-clients` 3.9.1. That wheel must never be *installed* into an environment (it overwrites
PyFlink's core jars): `ensure_jars` fetches it with an ordinary PyPI client into a scratch folder,
copies out just the two jars, checks them and records what it did in a manifest.

Idempotent: when the manifest and the jars match, nothing is fetched. An operator who keeps the
wheel (or the two jars) elsewhere points `ERRORHUB_FLINK_CONNECTOR_WHEEL` at the wheel file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL_REQUIREMENT = "shigawire-apache-flink-libraries==2.0.0.post1"
# Member of the wheel -> file name we keep.
JARS = {
    "pyflink/lib/flink-connector-kafka.jar": "flink-connector-kafka-4.0.1-2.0.jar",
    "pyflink/lib/kafka-clients.jar": "kafka-clients-3.9.1.jar",
}
MANIFEST = "manifest.json"
WHEEL_ENV = "ERRORHUB_FLINK_CONNECTOR_WHEEL"


class JarError(RuntimeError):
    """The connector jars could not be provided; the message says what was tried."""


def jars_dir(home: Path) -> Path:
    return Path(home) / "flink" / "jars"


def ensure_jars(home: Path) -> list[Path]:
    """Make sure the Kafka connector jars are in `home/flink/jars`; return their paths."""
    target = jars_dir(home)
    present = _verified(target)
    if present is not None:
        return present
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="errorhub-jars-") as scratch:
        wheel_or_tree = _fetch(Path(scratch))
        digests = _extract(wheel_or_tree, target)
    (target / MANIFEST).write_text(
        json.dumps({"source": WHEEL_REQUIREMENT, "jars": digests}, indent=2) + "\n"
    )
    present = _verified(target)
    if present is None:  # pragma: no cover - would mean the disk lies to us
        raise JarError(f"connector jars written to {target} but do not verify")
    return present


def _verified(target: Path) -> list[Path] | None:
    try:
        manifest = json.loads((target / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    paths = []
    for name in JARS.values():
        path = target / name
        expected = manifest.get("jars", {}).get(name)
        if not path.is_file() or expected is None or _sha256(path) != expected:
            return None
        paths.append(path)
    return paths


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch(scratch: Path) -> Path:
    """The wheel file, or a folder the wheel was unpacked into. Tries each client in turn."""
    given = os.environ.get(WHEEL_ENV)
    if given:
        path = Path(given)
        if not path.is_file():
            raise JarError(f"{WHEEL_ENV}={given} is not a file")
        return path
    attempts: list[tuple[list[str], Path]] = []
    for python in _pythons():
        attempts.append(
            (
                [
                    python,
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "--only-binary=:all:",
                    WHEEL_REQUIREMENT,
                    "-d",
                    str(scratch / "pip"),
                ],
                scratch / "pip",
            )
        )
    uv = shutil.which("uv")
    if uv:
        # uv has no `pip download`: unpack into a throwaway --target folder (never a venv).
        attempts.append(
            (
                [uv, "pip", "install", "--no-deps", "--target", str(scratch / "uv"), WHEEL_REQUIREMENT],
                scratch / "uv",
            )
        )
    failures = []
    for command, out in attempts:
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as error:
            failures.append(f"$ {' '.join(command)}\n  {error}")
            continue
        if result.returncode == 0:
            wheels = sorted(out.glob("*.whl"))
            if wheels:
                return wheels[0]
            if (out / "pyflink" / "lib").is_dir():
                return out
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        failures.append(f"$ {' '.join(command)}\n  exit {result.returncode}: " + " | ".join(tail))
    raise JarError(
        f"could not fetch {WHEEL_REQUIREMENT} from PyPI (needed for the Flink Kafka connector).\n"
        + "\n".join(failures)
        + f"\nDownload the wheel by hand and set {WHEEL_ENV}=/path/to/the.whl."
    )


def _pythons() -> list[str]:
    found = []
    for candidate in (sys.executable, shutil.which("python3"), shutil.which("python")):
        if not candidate or candidate in found:
            continue
        probe = subprocess.run([candidate, "-m", "pip", "--version"], capture_output=True)
        if probe.returncode == 0:
            found.append(candidate)
    return found


def _extract(source: Path, target: Path) -> dict[str, str]:
    digests = {}
    for member, name in JARS.items():
        tmp = target / (name + ".part")
        if source.is_dir():
            origin = source / member
            if not origin.is_file():
                raise JarError(f"{member} missing from the unpacked {WHEEL_REQUIREMENT}")
            shutil.copyfile(origin, tmp)
        else:
            try:
                with zipfile.ZipFile(source) as wheel, wheel.open(member) as src, tmp.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
            except (KeyError, zipfile.BadZipFile) as error:
                raise JarError(f"{source} is not the expected wheel: {error}") from error
        try:
            zipfile.ZipFile(tmp).close()  # a jar is a zip: catch truncated copies now
        except zipfile.BadZipFile as error:
            raise JarError(f"{name} extracted from {source} is not a valid jar") from error
        tmp.replace(target / name)
        digests[name] = _sha256(target / name)
    return digests


def main() -> None:
    home = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    if home is None:
        from errorhub.settings import get_settings

        home = get_settings().home
    for path in ensure_jars(home):
        print(path)


if __name__ == "__main__":
    main()
