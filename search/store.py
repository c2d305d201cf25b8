"""One copy of the search index on disk, its one writer, and this process's reader of it.

A copy lives in a directory (`SEARCH_INDEX_DIR`), one on each machine that serves searches:

    CURRENT                   the generation in use, e.g. "gen-000004"; replaced atomically
    gen-000004/index/         the tantivy index of that generation
    gen-000004/applied.json   the last change-log id applied to that index, and the gaps below
                              it still to re-read; replaced atomically after each index commit
    indexer.lock              held (flock) by the one indexer of the copy while it works
    REBUILD                   left by a reader that could not open a generation: rebuild it

A rebuild writes a new generation beside the current one, then swaps CURRENT: readers keep
searching the old generation until they notice the new one. The change-log position is kept
inside the generation it describes, so a crash between writing a generation and swapping CURRENT
can never pair an index with the wrong position.

The copy must be on a local disk: `flock` and atomic renames are what keep one indexer per copy
and readers consistent.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connections

from exchange.errors import ApplicationError

if TYPE_CHECKING:
    from search.engine import SearchEngine

logger = logging.getLogger(__name__)

_GENERATION = re.compile(r"^gen-(\d{6,})$")
# At most one rebuild request per copy and process in this many seconds.
REBUILD_REQUEST_INTERVAL = 30.0


class IndexUnavailable(ApplicationError):
    """The copy has no index that can be opened: none built yet, or damaged. A rebuild has been
    asked for; the search page says so and the rest of the portal carries on."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            "Search is not available right now: its index is being rebuilt. "
            "Please try again in a few minutes.",
            extra={"reason": reason},
        )
        self.reason = reason


class IndexerBusy(ApplicationError):
    """Another indexer holds the copy; it does the work, so this one returns."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"Another indexer is already working on the search index in {path}; "
            "it will apply the changes. Nothing to do."
        )
        self.path = path


@dataclass(frozen=True)
class Gap:
    """Change-log ids first..last (inclusive), below the applied id, that were not visible when
    read. On PostgreSQL a transaction can commit a lower id after a higher one: such ids are
    re-read until every transaction that was running when the gap was seen has ended, that is
    until the database's oldest running transaction id reaches `xmax` (None: at the next read).
    Ids of rolled-back transactions stay gaps for good and are dropped then."""

    first: int
    last: int
    xmax: int | None


@dataclass
class CopyState:
    """A generation's position in the change log (its applied.json)."""

    applied_id: int
    gaps: list[Gap] = field(default_factory=list)
    # `search.schema.SCHEMA_VERSION` of the generation: another one means rebuild.
    schema_version: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "applied_id": self.applied_id,
            "gaps": [[g.first, g.last, g.xmax] for g in self.gaps],
            "schema_version": self.schema_version,
        }

    @classmethod
    def from_json(cls, data: Any) -> CopyState:
        applied_id = data["applied_id"]
        if not isinstance(applied_id, int) or applied_id < 0:
            raise ValueError(f"bad applied_id {applied_id!r}")
        gaps = [
            Gap(int(first), int(last), None if x is None else int(x))
            for first, last, x in data["gaps"]
        ]
        return cls(
            applied_id=applied_id, gaps=gaps, schema_version=int(data.get("schema_version", 0))
        )


