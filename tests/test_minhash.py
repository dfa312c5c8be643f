"""Story matching's MinHash signature is datasketch's MinHash, bit for bit (datasketch is the oracle)."""

from __future__ import annotations

import random

import pytest

from monitor import dedupe

datasketch = pytest.importorskip("datasketch")


def _datasketch_signature(values: list[int]) -> list[int]:
    sig = datasketch.MinHash(
        num_perm=dedupe.NUM_PERM, seed=1, hashfunc=lambda v: v, scheme="affine32"
    )
    sig.update_batch(values)
    return [int(v) for v in sig.hashvalues.astype("<u4")]


@pytest.mark.parametrize("size", [1, 2, 7, 150, 2000])
def test_signature_equals_datasketch_minhash(size: int) -> None:
    rng = random.Random(size)
    values = [rng.randrange(1 << 32) for _ in range(size)] + [0, (1 << 32) - 1]
    assert dedupe.minhash_signature(values) == _datasketch_signature(values)


def test_signature_of_real_shingles_equals_datasketch_and_estimates_overlap() -> None:
    text = (
        "Officers from the county lines taskforce closed twelve deal lines and arrested thirty "
        "people during a week of action across the county, seizing cash, cannabis and cocaine. "
    )
    a = dedupe.shingles(text * 3)
    b = dedupe.shingles(text * 3 + "Two vulnerable teenagers were safeguarded by officers.")
    assert dedupe.minhash_signature(a) == _datasketch_signature(sorted(a))
    sig_a, sig_b = dedupe.minhash_signature(a), dedupe.minhash_signature(b)
    same = sum(x == y for x, y in zip(sig_a, sig_b, strict=True)) / dedupe.NUM_PERM
    assert same > 0.5  # most of b's shingles are a's
    assert dedupe.minhash_signature(set()) == []
