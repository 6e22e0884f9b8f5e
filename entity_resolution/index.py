"""Compact storage for the matcher's per-entry data, sized for a register of millions.

A register of a million employers held as Python objects (one ``RegisterEntry``, a few
``NormalizedName``, strings, lists and dict slots per entry) takes several GiB and, worse,
cannot be shared with forked worker processes: reading an object writes its reference count,
which copies the memory page into the child. The structures here keep each entry's data as
bytes in one growing buffer plus an array of offsets (``array``/``numpy`` of primitives), so
that a matcher built once can be forked and read by several workers without copying it:

- :class:`StringColumn` — one optional string per entry (UTF-8; ``None`` and ``""`` read back
  as ``None``);
- :class:`PickleColumn` — one picklable value per entry (the register entries themselves,
  whose frequent strings — legal form, status, municipality… — are stored once);
- :class:`NameColumn` — each entry's normalised names, rebuilt on demand into the exact
  :class:`~entity_resolution.names.NormalizedName` that ``normalize_name`` gave when the
  entry was added, or only into its :class:`~entity_resolution.compare.NameProfile` (what
  scoring needs; tokens point into one shared vocabulary);
- :class:`HashIndex` — exact-key postings (enterprise number, phone, e-mail, domain, key):
  sorted 64-bit digests of the keys with the entry numbers, found by binary search.

Digests are BLAKE2b (stable across processes, unlike ``hash()``): a collision between two of
a few million keys has a probability of about 10⁻⁷, and would only add a candidate that the
comparators then score on its merits.
"""

from __future__ import annotations

import marshal
import pickle
from array import array
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import fields
from hashlib import blake2b
from operator import attrgetter
from typing import Any

import numpy as np

from entity_resolution.compare import NameProfile, token_weight
from entity_resolution.names import LegalForm, NormalizedName
from entity_resolution.register import RegisterEntry
from entity_resolution.slots import slot_maker as _maker
from entity_resolution.slots import slot_setters as _slot_setters

_make_profile = _maker(NameProfile)


def digest(text: str) -> int:
    """A stable signed 64-bit digest of ``text``."""
    return int.from_bytes(blake2b(text.encode(), digest_size=8).digest(), "little", signed=True)


class _Buffer:
    """Variable-length records in one ``bytearray`` with their end offsets."""

    __slots__ = ("_data", "_ends")

    def __init__(self) -> None:
        self._data = bytearray()
        self._ends = array("q")

    def __len__(self) -> int:
        return len(self._ends)

    def append(self, record: bytes) -> None:
        self._data += record
        self._ends.append(len(self._data))

    def record(self, i: int) -> bytearray:
        """Record ``i`` (a copy: ``marshal``, ``pickle`` and ``decode`` read it as is)."""
        ends = self._ends
        start = ends[i - 1] if i else 0
        return self._data[start : ends[i]]

    def nbytes(self) -> int:
        return len(self._data) + self._ends.itemsize * len(self._ends)


class StringColumn:
    """One optional string per entry, packed (``None`` and ``""`` both read back as None)."""

    __slots__ = ("_buf",)

    def __init__(self, values: Iterable[str | None] = ()) -> None:
        self._buf = _Buffer()
        for value in values:
            self.append(value)

    def __len__(self) -> int:
        return len(self._buf)

    def append(self, value: str | None) -> None:
        buf = self._buf
        if value:
            buf._data += value.encode()
        buf._ends.append(len(buf._data))

    def __getitem__(self, i: int) -> str | None:
        raw = self._buf.record(i)
        return raw.decode() if raw else None

    def __iter__(self) -> Iterator[str | None]:
        return (self[i] for i in range(len(self)))

    def nbytes(self) -> int:
        return self._buf.nbytes()


