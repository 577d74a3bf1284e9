"""ExpiringMap: entries vanish when their time runs out, and the map stays bounded."""

from __future__ import annotations

from bot.expiring import NEVER, ExpiringMap


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_entry_is_returned_before_it_expires() -> None:
    clock = Clock()
    entries: ExpiringMap[str, int] = ExpiringMap(clock)
    entries.set("a", 1, expires_at=10)
    clock.now = 9.9
    assert entries.get("a") == 1


def test_entry_is_gone_once_it_expires() -> None:
    clock = Clock()
    entries: ExpiringMap[str, int] = ExpiringMap(clock)
    entries.set("a", 1, expires_at=10)
    clock.now = 10
    assert (entries.get("a"), len(entries)) == (None, 0)


def test_entry_without_expiry_stays() -> None:
    clock = Clock()
    entries: ExpiringMap[str, int] = ExpiringMap(clock)
    entries.set("a", 1, expires_at=NEVER)
    clock.now = 1e12
    assert (entries.prune(), entries.get("a")) == (0, 1)


def test_prune_drops_only_expired_entries() -> None:
    clock = Clock()
    entries: ExpiringMap[int, int] = ExpiringMap(clock)
    for i in range(10):
        entries.set(i, i, expires_at=i + 0.5)
    clock.now = 5
    assert (entries.prune(), sorted(key for key, _ in entries.items())) == (5, [5, 6, 7, 8, 9])


def test_writes_alone_keep_the_map_bounded() -> None:
    """Without any prune call, 100 000 short-lived keys never pile up past twice the live ones."""
    clock = Clock()
    entries: ExpiringMap[int, int] = ExpiringMap(clock)
    most = 0
    for i in range(100_000):
        clock.now = i * 0.01  # 100 writes a second, each alive for 10 s: 1000 live at a time
        entries.set(i, i, expires_at=clock.now + 10)
        most = max(most, len(entries))
    assert most <= 2 * 1000 + 64