class IndexCopy:
    """The files of one copy of the index; see the module docstring for the layout."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"IndexCopy({str(self.path)!r})"

    @property
    def lock_file(self) -> Path:
        return self.path / "indexer.lock"

    def index_dir(self, generation: str) -> Path:
        return self.path / generation / "index"

    def generations(self) -> list[str]:
        if not self.path.is_dir():
            return []
        found = [p.name for p in self.path.iterdir() if _GENERATION.match(p.name) and p.is_dir()]
        return sorted(found, key=lambda name: int(name[4:]))

    def current_generation(self) -> str | None:
        """The generation CURRENT names, if it names an existing one."""
        try:
            name = (self.path / "CURRENT").read_text(encoding="utf-8").strip()
        except (FileNotFoundError, NotADirectoryError, UnicodeDecodeError):
            return None
        if not _GENERATION.match(name) or not (self.path / name).is_dir():
            return None
        return name

    def read_state(self, generation: str) -> CopyState | None:
        """The change-log position of a generation; None when missing or unreadable."""
        try:
            return CopyState.from_json(
                json.loads((self.path / generation / "applied.json").read_text(encoding="utf-8"))
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("Unreadable %s/applied.json in %s: %s", generation, self.path, exc)
            return None

    def write_state(self, generation: str, state: CopyState) -> None:
        _write_atomic(self.path / generation / "applied.json", json.dumps(state.to_json()))

    def create_generation(self) -> str:
        existing = [int(name[4:]) for name in self.generations()]
        name = f"gen-{max(existing, default=0) + 1:06d}"
        self.index_dir(name).mkdir(parents=True)
        return name

    def publish(self, generation: str) -> None:
        """Make `generation` the one readers open."""
        _write_atomic(self.path / "CURRENT", generation + "\n")

    def remove_generations(self, *, keep: str | None) -> None:
        # A reader that still has an old generation open keeps its files (they are unlinked,
        # not truncated) until it notices CURRENT has changed.
        for name in self.generations():
            if name != keep:
                shutil.rmtree(self.path / name, ignore_errors=True)

    def request_rebuild(self, generation: str | None) -> None:
        _write_atomic(self.path / "REBUILD", generation or "")

    def rebuild_requested(self, generation: str | None) -> bool:
        """Whether a reader reported `generation` unusable (a request about an older
        generation is stale: that one has been replaced already)."""
        try:
            broken = (self.path / "REBUILD").read_text(encoding="utf-8").strip()
        except (FileNotFoundError, UnicodeDecodeError):
            return False
        return broken in ("", generation or "")

    def clear_rebuild_request(self) -> None:
        (self.path / "REBUILD").unlink(missing_ok=True)


def _write_atomic(path: Path, text: str) -> None:
    """Write `path` so that a reader or a crash sees the old content or the new, never a mix."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def index_copy(copy_dir: Path | str | None = None) -> IndexCopy:
    """The copy in `copy_dir`, by default this machine's (`SEARCH_INDEX_DIR`)."""
    return IndexCopy(Path(copy_dir) if copy_dir is not None else settings.SEARCH_INDEX_DIR)


# --- The writer ----------------------------------------------------------------------------------


class CopyWriter:
    """The one indexer of a copy: holds the copy's lock (`flock` on indexer.lock) inside a
    `with` block, and opens a generation's tantivy writer when asked (tantivy then takes its own
    writer lock as well). `search.indexer` works inside the block.

    Outside a block, `index_entries` and `delete_entries` take the lock for the call and commit
    (the engine module's functions use them). They do not move the copy's change-log position,
    so what they write must be what the database says now, as the indexer would write it.
    """

    def __init__(self, copy: IndexCopy, *, wait: float = 0.0) -> None:
        self.copy = copy
        self.wait = wait
        self._fd: int | None = None
        self._engines: dict[str, SearchEngine] = {}

    def __enter__(self) -> CopyWriter:
        self.copy.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.copy.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise IndexerBusy(self.copy.path) from None
                time.sleep(0.05)
        self._fd = fd
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.close()
        finally:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
                self._fd = None

    def engine(self, generation: str) -> SearchEngine:
        from search.engine import SearchEngine

        if self._fd is None:
            raise RuntimeError("Open a generation's writer inside `with store.writer()` only.")
        if generation not in self._engines:
            self._engines[generation] = SearchEngine(self.copy.index_dir(generation), writable=True)
        return self._engines[generation]

    def close(self, generation: str | None = None) -> None:
        """Let go of the tantivy writers (all, or one generation's)."""
        for name in [generation] if generation else list(self._engines):
            engine = self._engines.pop(name, None)
            close = getattr(engine, "close", None)
            if callable(close):
                close()

    def index_entries(self, documents: Iterable[Mapping[str, Any]]) -> int:
        with self._held() as engine:
            added = engine.index_entries(documents)
            engine.commit()
            return added

    def delete_entries(self, entry_ids: Iterable[int]) -> None:
        with self._held() as engine:
            engine.delete_entries(entry_ids)
            engine.commit()

    @contextmanager
    def _held(self) -> Iterator[SearchEngine]:
        if self._fd is not None:
            yield self.engine(self._current())
            return
        with self:
            yield self.engine(self._current())

    def _current(self) -> str:
        generation = self.copy.current_generation()
        if generation is None:
            raise IndexUnavailable(f"no index in {self.copy.path}")
        return generation


def writer(copy_dir: Path | str | None = None, *, wait: float = 0.0) -> CopyWriter:
    """The indexer of a copy, by default this machine's. `with writer() as w:` holds the copy's
    lock for the block, or raises `IndexerBusy` at once (or after `wait` seconds) when another
    indexer, in this process or another, holds it."""
    return CopyWriter(index_copy(copy_dir), wait=wait)


# --- This process's reader -----------------------------------------------------------------------


@dataclass
class _OpenReader:
    generation: str
    signature: tuple[int, int, int]
    engine: SearchEngine
    checked_at: float


