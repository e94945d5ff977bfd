"""The generators write exactly what the original ``lookup/demo.py`` wrote, byte for byte.

The hashes below were recorded with the original single-module generator (commit 82a5ed1,
DuckDB 2.0.1, numpy 2.4.6) by ``python -m bench.fingerprint``. A refactoring of
``lookup/demo/`` or ``bench/generators/`` must keep every random draw in the same order:
any change of a row, a ground-truth label or a payload fails this test. Parquet bytes name
the DuckDB version that wrote them, so with another DuckDB version only the content hashes
(rows as read back) and the ground truth are compared.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from bench.fingerprint import CASES, fingerprints

pytestmark = pytest.mark.slow

RECORDED_DUCKDB = "2.0.1"

EXPECTED: dict[str, dict[str, str]] = {
    "payloads": {
        "files": "b73e552a56a747a6f12f545313e9efe957090bf4e8216284c187171ae9c5be95",
        "content": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "truth": "80b7cf0d10650301ccdc835d0a15f9005542ff6101c7516aee1f2c44989c77a4",
    },
    "demo-default": {
        "files": "9f94a4ea5690b334a2ae0363d1b5ab4a082822d69008aa31dd49f3342e71817c",
        "content": "ba99fb7af2281230de960d8abec3ac6e80762e4a968d9d9b3028b298d463f5aa",
        "truth": "8ed02a74f4beba136872f57b087bc536821e38e804a2cd0bc40b957261d43f00",
    },
    "demo-small": {
        "files": "fa02dfc5e6cdc81a387d7cc4371c68e33461224589ff7f60f9d830addbcb8c4b",
        "content": "d5ea62d3ea660bd29e55ce36da807f98808eaad9eff37c772115d759017182e6",
        "truth": "128508a1cf8b91e287083e7af89774087e0b62e4e0634e2c0ee9011a891fad01",
    },
    "custom-tables": {
        "files": "90d9a262bd22a9717fe9ef5dea9f1e790edee1b67e905abcc65bb2e1dfc70b86",
        "content": "f56573d9b3dadcd972ed2282b13aec67d95acbb6db74ebdbabe84a5c43591e43",
        "truth": "0b6875f3b4dc700dbe4d15072f0aa0849e156f42001294cf86fd1a3bffaffe3e",
    },
    "grown": {
        "files": "1dbab8d0762aae4b9ebae5dad546855cf557f32446efce2e2291fd8e63664a91",
        "content": "4aeb39d4c04e96450724fe0bbde70237ab39e00b1afd0845239a58075486bbb1",
        "truth": "40dce1ddd091bc3d701c752ec190af533c69249799cb5cdcea2fb5a6c84bb0cf",
    },
    "detection-mini": {
        "files": "512044cfb04dcfee1c5acd1ed7a406f6ea00486c0ce91be7688650776e36e7ae",
        "content": "449d6c54f95d0b3f307982fc554c5abfef5f415de020b009f09579e029f09280",
        "truth": "e9054f72ebd6dfaca6cc96d909f1071822a10c387c0aed21aabf77c407f0e75f",
    },
    "detection-quick": {
        "files": "6cc062594b9be1a25780c8290fa413d1934c07dd041420984e162aa6256dd166",
        "content": "2ba94093a6587e68436893eaee7f589d09c48fb74a5e561aed6757b4389a11f3",
        "truth": "8d698e8668a59985099146be33e1548789a3a9705bc633cbbd11473799f38646",
    },
    "detection-tuesday": {
        "files": "e68f4d01f9ab67cb0d2d2d85d6cd395629cceffd1290c1e9642656460cb6f781",
        "content": "95d982749c174b9fc204a23c9e2bebf2b5ea39e9326267acfb8103dcfad643d6",
        "truth": "a886e702cf237482a7df6c644150da03c5bcaf4ded8c043d76196233b1c76b34",
    },
    "detection-full": {
        "files": "1cebe6601fc343cc87ae056b068e1b1aafba8addb68791c7128992c75e813aae",
        "content": "908597cb487a23eb7e01636445400f5e6c9c8bc3fed640bf8a876711140441f6",
        "truth": "221ec966a4ee015db82f9c1f6fd1e9a8bf90ebf12239fdb29a2491c30577138b",
    },
}


def test_every_case_has_a_recorded_hash() -> None:
    assert set(CASES) == set(EXPECTED)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_generated_data_is_unchanged(name: str, tmp_path: Path) -> None:
    got = fingerprints(tmp_path, [name])[name]
    expected = dict(EXPECTED[name])
    if duckdb.__version__ != RECORDED_DUCKDB:
        del got["files"], expected["files"]
    assert got == expected
