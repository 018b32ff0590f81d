"""Result cache of the language adapter: an in-memory LRU, optionally backed by a JSON file.

Keys are SHA-256 digests of the JSON of ``(backend name, capability, mode, input, parameters)``; values are JSON
data (strings, numbers, lists). The file, when given, is read once at construction and rewritten atomically
(:func:`panguvision.utils.checkpoint.atomic_write_bytes`) after every insertion, so a crash never leaves it
truncated. It is meant for small, repeated workloads (prompt sets of a config, captions of a test set).
"""
import hashlib
import json
import os
import os.path as osp
from collections import OrderedDict
from typing import Any, Optional

from panguvision.utils.checkpoint import atomic_write_bytes

_MISSING = object()


def make_key(*parts: Any) -> str:
    """A stable digest of JSON-serialisable ``parts`` (dict keys sorted)."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(',', ':'))
    return hashlib.sha256(blob.encode('utf-8')).hexdigest()


class ResultCache:
    """LRU cache of JSON values with an optional on-disk copy.

    Args:
        max_items: entries kept in memory (least recently used evicted first); 0 disables the memory cache.
        path: optional JSON file; entries found there are served (and promoted into memory), new ones are added.

    Attributes:
        hits, misses: lookup counters.
    """

    def __init__(self, max_items: int = 1024, path: Optional[str] = None):
        if max_items < 0:
            raise ValueError(f'ResultCache: max_items must be >= 0, got {max_items}')
        self.max_items = max_items
        self.path = os.fspath(path) if path is not None else None
        self._memory: 'OrderedDict[str, Any]' = OrderedDict()
        self._disk = self._read(self.path) if self.path is not None else None
        self.hits = 0
        self.misses = 0

    @staticmethod
    def _read(path: str) -> dict:
        if not osp.exists(path):
            return {}
        try:
            with open(path, encoding='utf-8') as f:
                data = json.load(f)
        except json.JSONDecodeError as err:
            raise ValueError(f'{path}:{err.lineno}: language cache file is not valid JSON ({err.msg}); expected an '
                             f'object {{"version": 1, "entries": {{key: value}}}}. Delete it to start afresh.') from err
        if not isinstance(data, dict) or data.get('version') != 1 or not isinstance(data.get('entries'), dict):
            raise ValueError(f'{path}: language cache file must be an object {{"version": 1, "entries": {{...}}}}')
        return data['entries']

    def get(self, key: str, default: Any = None) -> Any:
        value = self._memory.get(key, _MISSING)
        if value is _MISSING and self._disk is not None:
            value = self._disk.get(key, _MISSING)
            if value is not _MISSING:
                self._remember(key, value)
        if value is _MISSING:
            self.misses += 1
            return default
        if key in self._memory:
            self._memory.move_to_end(key)
        self.hits += 1
        return value

    def __contains__(self, key: str) -> bool:
        return key in self._memory or (self._disk is not None and key in self._disk)

    def put(self, key: str, value: Any) -> None:
        self._remember(key, value)
        if self._disk is not None:
            self._disk[key] = value
            self.flush()

    def _remember(self, key: str, value: Any) -> None:
        if self.max_items == 0:
            return
        self._memory[key] = value
        self._memory.move_to_end(key)
        while len(self._memory) > self.max_items:
            self._memory.popitem(last=False)

    def flush(self) -> None:
        """Write the on-disk entries (no-op without a path)."""
        if self.path is None:
            return
        blob = json.dumps(dict(version=1, entries=self._disk), ensure_ascii=False, sort_keys=True)
        atomic_write_bytes(blob.encode('utf-8'), self.path)

    def clear(self) -> None:
        """Forget the in-memory entries (the file, if any, is kept)."""
        self._memory.clear()

    def __len__(self) -> int:
        return len(self._memory)
