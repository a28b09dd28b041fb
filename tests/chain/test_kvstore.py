"""SQLiteKV: py-evm's key-value interface, durable only at commit."""

from __future__ import annotations

from pathlib import Path

import pytest

from mycelix.chain.kvstore import SQLiteKV


def test_writes_are_visible_at_once_and_durable_only_after_commit(tmp_path: Path) -> None:
    path = tmp_path / "kv.sqlite3"
    store = SQLiteKV(path)
    store[b"committed"] = b"1"
    store.set(b"gone", b"x")
    store.commit({"head": "a"})
    store[b"uncommitted"] = b"2"
    store.delete(b"gone")
    assert store[b"uncommitted"] == b"2"
    assert not store.exists(b"gone")
    assert store.pending_writes == 2
    store.close()

    reopened = SQLiteKV(path)
    assert reopened[b"committed"] == b"1"
    assert reopened[b"gone"] == b"x"
    assert b"uncommitted" not in reopened
    assert reopened.get_meta("head") == "a"
    assert reopened.get_meta("missing") is None

    reopened.delete(b"gone")
    reopened.commit()
    reopened.close()
    final = SQLiteKV(path)
    assert b"gone" not in final
    final.close()


def test_atomic_batch_applies_all_or_nothing(tmp_path: Path) -> None:
    store = SQLiteKV(tmp_path / "kv.sqlite3")
    with store.atomic_batch() as batch:
        batch[b"a"] = b"1"
        assert batch[b"a"] == b"1"
        assert b"a" not in store
    assert store[b"a"] == b"1"

    with pytest.raises(RuntimeError, match="abandon the batch"), store.atomic_batch() as batch:
        batch[b"b"] = b"2"
        raise RuntimeError("abandon the batch")
    assert b"b" not in store

    with pytest.raises(KeyError, match="never-written"):
        del store[b"never-written"]
    store.close()


def test_cached_values_follow_deletes_and_overwrites(tmp_path: Path) -> None:
    store = SQLiteKV(tmp_path / "kv.sqlite3", cache_entries=4)
    store[b"k"] = b"old"
    store.commit()
    assert store[b"k"] == b"old"  # now cached
    store[b"k"] = b"new"
    store.commit()
    assert store[b"k"] == b"new"
    del store[b"k"]
    store.commit()
    assert b"k" not in store
    with pytest.raises(KeyError, match="b'k'"):
        store[b"k"]
    store.close()
