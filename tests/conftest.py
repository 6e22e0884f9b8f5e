"""Fixtures shared by every room's tests: a fresh Settings, a migrated database, on both backends.

SQLite by default (a file in the test's data folder). With ``VIGIE_TEST_DATABASE_URL`` set to a
PostgreSQL server (``scripts/pg-test-server.sh`` starts one; ``./run-tests`` does), every test
that uses a database runs twice in the same session — ``[sqlite]`` and ``[postgresql]`` — and
each PostgreSQL run gets its own database, copied from a template migrated once per process
(a migrated SQLite file is likewise a copy of one migrated once per process).
``VIGIE_TEST_BACKENDS=postgresql`` (or ``sqlite``) runs one backend only.

A test "uses a database" when its fixtures include ``db_backend``: ``settings``, ``engine`` and
``databases`` (the URL of any data folder a test or a module's shared crawl makes) all do.
Tests marked ``sqlite_only`` (SQLite's own locking, its file) run on SQLite only.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from storage.db import make_engine, upgrade
from vigie.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "test-secret-key-0123456789abcdef"

PG_URL = os.environ.get("VIGIE_TEST_DATABASE_URL")


def _backends() -> list[str]:
    wanted = os.environ.get("VIGIE_TEST_BACKENDS", "sqlite,postgresql" if PG_URL else "sqlite")
    chosen = [b.strip() for b in wanted.split(",") if b.strip()]
    unknown = set(chosen) - {"sqlite", "postgresql"}
    if unknown or not chosen:
        raise pytest.UsageError(f"VIGIE_TEST_BACKENDS: unknown backend(s) {sorted(unknown)}")
    if "postgresql" in chosen and not PG_URL:
        raise pytest.UsageError("VIGIE_TEST_BACKENDS names postgresql: set "
                                "VIGIE_TEST_DATABASE_URL (scripts/pg-test-server.sh prints it)")
    return chosen


BACKENDS = _backends()


def pytest_configure(config: pytest.Config) -> None:
    """The KBO import reads its dump in a child of a ``forkserver`` (pipelines.register_bulk):
    the server is started once per test process, but each child it forks imports the reading
    code again (about a second of CPU), and the tests import registers dozens of times. Here
    the server imports it once, before its first fork (``__main__`` stays preloaded, as by
    default); each child still is a fresh single-threaded fork of the server, as in
    production."""
    import multiprocessing

    multiprocessing.set_forkserver_preload(["__main__", "pipelines.register_bulk"])


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every database test once per backend (module scope: a module's shared crawl is
    made once per backend, and its tests run grouped by backend)."""
    if "db_backend" not in metafunc.fixturenames or BACKENDS == ["sqlite"]:
        return
    if metafunc.definition.get_closest_marker("sqlite_only"):
        return  # the db_backend fixture's "sqlite"; deselected when SQLite is not wanted
    metafunc.parametrize("db_backend", BACKENDS, scope="module")


# Files whose module-scoped fixtures run whole crawls or the demo: started first, so that the
# processes (pytest-xdist) finish together instead of waiting on one long file at the end.
# Only the order depends on this list; a stale entry costs nothing.
SLOW_FIRST = (
    "tests/vigie/test_demo_e2e.py",
    "tests/vigie/test_five_kills.py",
    "tests/vigie/test_investigate.py",
    "tests/pipelines/test_write_faults.py",
    "tests/distributed/test_two_workers.py",
    "tests/vigie/test_resume.py",
    "tests/distributed/test_worker_killed.py",
    "tests/spiders/test_faults_crawl.py",
    "tests/pipelines/test_incremental.py",
    "tests/scheduler/test_robustness.py",
    "tests/review/test_browser_triage.py",
    "tests/review/test_browser_dossier.py",
    "tests/review/test_network_browser.py",
    "tests/review/test_browser.py",
    "tests/spiders/test_listings_demo_crawl.py",
    "tests/spiders/test_spiders_boards_crawl.py",
    "tests/spiders/test_website_crawl.py",
    "tests/spiders/test_gazette_crawl.py",
    "tests/spiders/test_spiders_crawl.py",
    "tests/pipelines/test_website_persist.py",
    "tests/pipelines/test_register_update.py",
    # then files of 5-15 s that collection puts near the end (tests/vigie sorts last): the
    # suite should end on small files, not on one of these alone in its process
    "tests/vigie/test_match_cli.py",
    "tests/vigie/test_register_import.py",
    "tests/vigie/test_cli_help.py",
    "tests/vigie/test_run_evaluation.py",
    "tests/scheduler/test_scheduled_crawl.py",
    "tests/storage/test_triage_queue.py",
)


