"""Batch template mining: align token sequences and find which positions are variables.

Logs of one template have the same length after normalisation, and their constant words
share one frequency: the number of logs of that template (Brain, Yu et al. 2023). Per
length group, each log's constant part is the largest set of its words that share a
frequency; logs with the same constant part form a group. Inside a group, a column with
few distinct values and one dominant value is split off as a constant (a sub-template);
any other column is a variable.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from pipelines.engine.text import VAR, is_variable

Template = tuple[str, ...]


@dataclass(frozen=True)
class MinerConfig:
    # A variable column has more distinct values than this, or no dominant one.
    max_constant_values: int = 3


def _is_word(token: str) -> bool:
    return any(c.isalnum() for c in token) and not is_variable(token)


def _constant_key(tokens: Sequence[str], freq: Counter) -> Template:
    # Punctuation is structure, not evidence: only words vote for the pattern frequency.
    counts = [freq[(i, t)] for i, t in enumerate(tokens) if _is_word(t)]
    if not counts:
        return tuple(tokens)
    by_freq = Counter(counts)
    # The frequency shared by most words; on a tie the higher one (more logs share it).
    pattern_freq = max(by_freq, key=lambda f: (by_freq[f], f))
    return tuple(
        VAR if is_variable(t) or (_is_word(t) and freq[(i, t)] < pattern_freq) else t
        for i, t in enumerate(tokens)
    )


def _split_column(template: list[str], members: list[Sequence[str]], cfg: MinerConfig):
    """The open column whose few values look like constants of sub-templates, if any."""
    best = None
    for pos, tok in enumerate(template):
        if tok != VAR:
            continue
        values = Counter(m[pos] for m in members)
        if len(values) == 1:
            template[pos] = next(iter(values))
        elif (
            len(values) <= cfg.max_constant_values
            and not any(map(is_variable, values))
            and (best is None or len(values) < best[1])
        ):
            best = (pos, len(values))
    return None if best is None else best[0]


def _refine(key: Template, members: list[Sequence[str]], cfg: MinerConfig) -> list[Template]:
    """Templates for the members of one constant-part group, in member order."""
    template = list(key)
    pos = _split_column(template, members, cfg)
    if pos is None:
        return [tuple(template)] * len(members)
    result: list[Template] = [()] * len(members)
    parts: dict[str, list[int]] = defaultdict(list)
    for i, m in enumerate(members):
        parts[m[pos]].append(i)
    for value, indices in parts.items():
        sub_key = list(template)
        sub_key[pos] = value
        sub = _refine(tuple(sub_key), [members[i] for i in indices], cfg)
        for i, t in zip(indices, sub, strict=True):
            result[i] = t
    return result


def mine(token_lists: Sequence[Sequence[str]], cfg: MinerConfig | None = None) -> list[Template]:
    """One template per input token list; equal templates mean one group."""
    cfg = cfg or MinerConfig()
    by_length: dict[int, list[int]] = defaultdict(list)
    for idx, tokens in enumerate(token_lists):
        by_length[len(tokens)].append(idx)
    result: list[Template] = [()] * len(token_lists)
    for indices in by_length.values():
        freq: Counter = Counter()
        for idx in indices:
            freq.update((i, t) for i, t in enumerate(token_lists[idx]))
        groups: dict[Template, list[int]] = defaultdict(list)
        for idx in indices:
            groups[_constant_key(token_lists[idx], freq)].append(idx)
        for key, members in groups.items():
            templates = _refine(key, [token_lists[i] for i in members], cfg)
            for idx, template in zip(members, templates, strict=True):
                result[idx] = template
    return result