_readers: dict[Path, _OpenReader] = {}
_readers_lock = threading.Lock()
_rebuild_requested_at: dict[Path, float] = {}


def reader(copy_dir: Path | str | None = None) -> SearchEngine:
    """This process's read-only engine on the copy's current generation.

    Checks at most every `SEARCH_READER_RELOAD_SECONDS` whether the indexer has committed (the
    index's meta.json changed) or a rebuild swapped generations, and then reloads or reopens.
    Raises `IndexUnavailable` when there is no index to open, after asking for a rebuild.
    """
    copy = index_copy(copy_dir)
    now = time.monotonic()
    with _readers_lock:
        current = _readers.get(copy.path)
        if current and now - current.checked_at < settings.SEARCH_READER_RELOAD_SECONDS:
            return current.engine
        try:
            current = _refresh(copy, current, now)
        except IndexUnavailable as exc:
            _readers.pop(copy.path, None)
            failure = exc
        else:
            _readers[copy.path] = current
            return current.engine
    # Outside the lock: queueing the task may wait for the broker.
    logger.warning("Search index unavailable in %s: %s", copy.path, failure.reason)
    request_rebuild(copy, copy.current_generation())
    raise failure


def forget_readers() -> None:
    """Drop this process's open readers (tests; a forked child should not share them)."""
    with _readers_lock:
        _readers.clear()
        _rebuild_requested_at.clear()


def _meta_signature(index_dir: Path) -> tuple[int, int, int]:
    # tantivy replaces meta.json atomically on every commit.
    stat = (index_dir / "meta.json").stat()
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _refresh(copy: IndexCopy, current: _OpenReader | None, now: float) -> _OpenReader:
    # Imported here: the engine's module functions call `reader()`.
    from search.engine import SearchEngine

    failure = ""
    # Twice: a rebuild may swap and delete the generation between reading CURRENT and opening.
    for _ in range(2):
        generation = copy.current_generation()
        if generation is None:
            failure = "no index has been built yet"
            break
        index_dir = copy.index_dir(generation)
        try:
            signature = _meta_signature(index_dir)
            if current and current.generation == generation:
                if current.signature != signature:
                    reload = getattr(current.engine, "reload", None)
                    if callable(reload):
                        reload()
                    else:
                        current.engine = SearchEngine(index_dir)
                    current.signature = signature
                current.checked_at = now
                return current
            return _OpenReader(generation, signature, SearchEngine(index_dir), now)
        except Exception as exc:  # noqa: BLE001 - tantivy reports damage as several error types
            failure = f"cannot open {index_dir}: {type(exc).__name__}: {exc}"
            if copy.current_generation() == generation:
                break
    raise IndexUnavailable(failure)


def request_rebuild(copy: IndexCopy, generation: str | None) -> None:
    """Ask for a rebuild of `generation` (None: there is none) of this copy.

    Leaves a REBUILD note in the copy, which this machine's indexer (`search_indexer`, or the
    beat catch-up where the worker shares the copy) acts on, and schedules the rebuild at once:
    as a task when there is a broker, else in a thread of this process. The rebuild takes the
    copy's lock, so asking twice rebuilds once.
    """
    now = time.monotonic()
    last = _rebuild_requested_at.get(copy.path)
    if last is not None and now - last < REBUILD_REQUEST_INTERVAL:
        return
    _rebuild_requested_at[copy.path] = now
    try:
        copy.path.mkdir(parents=True, exist_ok=True)
        copy.request_rebuild(generation)
    except OSError as exc:
        logger.error("Cannot leave a rebuild request in %s: %s", copy.path, exc)
    # A worker may run on another machine, with its own SEARCH_INDEX_DIR: name the default
    # copy as None so that it rebuilds its own.
    copy_dir = None if copy.path == index_copy().path else str(copy.path)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        threading.Thread(
            target=_rebuild_in_thread, args=(copy_dir,), name="search-rebuild", daemon=True
        ).start()
        return
    from search.tasks import search_rebuild_task

    try:
        search_rebuild_task.delay(copy_dir=copy_dir, if_needed=True)
    except Exception:  # the note above still gets the copy rebuilt by its indexer
        logger.exception("Cannot queue the search index rebuild")


def _rebuild_in_thread(copy_dir: str | None) -> None:
    from search.indexer import index_catch_up

    try:
        index_catch_up(copy_dir=copy_dir)  # rebuilds, as the REBUILD note asks
    except IndexerBusy:
        pass
    except Exception:
        logger.exception("Search index rebuild failed")
    finally:
        connections.close_all()
