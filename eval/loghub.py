"""Loghub-2k Grouping Accuracy of `errorhub cluster`, through the shared scorer.

    .venv/bin/python -m eval.loghub [DATA_DIR]

Runs ../shared/eval/loghub_ga.py (or $LOGHUB_SCORER) with the installed `errorhub`
console script on every *.csv in DATA_DIR (default ../shared/data/loghub2k, beside the repo).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SCORER = Path(os.environ.get("LOGHUB_SCORER", SHARED / "eval" / "loghub_ga.py"))
DATA = SHARED / "data" / "loghub2k"


def main() -> int:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA
    errorhub = ROOT / ".venv" / "bin" / "errorhub"
    cmd = f"{errorhub} cluster {{input}} -o {{output}}"
    csvs = sorted(str(p) for p in data.glob("*.csv"))
    return subprocess.call([sys.executable, str(SCORER), "--cmd", cmd, *csvs])


if __name__ == "__main__":
    sys.exit(main())