def _backend_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("db_backend") if callspec is not None else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep and order the tests.

    Without SQLite among the backends, keep only the tests that run on PostgreSQL: running
    pure parser tests again proves nothing about a database. Then the slow files first."""
    if "sqlite" not in BACKENDS:
        keep = [item for item in items if _backend_of(item) == "postgresql"]
        drop = [item for item in items if _backend_of(item) != "postgresql"]
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep
    rank = {path: i for i, path in enumerate(SLOW_FIRST)}
    root = config.rootpath

    def file_of(item: pytest.Item) -> str:
        return item.path.relative_to(root).as_posix() if item.path.is_relative_to(root) else ""

    items.sort(key=lambda item: rank.get(file_of(item), len(rank)))  # stable: file order kept


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """``--dist loadfile`` with one test file on one backend as the unit of work: its module
    fixtures (a shared crawl) are made once per backend, and the two backends of a slow file
    can run in two processes at once. (pytest-xdist's own ``loadgroup`` cannot do this here:
    it renames test ids through an attribute pytest 9 no longer reads.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    # Keep the collection's order (slow files first, above) instead of xdist's default of
    # files with the most tests first: a 300-test parser file is quick, a 4-test crawl is not.
    config.option.loadscopereorder = False

    class FileAndBackend(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            params = nodeid[nodeid.find("[") + 1:-1].split("-") if nodeid.endswith("]") else []
            return f"{scope}[postgresql]" if "postgresql" in params else scope

    return FileAndBackend(config, log)


@pytest.fixture(scope="module")
def db_backend() -> str:
    """The database backend of this test: "sqlite", or "postgresql" by parametrization."""
    return "sqlite"


def _pg_admin() -> Engine:
    assert PG_URL, "VIGIE_TEST_DATABASE_URL is not set"
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def _pg_database_url(name: str) -> str:
    assert PG_URL, "VIGIE_TEST_DATABASE_URL is not set"
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A PostgreSQL database migrated once per test process, copied for each test."""
    name = f"vigie_template_{os.getpid()}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    upgrade(_pg_database_url(name))
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per test process, copied for each test that needs a
    migrated one: running the migrations costs a quarter of a second of CPU, a copy nothing."""
    path = tmp_path_factory.mktemp("sqlite-template") / "vigie.sqlite3"
    upgrade(f"sqlite:///{path}")
    with closing(sqlite3.connect(path)) as conn:  # everything in the file itself, no WAL
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def migrate_sqlite(path: Path, template: Path) -> None:
    """Make the SQLite file ``path`` a migrated database: a copy of the migrated template
    when it does not exist yet, else (a file a test made itself) Alembic's upgrade."""
    if path.exists():
        upgrade(f"sqlite:///{path}")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, path)


class Databases:
    """The database of a data folder, on this test's backend.

    SQLite: the folder's ``vigie.sqlite3`` (what ``Settings.db_url`` defaults to). PostgreSQL:
    a database of its own, copied from the migrated template. Migrated unless ``migrate=False``
    (then empty); the same one each time the same folder is asked for; dropped at the end."""

    def __init__(self, backend: str, template: str | None,
                 sqlite_template: Path | None = None) -> None:
        self.backend = backend
        self.template = template
        self.sqlite_template = sqlite_template
        self._urls: dict[Path, str] = {}

    def url(self, data_dir: Path, migrate: bool = True) -> str:
        key = data_dir.resolve()
        if key in self._urls:
            return self._urls[key]
        if self.backend == "sqlite":
            key.mkdir(parents=True, exist_ok=True)
            url = f"sqlite:///{key / 'vigie.sqlite3'}"
            if migrate and self.sqlite_template is not None:
                migrate_sqlite(key / "vigie.sqlite3", self.sqlite_template)
            elif migrate:
                upgrade(url)
        else:  # migrate=False: an empty database (a migration test starts from nothing)
            name = f"vigie_test_{uuid.uuid4().hex[:16]}"
            template = f' TEMPLATE "{self.template}"' if migrate else ""
            admin = _pg_admin()
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"{template}'))
            admin.dispose()
            url = _pg_database_url(name)
        self._urls[key] = url
        return url

    def clone(self, source_dir: Path, data_dir: Path) -> str:
        """A database for ``data_dir`` that is a copy of ``source_dir``'s as it is now (a
        module's register imported once, then copied for each test): SQLite's backup of the
        file, PostgreSQL's CREATE DATABASE … TEMPLATE (nobody may be connected to the
        source). Released like any other."""
        key = data_dir.resolve()
        assert key not in self._urls, f"{data_dir} has a database already"
        source = self._urls[source_dir.resolve()]
        if self.backend == "sqlite":
            key.mkdir(parents=True, exist_ok=True)
            target = key / "vigie.sqlite3"
            with (closing(sqlite3.connect(make_url(source).database or "")) as src,
                  closing(sqlite3.connect(target)) as dst):
                src.backup(dst)
            url = f"sqlite:///{target}"
        else:
            name = f"vigie_test_{uuid.uuid4().hex[:16]}"
            admin = _pg_admin()
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}" '
                                  f'TEMPLATE "{make_url(source).database}"'))
            admin.dispose()
            url = _pg_database_url(name)
        self._urls[key] = url
        return url

    def release(self, data_dir: Path) -> None:
        """Drop the folder's PostgreSQL database now (SQLite files go with tmp_path)."""
        url = self._urls.pop(data_dir.resolve(), None)
        if url is None or self.backend == "sqlite":
            return
        admin = _pg_admin()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
        admin.dispose()

    def close(self) -> None:
        for folder in list(self._urls):
            self.release(folder)


