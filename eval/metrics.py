"""Clustering scores against labels: pairwise precision / recall / F1 and Grouping Accuracy."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence


def _pairs(counts: Counter) -> int:
    return sum(n * (n - 1) // 2 for n in counts.values())


def pairwise(truth: Sequence[str], pred: Sequence[str]) -> tuple[float, float, float]:
    """Precision, recall, F1 over all pairs of items (a pair is positive when grouped together)."""
    both = _pairs(Counter(zip(truth, pred, strict=True)))
    predicted, actual = _pairs(Counter(pred)), _pairs(Counter(truth))
    precision = both / predicted if predicted else 1.0
    recall = both / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def grouping_accuracy(truth: Sequence[str], pred: Sequence[str]) -> float:
    """Share of items whose predicted group is exactly their true group (Zhu et al. 2019)."""
    true_groups, pred_groups = defaultdict(set), defaultdict(set)
    for i, (t, p) in enumerate(zip(truth, pred, strict=True)):
        true_groups[t].add(i)
        pred_groups[p].add(i)
    correct = sum(len(g) for g in pred_groups.values() if g == true_groups[truth[next(iter(g))]])
    return correct / len(truth) if truth else 1.0
