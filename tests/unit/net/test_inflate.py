"""Decoding a body never produces much more than the allowance, whatever the ratio."""

from __future__ import annotations

import gzip
import zlib

import pytest

from bot.net.inflate import UnknownEncodingError, decoder_for

BOMB = gzip.compress(b"\0" * 50_000_000)  # 50 MB of zeros in about 50 KB


def test_gzip_bomb_stops_one_byte_past_allowance() -> None:
    decoded = decoder_for("gzip").decode(BOMB, 1000)
    assert len(decoded) == 1001


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        # mtime fixed: the body is in the test's id, which must not change with the clock.
        ("gzip", gzip.compress(b"hello", mtime=0)),
        ("deflate", zlib.compress(b"hello")),
        ("deflate", zlib.compress(b"hello")[2:-4]),  # raw deflate, as some servers send
        ("identity", b"hello"),
        (None, b"hello"),
    ],
)
def test_body_decoded_when_encoding_known(encoding: str | None, body: bytes) -> None:
    assert decoder_for(encoding).decode(body, 100) == b"hello"


def test_unknown_encoding_refused() -> None:
    with pytest.raises(UnknownEncodingError):
        decoder_for("br")