class _Interned:
    """Frequent values (legal forms, statuses, municipalities…) stored once, by number."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.ids: dict[Any, int] = {}

    def id_of(self, value: Any) -> int:
        found = self.ids.get(value)
        if found is None:
            found = self.ids[value] = len(self.values)
            self.values.append(value)
        return found


class _InternedObjects(_Interned):
    """:class:`_Interned` for values slow to hash (legal forms: a frozen dataclass hashes all
    its fields every time). The very objects stored are also found by identity: they stay
    alive in the table, so no other object can have their id, and a register's forms are a
    few shared objects."""

    def __init__(self) -> None:
        super().__init__()
        self._by_identity: dict[int, int] = {}

    def id_of(self, value: Any) -> int:
        found = self._by_identity.get(id(value))
        if found is None:
            found = super().id_of(value)
            if self.values[found] is value:
                self._by_identity[id(value)] = found
        return found


class PickleColumn:
    """One picklable value per entry. A ``RegisterEntry`` is stored as the tuple of its
    fields, its low-variety fields (codes, labels, postcode, town) as numbers into a table."""

    INTERNED_FIELDS = frozenset(
        {
            "legal_form",
            "status",
            "juridical_situation",
            "postcode",
            "municipality",
            "legal_form_code",
            "juridical_situation_label",
            "country",
            "nace_version",
        }
    )

    def __init__(self) -> None:
        self._buf = _Buffer()
        self._interned = _Interned()
        self._fields = tuple(f.name for f in fields(RegisterEntry))
        self._values = attrgetter(*self._fields)
        self._positions = tuple(
            k for k, name in enumerate(self._fields) if name in self.INTERNED_FIELDS
        )
        self._setters = _slot_setters(RegisterEntry)

    def __len__(self) -> int:
        return len(self._buf)

    def append(self, value: Any) -> None:
        if type(value) is RegisterEntry:
            values = list(self._values(value))
            ids, id_of = self._interned.ids, self._interned.id_of
            for k in self._positions:
                found = ids.get(values[k])
                values[k] = id_of(values[k]) if found is None else found
            record: Any = tuple(values)
        else:
            record = ("raw", value)
        self._buf.append(pickle.dumps(record, protocol=5))

    def __getitem__(self, i: int) -> Any:
        values = pickle.loads(self._buf.record(i))
        if len(values) == 2 and values[0] == "raw":
            return values[1]
        table = self._interned.values
        values = list(values)
        for k in self._positions:
            values[k] = table[values[k]]
        return _build(RegisterEntry, self._setters, values)

    def nbytes(self) -> int:
        return self._buf.nbytes()


def _build(cls: type, setters: tuple[Any, ...], values: Iterable[Any]) -> Any:
    return _maker(cls)(*values)


class NameColumn:
    """Each entry's normalised names (name first, then other names), stored compactly.

    A name is kept as the numbers of its words in a shared vocabulary, the number of its legal
    form in a table of distinct forms, whether it joins words with "&", and its written forms
    (original, cleaned, core — the last two only when they are not simply the words joined by
    spaces). Two views are rebuilt on demand:

    - :meth:`profiles` — the :class:`~entity_resolution.compare.NameProfile` of each name,
      all the scoring needs (the word weights are computed once per vocabulary word), cheap
      enough to rebuild for every entry of a shortlist;
    - :meth:`name` / :meth:`__getitem__` — the :class:`~entity_resolution.names.NormalizedName`
      itself, only for the few entries whose comparison is explained.

    Rebuilt objects are equal to the originals: ``profiles`` gives exactly
    ``NameProfile.of(name)``."""

    def __init__(self) -> None:
        # per name of an entry: (position, word numbers, form number, joined, compact or None)
        self._profiles = _Buffer()
        self._texts = _Buffer()  # per name of an entry: (original, cleaned or None, core or None)
        self._words = _Interned()
        self._weights: list[float] = []  # token_weight of each vocabulary word
        self._forms = _InternedObjects()
        self._forms.id_of(None)

    def __len__(self) -> int:
        return len(self._profiles)

    def _word_ids(self, tokens: tuple[str, ...]) -> tuple[int, ...]:
        ids = self._words.ids
        out = []
        for token in tokens:
            found = ids.get(token)
            if found is None:
                found = self._words.id_of(token)
                self._weights.append(token_weight(token))
            out.append(found)
        return tuple(out)

    def append(self, names: Iterable[tuple[int, NormalizedName]]) -> None:
        """Store ``(position among the entry's names, normalised name)`` for one entry."""
        profiles = []
        texts = []
        for n, name in names:
            tokens = name.tokens
            joined = " ".join(tokens)
            compact = None if name.compact == "".join(tokens) else name.compact
            form = self._forms.id_of(name.legal_form)
            profiles.append((n, self._word_ids(tokens), form, "&" in name.core.split(), compact))
            texts.append(
                (
                    name.original,
                    None if name.cleaned == joined else name.cleaned,
                    None if name.core == joined else name.core,
                )
            )
        self._profiles.append(marshal.dumps(tuple(profiles)))
        self._texts.append(marshal.dumps(tuple(texts)))

    def profiles(self, i: int) -> list[tuple[int, NameProfile]]:
        """``(position among the entry's names, its NameProfile)`` for each name of entry ``i``."""
        return [(record[0], self.profile(record)) for record in self.records(i)]

    def records(self, i: int) -> tuple[tuple[Any, ...], ...]:
        """The stored form of each name of entry ``i``: ``(position, word numbers, form
        number, joined, compact or None)``. Two names with the same record but the position
        have equal profiles (a scorer may compare them once)."""
        return marshal.loads(self._profiles.record(i))  # type: ignore[no-any-return]

    def profile(self, record: tuple[Any, ...]) -> NameProfile:
        """The :class:`~entity_resolution.compare.NameProfile` of a name given as one of
        :meth:`records`."""
        words, weights = self._words.values, self._weights
        _n, ids, form, joined, compact = record
        tokens = tuple([words[t] for t in ids])
        w = tuple([weights[t] for t in ids])
        compact = "".join(tokens) if compact is None else compact
        return _make_profile(tokens, w, sum(w), compact, self._forms.values[form], joined)

    def form(self, record: tuple[Any, ...]) -> LegalForm | None:
        """The legal form of a name given as one of :meth:`records`."""
        return self._forms.values[record[2]]  # type: ignore[no-any-return]

    def _names(
        self, i: int, only: int | None = None, records: tuple[tuple[Any, ...], ...] | None = None
    ) -> list[tuple[int, NormalizedName]]:
        """The names of entry ``i`` (only the one at position ``only`` if given; ``records``:
        its :meth:`records` when the caller has read them already)."""
        words, forms = self._words.values, self._forms.values
        make = _maker(NormalizedName)
        out = []
        if records is None:
            records = marshal.loads(self._profiles.record(i))
        texts = marshal.loads(self._texts.record(i))
        for (n, ids, form, _joined, compact), (original, cleaned, core) in zip(
            records, texts, strict=True
        ):
            if only is not None and n != only:
                continue
            tokens = tuple([words[t] for t in ids])
            joined = " ".join(tokens)
            name = make(
                original,
                joined if cleaned is None else cleaned,
                joined if core is None else core,
                forms[form],
                tokens,
                "".join(tokens) if compact is None else compact,
            )
            out.append((n, name))
        return out

    def name(
        self, i: int, n: int, records: tuple[tuple[Any, ...], ...] | None = None
    ) -> NormalizedName:
        """The name of entry ``i`` at position ``n`` among its names (``records``: as for
        :meth:`_names`)."""
        return self._names(i, only=n, records=records)[0][1]

    def __getitem__(self, i: int) -> list[tuple[int, NormalizedName]]:
        return self._names(i)

    def profiled(self, i: int) -> list[tuple[int, NormalizedName, NameProfile]]:
        """``(position, name, profile)`` for each name of entry ``i``."""
        profiles = dict(self.profiles(i))
        return [(n, name, profiles[n]) for n, name in self._names(i)]

    def words_of(self, records: Iterable[tuple[tuple[Any, ...], ...]]) -> list[str]:
        """The distinct words of names given as :meth:`records` (of several entries)."""
        ids: set[int] = set()
        for names in records:
            for record in names:
                ids.update(record[1])
        words = self._words.values
        return [words[t] for t in ids]

    def words(self) -> int:
        """Distinct words over all names."""
        return len(self._words.values)

    def nbytes(self) -> int:
        return self._profiles.nbytes() + self._texts.nbytes()


def name_label(n: int, text: str) -> str:
    """How a reason refers to the ``n``-th name of a register entry."""
    return "the register's name" if n == 0 else f"the register's other name '{text}'"


class FormColumn:
    """One optional legal form per entry, as a small number into a table of distinct forms."""

    def __init__(self) -> None:
        self._ids = array("H")
        self._forms = _InternedObjects()
        self._forms.id_of(None)

    def __len__(self) -> int:
        return len(self._ids)

    def append(self, form: LegalForm | None) -> None:
        self._ids.append(self._forms.id_of(form))

    def __getitem__(self, i: int) -> LegalForm | None:
        return self._forms.values[self._ids[i]]


class HashIndex:
    """Exact key → entry numbers (in increasing order), for keys added as ``(key, entry)``.

    Keys are collected in arrays while the register is read; :meth:`freeze` (called on the
    first lookup) sorts them once."""

    def __init__(self) -> None:
        self._pending_keys = array("q")
        self._pending_entries = array("i")
        self._keys = np.zeros(0, dtype=np.int64)
        self._starts = np.zeros(1, dtype=np.int64)
        self._entries = np.zeros(0, dtype=np.int32)
        self._frozen = True

    def add(self, key: str | None, i: int) -> None:
        if not key:
            return
        self._pending_keys.append(digest(key))
        self._pending_entries.append(i)
        self._frozen = False

    def freeze(self) -> None:
        if self._frozen:
            return
        keys = np.concatenate([self._entries_keys(), np.frombuffer(self._pending_keys, np.int64)])
        entries = np.concatenate([self._entries, np.frombuffer(self._pending_entries, np.int32)])
        order = np.lexsort((entries, keys))
        keys, entries = keys[order], entries[order]
        if len(keys):  # drop repeated (key, entry) pairs
            keep = np.ones(len(keys), dtype=bool)
            keep[1:] = (keys[1:] != keys[:-1]) | (entries[1:] != entries[:-1])
            keys, entries = keys[keep], entries[keep]
        self._keys, starts = np.unique(keys, return_index=True)
        self._starts = np.append(starts, len(keys)).astype(np.int64)
        self._entries = entries
        self._pending_keys = array("q")
        self._pending_entries = array("i")
        self._frozen = True

    def _entries_keys(self) -> np.ndarray:
        sizes = np.diff(self._starts)
        return np.repeat(self._keys, sizes)

    def get(self, key: str | None, default: Any = None) -> list[int] | Any:
        """The entries under ``key`` (a list), or ``default`` if there are none."""
        if not key:
            return default
        self.freeze()
        h = digest(key)
        k = int(self._keys.searchsorted(h))
        if k >= len(self._keys) or self._keys[k] != h:
            return default
        return self._entries[self._starts[k] : self._starts[k + 1]].tolist()

    def __len__(self) -> int:
        self.freeze()
        return len(self._keys)

    def nbytes(self) -> int:
        return self._keys.nbytes + self._starts.nbytes + self._entries.nbytes


class KeyColumn:
    """The caller's keys (strings, or anything picklable and hashable), by entry number and
    back."""

    def __init__(self) -> None:
        self._values = _Buffer()
        self._index = HashIndex()

    def __len__(self) -> int:
        return len(self._values)

    def append(self, key: Hashable) -> None:
        i = len(self._values)
        if type(key) is str:
            self._values.append(b"s" + key.encode())
        else:
            self._values.append(b"p" + pickle.dumps(key, protocol=5))
        self._index.add(_key_text(key), i)

    def __getitem__(self, i: int) -> Hashable:
        raw = self._values.record(i)
        if raw[:1] == b"s":
            return raw[1:].decode()
        return pickle.loads(raw[1:])  # type: ignore[no-any-return]

    def freeze(self) -> None:
        self._index.freeze()

    def find(self, key: Hashable) -> int | None:
        """The entry number stored under ``key`` (the last one added if several)."""
        found = [i for i in self._index.get(_key_text(key), ()) if self[i] == key]
        return found[-1] if found else None

    def nbytes(self) -> int:
        return self._values.nbytes() + self._index.nbytes()


def _key_text(key: Hashable) -> str:
    return f"{type(key).__name__}:{key!r}"
