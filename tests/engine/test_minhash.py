"""The vectorised signature equals datasketch's MinHash on the same shingles."""

import numpy as np
from datasketch import MinHash

from pipelines.engine.minhash import jaccard, shingle_hash, shingles, signature, signatures

TEXTS = [
    "KeyError\n'<*>'\nconfig:load_config\nmain:main",
    "Failed password for <*> from <*> port <*> ssh2",
    "x",
    "",
]


def _datasketch(text: str) -> MinHash:
    m = MinHash(num_perm=128, seed=1, hashfunc=shingle_hash)
    m.update_batch(shingles(text))
    return m


def test_signature_equals_datasketch():
    batch = signatures(TEXTS)
    for text, row in zip(TEXTS, batch, strict=True):
        assert np.array_equal(_datasketch(text).hashvalues, row)


def test_jaccard_estimate_matches_datasketch():
    a = "Failed password for <*> from <*> port <*> ssh2"
    b = "Failed password for invalid user <*> from <*> port <*> ssh2"
    assert jaccard(signature(a), signature(b)) == _datasketch(a).jaccard(_datasketch(b))
    assert 0.3 < jaccard(signature(a), signature(b)) < 0.8


def test_batch_equals_single():
    assert [signature(t) for t in TEXTS] == signatures(TEXTS).tolist()
