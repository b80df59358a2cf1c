"""Fast necessary conditions ("guards") that let a regex pass be skipped without changing
its result.

Python's `re` finds a pattern that starts with a literal character with a fast string
search, but tries a pattern that starts with `\\b`, a lookbehind or a repeated class at
every position of the text. Masking and canonicalisation patterns are mostly of the
second kind, so each pass is guarded by substring tests or small literal-first regexes
that every match of the pass must contain; a pass whose guard fails would find nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

HEX = "[0-9a-fA-F]"


# Below this length one combined search is cheaper (fewer calls); above, one search per
# literal-first pattern is (a combined pattern starts with a class of first characters,
# tried one character at a time).
SHORT_TEXT = 200


def found(*patterns: str) -> Callable[[str], bool]:
    """True when one of the patterns occurs in the text."""
    searches = tuple(re.compile(p).search for p in patterns)
    if len(searches) == 1:
        search = searches[0]
        return lambda text: search(text) is not None
    combined = re.compile("|".join(f"(?:{p})" for p in patterns)).search

    def any_found(text: str) -> bool:
        if len(text) < SHORT_TEXT:
            return combined(text) is not None
        return any(search(text) is not None for search in searches)

    return any_found


def ipv6_candidates(not_glued: str) -> Callable[[str], bool]:
    """Guard for IPv6 patterns: the full form's 6 inner groups between colons, or a
    compressed form's hex group right before `::` whose preceding character is in
    `not_glued` (or the text start), so `std::io` is no candidate. The lookbehinds follow
    the literal `::`, which is what makes the search fast."""
    gap = "|".join(rf"(?<={not_glued}{HEX}{{{n}}}::)|(?<=^{HEX}{{{n}}}::)" for n in range(1, 5))
    return found(":" + ":".join([HEX + "{1,4}"] * 6) + ":", f"::(?:{gap})")
