"""The disk spool: durable, ordered, survives restarts, one owner per folder."""

from __future__ import annotations

import pytest

from ingest.spool import Spool, SpoolLocked
from ingest.wire import Message


def msg(n: int) -> Message:
    return Message("topic", f"k{n}", f'{{"n":{n}}}', (("eh-type", "event"),))


def test_read_commit_in_order_across_segments(tmp_path):
    spool = Spool(tmp_path, segment_bytes=200)  # tiny segments: several files
    spool.append([msg(n) for n in range(10)])
    spool.append([msg(n) for n in range(10, 25)])
    assert spool.depth == 25
    seen = []
    while batch := spool.read(4):
        seen += [m.key for m, _ in batch]
        spool.commit(batch[-1][1], len(batch))
    assert seen == [f"k{n}" for n in range(25)]
    assert spool.depth == 0
    assert list(tmp_path.glob("*.jsonl")) == []  # replayed segments are deleted


def test_pending_messages_survive_a_restart(tmp_path):
    spool = Spool(tmp_path)
    spool.append([msg(n) for n in range(5)])
    first = spool.read(2)
    spool.commit(first[-1][1], 2)
    spool.close()

    reopened = Spool(tmp_path)
    assert reopened.depth == 3
    assert [m.key for m, _ in reopened.read(10)] == ["k2", "k3", "k4"]
    assert reopened.read(1)[0][0] == msg(2)


def test_a_torn_last_line_is_dropped_on_open(tmp_path):
    spool = Spool(tmp_path)
    spool.append([msg(1)])
    spool.close()
    segment = next(tmp_path.glob("*.jsonl"))
    with segment.open("ab") as f:
        f.write(b'{"t":"topic","k":"half')  # a crash mid-append: never acknowledged
    reopened = Spool(tmp_path)
    reopened.append([msg(2)])
    assert [m.key for m, _ in reopened.read(10)] == ["k1", "k2"]


def test_one_process_owns_a_spool_folder(tmp_path):
    owner = Spool(tmp_path)
    with pytest.raises(SpoolLocked):
        Spool(tmp_path)
    owner.close()
    Spool(tmp_path).close()  # free again once the owner closed it


def test_appends_after_a_full_drain_start_a_new_segment(tmp_path):
    spool = Spool(tmp_path)
    spool.append([msg(1)])
    batch = spool.read(10)
    spool.commit(batch[-1][1], 1)
    spool.append([msg(2)])
    assert [m.key for m, _ in spool.read(10)] == ["k2"]
    assert spool.depth == 1
