"""The bot's state as tables of documents in memory, and the sink that makes changes durable.

Every repository reads and changes its tables here. A change replaces a whole document
(documents are never changed in place, so a sink may keep references to them) and is handed
to the sink as one unit with the others made in the same :meth:`Documents.unit`: written
whole or not at all. A unit the sink refuses is undone in memory too, and the repositories'
own indexes are rebuilt (see :meth:`Documents.on_undo`).

Sinks: :class:`MemorySink` (tests: nothing leaves the process), the TinyDB files
(:mod:`bot.adapters.storage.tinydb_files`) and PostgreSQL.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Change", "Doc", "DocumentSink", "Documents", "MemorySink", "Tables"]

Doc = dict[str, Any]
Tables = dict[str, dict[int, Doc]]  # table name -> document id -> document


@dataclass(frozen=True, slots=True)
class Change:
    """A document's new content, or None: it was removed."""

    table: str
    doc_id: int
    doc: Doc | None


class DocumentSink(Protocol):
    """Where the documents are kept between runs."""

    def load(self) -> Tables:
        """Every table, as the last run left it. The caller keeps the dictionaries as its
        working copy and changes them only as the changes it writes say (so a sink may
        serialize them later)."""
        ...

    def write(self, changes: Sequence[Change]) -> None:
        """Make *changes* one unit: after a crash all of them hold or none. Raises
        :class:`~bot.service.ports.StorageFailure` if they cannot be kept; returns without
        waiting for the disk or the server (see :meth:`durable`)."""
        ...

    async def durable(self) -> None:
        """Return once every unit written before the call survives a crash of the machine
        (concurrent callers share one flush). Raises StorageFailure if that cannot be."""
        ...

    async def recorded(self) -> None:
        """Return once every unit written before the call outlives this process."""
        ...

    def close(self) -> None: ...

    async def aclose(self) -> None:
        """Close from inside the event loop, once what is written is kept."""
        ...


class MemorySink:
    """Keeps nothing outside the process: for tests and for fakes. A second
    :class:`Documents` over the same sink sees what the first wrote (a restart)."""

    def __init__(self, tables: Tables | None = None) -> None:
        self._tables: Tables = tables if tables is not None else {}

    def load(self) -> Tables:
        return self._tables

    def write(self, changes: Sequence[Change]) -> None:
        return None

    async def durable(self) -> None:
        return None

    async def recorded(self) -> None:
        return None

    def close(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


class Documents:
    """Tables of documents, changed in units that the sink keeps."""

    def __init__(self, sink: DocumentSink) -> None:
        self.sink = sink
        self._tables = sink.load()
        _share_short_strings(self._tables)
        self._next_id = {name: max(table, default=0) + 1 for name, table in self._tables.items()}
        self._depth = 0
        # Inside a unit: what each touched document was before it (None: absent), in order.
        self._before: dict[tuple[str, int], Doc | None] = {}
        self._undo_listeners: list[Callable[[], None]] = []
        # Documents changed by kept units the sink refused: written with the next unit.
        self._unwritten: dict[tuple[str, int], None] = {}

    # --- reading --------------------------------------------------------------------------

    def table(self, name: str) -> Mapping[int, Doc]:
        """The documents of table *name* by id (read only: change them through this class)."""
        return self._tables.setdefault(name, {})

    def get(self, name: str, doc_id: int) -> Doc | None:
        return self.table(name).get(doc_id)

    # --- changing -------------------------------------------------------------------------

    def insert(self, name: str, doc: Doc) -> int:
        """Add *doc* under a new id, which is returned."""
        self.table(name)
        doc_id = self._next_id.get(name, 1)
        self._next_id[name] = doc_id + 1
        self.put(name, doc_id, doc)
        return doc_id

    def put(self, name: str, doc_id: int, doc: Doc) -> None:
        self._change(name, doc_id, doc)

    def update(self, name: str, doc_id: int, fields: Mapping[str, Any]) -> Doc | None:
        """Set *fields* of a document (a new document replaces the old); None if it is absent."""
        old = self.get(name, doc_id)
        if old is None:
            return None
        new = {**old, **fields}
        self._change(name, doc_id, new)
        return new

    def remove(self, name: str, doc_id: int) -> None:
        if doc_id in self.table(name):
            self._change(name, doc_id, None)

    def on_undo(self, listener: Callable[[], None]) -> None:
        """Call *listener* after a refused unit was undone (to rebuild an index)."""
        self._undo_listeners.append(listener)

    @contextlib.contextmanager
    def unit(self, *, keep: bool = False) -> Iterator[None]:
        """Make the changes inside the block one unit for the sink. If the block raises, or
        the sink refuses the unit, every change is undone; units nest (the outermost writes).

        *keep*: a unit the sink refuses stays made in memory (what became of a message that
        was sent: undone, it would be sent again); it is written with the next unit the sink
        takes, and the sink's error is raised all the same."""
        self._depth += 1
        try:
            yield
        except BaseException:
            if self._depth == 1:
                self._undo()
            self._depth -= 1
            raise
        self._depth -= 1
        if self._depth == 0 and self._before:
            touched = list(self._before)
            try:
                self._write([*self._unwritten, *(t for t in touched if t not in self._unwritten)])
            except BaseException:
                if keep:
                    self._unwritten.update(dict.fromkeys(touched))
                    self._before = {}
                else:
                    self._undo()
                raise
            self._unwritten = {}
            self._before = {}

    def flush(self) -> None:
        """Write the changes of kept units the sink refused (see :meth:`unit`), if any;
        raises the sink's error if it refuses them again."""
        if self._unwritten and self._depth == 0:
            self._write(list(self._unwritten))
            self._unwritten = {}

    def _write(self, touched: list[tuple[str, int]]) -> None:
        tables = self._tables
        self.sink.write([Change(name, doc_id, tables[name].get(doc_id)) for name, doc_id in touched])

    def _change(self, name: str, doc_id: int, doc: Doc | None) -> None:
        with self.unit():
            table = self._tables.setdefault(name, {})
            self._before.setdefault((name, doc_id), table.get(doc_id))
            if doc is None:
                del table[doc_id]
            else:
                table[doc_id] = doc
                if doc_id >= self._next_id.get(name, 1):
                    self._next_id[name] = doc_id + 1

    def _undo(self) -> None:
        for (name, doc_id), old in reversed(list(self._before.items())):
            table = self._tables[name]
            if old is None:
                table.pop(doc_id, None)
            else:
                table[doc_id] = old
        self._before = {}
        for listener in self._undo_listeners:
            listener()


SHORT = 12  # characters: a chat's type, a setting, an outcome, a time of day


def _share_short_strings(tables: Tables) -> None:
    """Make equal short strings of the documents (and of the mappings they hold) one object.

    The same few values repeat across every chat's document, and a JSON decoder makes an
    object of each: sharing them saves ~15 MB at 100,000 chats. The documents' content does
    not change, so there is nothing to write."""
    shared: dict[str, str] = {}
    for table in tables.values():
        for doc in table.values():
            for key, value in doc.items():
                if type(value) is str:
                    if len(value) <= SHORT:
                        doc[key] = shared.setdefault(value, value)
                elif type(value) is dict:
                    for inner, text in value.items():
                        if type(text) is str and len(text) <= SHORT:
                            value[inner] = shared.setdefault(text, text)
