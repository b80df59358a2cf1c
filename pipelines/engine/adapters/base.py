"""What every language adapter produces, and helpers they share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Digits glued to generated names: lambda$main$0, Foo$1, ::h3f2a9c1d0e4b5a6f, <lambda>_12.
_GENERATED_SUFFIX = re.compile(r"(\$\d+|::h[0-9a-f]{16}|\{closure#\d+\}|#\d+)")


@dataclass(frozen=True)
class Frame:
    function: str
    module: str = ""
    file: str = ""
    line: int | None = None
    in_app: bool = True

    def normalized(self) -> str:
        """Path- and line-free identity of the frame: `module:function`."""
        function = _GENERATED_SUFFIX.sub("", self.function)
        return f"{self.module}:{function}" if self.module else function


@dataclass
class ParsedTrace:
    language: str
    frames: list[Frame] = field(default_factory=list)  # innermost (crash site) first
    error_type: str = ""
    message: str = ""


def file_stem(path: str) -> str:
    """`/home/x/proj/app/util.py` -> `util`; the folders are where users differ."""
    name = re.split(r"[\\/]", path.strip())[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


def last_match_line(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    match = None
    for match in pattern.finditer(text):  # noqa: B007 - the last match is the result
        pass
    return match