@pytest.fixture(scope="module")
def databases(db_backend: str, request: pytest.FixtureRequest) -> Iterator[Databases]:
    """Database URLs of data folders on this module's backend (see ``Databases``)."""
    if db_backend == "postgresql":
        dbs = Databases(db_backend, request.getfixturevalue("pg_template"))
    else:
        dbs = Databases(db_backend, None, request.getfixturevalue("sqlite_template"))
    yield dbs
    dbs.close()


@pytest.fixture
def settings(tmp_path: Path, databases: Databases) -> Iterator[Settings]:
    """Settings of a fresh data folder. SQLite: the folder's file, NOT migrated (the
    ``engine`` fixture migrates it); PostgreSQL: a migrated database of this test's own."""
    data_dir = tmp_path / "var"
    url = None if databases.backend == "sqlite" else databases.url(data_dir)
    s = Settings(data_dir=data_dir, secret_key=SECRET, database_url=url)
    s.ensure_dirs()
    yield s
    databases.release(data_dir)


@pytest.fixture
def engine(settings: Settings, databases: Databases) -> Iterator[Engine]:
    """The settings' database, migrated (a PostgreSQL test database already is)."""
    if settings.db_url.startswith("sqlite"):
        path = make_url(settings.db_url).database
        assert path, settings.db_url
        if databases.sqlite_template is not None:
            migrate_sqlite(Path(path), databases.sqlite_template)
        else:
            upgrade(settings.db_url)
    eng = make_engine(settings.db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def zygote_children() -> Iterator[None]:
    """The ``python -m vigie`` children the scheduler starts from this process (its crawls, by
    ``scheduler.runner``) forked by the test process's zygote (``tests/vigie_zygote.py``: the
    imports done once) instead of a new Python each; each is still a process of its own, in
    its own session, stopped by the same signals at its time limit."""
    from unittest import mock

    from scheduler import runner
    from tests import vigie_zygote

    with mock.patch.object(runner, "subprocess", vigie_zygote.subprocess_module()):
        yield
