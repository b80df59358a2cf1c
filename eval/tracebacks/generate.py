"""Build the labelled traceback corpus by running faulty programs for real.

    .venv/bin/python -m eval.tracebacks.generate [-o eval/tracebacks/corpus.jsonl] [--runs 5]

Every bug runs several times, each in another fake home directory and project folder
(Linux /home/X and macOS /Users/X layouts under a temporary root) with other variable
names, values and line positions. Needs python3, node, javac/java; rustc and gcc
(AddressSanitizer) are used when present. Output: one event a line with a `label`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from eval.tracebacks import bugs

USERS = ["alice", "bob", "minji", "jdoe", "sato", "priya", "kwame"]
PROJECTS = ["homework3", "judge-sub-118", "nb_work", "capstone", "exercise_07", "kaggle-run"]
NAMES = ["data", "items", "cfg", "payload", "row", "values", "rec", "obj_in"]
VALUES = ["db_host", "port", "username", "timeout", "abc", "12x", "region", "token_ttl"]
OUT = Path(__file__).with_name("corpus.jsonl")


def _variant(rng: random.Random, root: Path) -> dict:
    user = rng.choice(USERS)
    home = root / ("home" if rng.random() < 0.6 else "Users") / user
    folder = home / rng.choice(PROJECTS) / rng.choice(["src", "app", "."])
    return {
        "v": rng.choice(NAMES),
        "x": rng.choice(VALUES),
        "n": rng.randint(3, 999),
        "pad": "\n" * rng.randint(0, 6),
        "home": str(home),
        "folder": folder,
    }


def _run(cmd: list[str], cwd: Path) -> str:
    env = dict(os.environ, RUST_BACKTRACE="1", NODE_OPTIONS="")
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120, env=env)
    return result.stderr


def _python(code: str, folder: Path) -> str:
    (folder / "main.py").write_text(code)
    return _run([sys.executable, "main.py"], folder)


def _node(code: str, folder: Path) -> str:
    (folder / "index.js").write_text(code)
    return _run(["node", str(folder / "index.js")], folder)


def _java(code: str, folder: Path) -> str:
    (folder / "App.java").write_text("public class App {\n" + code + "}\n")
    _run(["javac", "-g", "App.java"], folder)
    return _run(["java", "-cp", ".", "App"], folder)


def _rust(code: str, folder: Path) -> str:
    (folder / "main.rs").write_text(code)
    _run(["rustc", "-g", "-o", "prog", "main.rs"], folder)
    return _run([str(folder / "prog")], folder)


def _c(code: str, folder: Path) -> str:
    (folder / "prog.c").write_text(code)
    _run(["gcc", "-g", "-fsanitize=address", "-o", "prog", "prog.c"], folder)
    return _run([str(folder / "prog")], folder)


LANGUAGES = [
    ("python", bugs.PYTHON, _python, "python3"),
    ("javascript", bugs.NODE, _node, "node"),
    ("java", bugs.JAVA, _java, "javac"),
    ("rust", bugs.RUST, _rust, "rustc"),
    ("c", bugs.C, _c, "gcc"),
]


_MESSAGE_LINE = re.compile(r"^(?:Exception in thread|==\d+==ERROR|\w*(?:Error|Exception)\b.*:)")


def _message(stderr: str, language: str) -> str:
    """The one-line error message an SDK would send next to the stack."""
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    if language == "python":
        return lines[-1] if lines else ""
    if language == "rust":
        at = next((i for i, ln in enumerate(lines) if "panicked at" in ln), None)
        return lines[at + 1] if at is not None and at + 1 < len(lines) else ""
    return next((ln for ln in lines if _MESSAGE_LINE.match(ln)), lines[-1] if lines else "")


def generate(runs: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    events = []
    for language, programs, runner, tool in LANGUAGES:
        if not shutil.which(tool):
            print(f"skipping {language}: {tool} not found", file=sys.stderr)
            continue
        for label, template in programs.items():
            for run in range(runs):
                with tempfile.TemporaryDirectory() as tmp:
                    var = _variant(rng, Path(tmp))
                    folder = var.pop("folder")
                    folder.mkdir(parents=True)
                    stderr = runner(template.format(**var), folder).replace(tmp, "")
                event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"errorhub/tracebacks/{label}/{run}"))
                events.append(
                    {
                        "event_id": event_id,
                        "language": language,
                        "label": label,
                        "message": _message(stderr, language) or "(no output)",
                        "stack_trace": stderr,
                    }
                )
    return events


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-o", "--output", type=Path, default=OUT)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    events = generate(args.runs)
    with args.output.open("w", encoding="utf-8") as f:
        for event in events:
            f.write(json.dumps(event, ensure_ascii=False) + "\n")
    print(f"wrote {len(events)} events to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
