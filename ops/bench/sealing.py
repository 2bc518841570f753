"""The benchmarks' bulk rows sealed as the app seals them (core.crypto, DESIGN §5).

The generators write petitions, clearing candidates and clearing cases without the ORM (COPY, executemany,
INSERT of dicts), so the ``after_insert`` hook that seals a person's fields never runs. Here each row is
sealed with the model's own ``Sealed`` attributes (SM4-GCM under the app's field key, bound to table, unit and
id) and given the keyed hashes matching and the exact-name search use (``person_key``, ``name_key``): the app
reads the rows back and finds them by name, with the keys of the instance the generator ran with.

A row is a sequence in the order of its columns (a tuple made in Python, or a line of COPY text): the
plain name, position and work unit in their columns, anything in the key columns. Rows are sealed in batches,
in this process (an app context must be active) or by a pool of worker processes, each with an app of its own.
"""
from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator, Sequence
from types import SimpleNamespace

BATCH = 2_000  # rows per batch handed to a worker
PERSON = {  # table -> (prefix of its person columns, whether it carries the matching keys)
    "petitions": ("accused", True),
    "clearing_candidates": ("person", False),
    "clearing_cases": ("person", True),
}


def default_workers() -> int:
    """One process per core but one (the database's backend needs a core too)."""
    return max(1, (os.cpu_count() or 2) - 1)


def _model(table: str):
    from core.clearing.models import ClearingCandidate, ClearingCase
    from core.petitions.models import Petition

    return {m.__tablename__: m for m in (Petition, ClearingCandidate, ClearingCase)}[table]


class RowSealer:
    """Seals the person columns of one table's rows in place (a list in the order of ``columns``)."""

    def __init__(self, table: str, columns: Sequence[str]):
        from core.crypto import sealed_fields

        prefix, keyed = PERSON[table]
        fields = sealed_fields(_model(table))
        self.id_at, self.unit_at = columns.index("id"), columns.index("unit_id")
        self.name_at, self.work_unit_at = columns.index(f"{prefix}_name"), columns.index(f"{prefix}_work_unit")
        self.sealed = [(columns.index(name), fields[name]) for name in
                       (f"{prefix}_name", f"{prefix}_position", f"{prefix}_work_unit")]
        self.keys_at = (columns.index(f"{prefix}_key"), columns.index(f"{prefix}_name_key")) if keyed else None
        self.plain_at = [self.id_at] + [at for at, _ in self.sealed]
        # What a Sealed attribute binds the value to: the row's table, unit and id (core.crypto.Sealed._associated).
        self.target = SimpleNamespace(__tablename__=table, id=None, unit_id=None)
        self.name_keys: dict[str, str] = {}  # names repeat: their keyed hash is made once

    def __call__(self, row: list) -> list:
        from core.crypto import name_key, person_key

        if self.keys_at:
            name = row[self.name_at]
            row[self.keys_at[0]] = person_key(name, row[self.work_unit_at])
            row[self.keys_at[1]] = self.name_keys.get(name) or self.name_keys.setdefault(name, name_key(name))
        self.target.id, self.target.unit_id = row[self.id_at], row[self.unit_at]
        for at, field in self.sealed:
            row[at] = field.seal(self.target, row[at])
        return row


_sealers: dict[tuple, RowSealer] = {}


def _sealer(table: str, columns: tuple[str, ...]) -> RowSealer:
    key = (table, columns)
    if key not in _sealers:
        _sealers[key] = RowSealer(table, columns)
    return _sealers[key]


def _seal_tuples(job: tuple) -> list[tuple]:
    table, columns, rows = job
    seal = _sealer(table, columns)
    return [tuple(seal(list(row))) for row in rows]


def _seal_lines(job: tuple) -> tuple[bytes, bytes]:
    """Lines of COPY text → the same lines sealed, and (``plain``) lines of id and the plain person fields.
    The person fields are plain words (no tab, newline or backslash, which COPY would escape)."""
    table, columns, lines, plain = job
    seal = _sealer(table, columns)
    out, kept = [], []
    for line in lines.decode().split("\n"):
        row = line.split("\t")
        if plain:
            kept.append("\t".join(row[at] for at in seal.plain_at))
        out.append("\t".join(seal(row)))
    return ("\n".join(out) + "\n").encode(), ("\n".join(kept) + "\n").encode() if plain else b""


def _start_worker(app_config: dict) -> None:
    from core.app import create_app

    create_app(app_config).app_context().push()


class Sealing:
    """Seals batches of rows in this process (``workers`` = 1, the caller's app context) or in a pool.

        with Sealing(app_config, workers) as sealing:
            rows = list(sealing.rows("petitions", PETITION_COLUMNS, rows))
    """

    def __init__(self, app_config: dict, workers: int = 1):
        self.app_config, self.workers, self.pool = app_config, max(1, workers), None

    def __enter__(self) -> Sealing:
        if self.workers > 1:  # forked: the instance folder (the keys) is the parent's, from its environment
            self.pool = multiprocessing.get_context("fork").Pool(self.workers, _start_worker, (self.app_config,))
        return self

    def __exit__(self, *exc) -> None:
        if self.pool:
            self.pool.close()
            self.pool.join()

    def _map(self, work, jobs: Iterable) -> Iterator:
        return self.pool.imap(work, jobs) if self.pool else map(work, jobs)

    def rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> Iterator[tuple]:
        """The rows sealed, in their order."""
        columns = tuple(columns)

        def jobs():
            batch = []
            for row in rows:
                batch.append(row)
                if len(batch) == BATCH:
                    yield table, columns, batch
                    batch = []
            if batch:
                yield table, columns, batch

        for sealed in self._map(_seal_tuples, jobs()):
            yield from sealed

    def copy(self, table: str, columns: Sequence[str], blocks: Iterable[bytes],
             plain: bool = False) -> Iterator[tuple[bytes, bytes]]:
        """Blocks of COPY text (any split) → blocks of whole lines sealed, with (``plain``) the lines of id,
        name, position and work unit as they were (for rows made from these, e.g. candidates of petitions)."""
        columns = tuple(columns)

        def jobs():
            rest, lines, size = b"", [], 0
            for block in blocks:
                head, _, rest = (rest + bytes(block)).rpartition(b"\n")
                if head:
                    lines.append(head)
                    size += len(head)
                    if size >= BATCH * 200:  # about BATCH petitions (their content makes most of a line)
                        yield table, columns, b"\n".join(lines), plain
                        lines, size = [], 0
            assert not rest, "COPY text ends with a newline"
            if lines:
                yield table, columns, b"\n".join(lines), plain

        yield from self._map(_seal_lines, jobs())
