"""Content-Encoding decoding that never produces more than the caller still allows. Pure.

httpx's own decoders inflate each raw chunk whole, so one 64 KB chunk of a gzip bomb can
become hundreds of megabytes before any byte cap is checked. Here each step asks zlib for at
most the remaining allowance (`max_length`) and keeps the rest of the input in zlib's
`unconsumed_tail`, so memory stays at the cap whatever the compression ratio. Only the
encodings `net/http.py` asks for (gzip, deflate) and identity are understood.
"""

from __future__ import annotations

import zlib
from typing import Protocol

ACCEPT_ENCODING = "gzip, deflate"


class UnknownEncodingError(ValueError):
    """The answer names a Content-Encoding that was not asked for."""


class Decoder(Protocol):
    """Turns raw body chunks into decoded bytes, never inflating past `allowance` + 1 per call."""

    def decode(self, data: bytes, allowance: int) -> bytes:
        """Return the decoded bytes of `data`; more than `allowance` means "over the cap"."""
        ...


class _Identity:
    def decode(self, data: bytes, allowance: int) -> bytes:
        return data


class _Inflater:
    def __init__(self, wbits: int) -> None:
        self._zlib = zlib.decompressobj(wbits)
        # A "deflate" answer is meant to be zlib-wrapped, but some servers send raw deflate:
        # browsers and httpx accept both, so the raw form is tried when the wrapper is absent.
        self._raw_fallback = wbits == zlib.MAX_WBITS
        self._started = False

    def decode(self, data: bytes, allowance: int) -> bytes:
        try:
            return self._decode(data, allowance)
        except zlib.error:
            if not self._raw_fallback or self._started:
                raise
            self._zlib, self._raw_fallback = zlib.decompressobj(-zlib.MAX_WBITS), False
            return self._decode(data, allowance)

    def _decode(self, data: bytes, allowance: int) -> bytes:
        # Never ask for more than one byte past the allowance: the caller only needs to know
        # that the cap was passed, not by how much.
        out = bytearray(self._zlib.decompress(data, allowance + 1))
        self._started = True
        while self._zlib.unconsumed_tail and len(out) <= allowance:
            tail = self._zlib.unconsumed_tail
            out += self._zlib.decompress(tail, allowance + 1 - len(out))
        return bytes(out)


def decoder_for(content_encoding: str | None) -> Decoder:
    """Return the decoder for a Content-Encoding header value.

    Raises:
        UnknownEncodingError: an encoding (or a stack of them) that was not asked for.
    """
    name = (content_encoding or "identity").strip().lower()
    if name in ("", "identity"):
        return _Identity()
    if name in ("gzip", "x-gzip"):
        return _Inflater(16 + zlib.MAX_WBITS)
    if name == "deflate":
        return _Inflater(zlib.MAX_WBITS)
    raise UnknownEncodingError(name)
