"""The silence timer: one entry per store, the earliest note wins, and a tick reads only what is due."""

from __future__ import annotations

from streams.silences.watch import SilenceWatch


def test_a_store_is_due_once_at_its_earliest_note() -> None:
    watch = SilenceWatch()
    watch.note(b"a", 50)
    watch.note(b"a", 70)  # a later ping: the earlier entry stays, and is looked at again then
    watch.note(b"b", 60)
    watch.note(b"b", 40)  # earlier: it replaces the standing one
    assert len(watch) == 2
    assert watch.pop_due(39) == []
    assert watch.pop_due(50) == [b"b", b"a"]
    assert watch.pop_due(1_000) == [] and len(watch) == 0  # b's superseded entry is dropped


def test_clearing_forgets_every_store() -> None:
    watch = SilenceWatch()
    for n in range(1_000):
        watch.note(str(n).encode(), n)
    watch.clear()
    assert watch.pop_due(10_000) == [] and len(watch) == 0
