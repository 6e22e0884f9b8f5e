"""The incremental KBO import: new / changed / unchanged / struck off, ids stable, page facts kept.

Real sample rows of the KBO Open Data extract (tests/fixtures/realworld/kbo_opendata_rows_2025)
are imported into a migrated SQLite database, then edited copies of the dump re-imported.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from benchmarks.kbo_dump import enterprise_number, write_dump
from entity_resolution import EntityResolutionError
from entity_resolution.register import ImportReport, read_kbo_opendata
from pipelines.register_sync import import_entries, import_kbo_dump
from storage.models import Capture, Employer, Match, Record
from vigie.register import import_kbo

SAMPLE = Path(__file__).parents[1] / "fixtures" / "realworld" / "kbo_opendata_rows_2025"


def _copy_sample(target: Path) -> Path:
    target.mkdir()
    for name in ("enterprise", "denomination", "address", "contact", "activity"):
        shutil.copy(SAMPLE / f"{name}.csv", target / f"{name}.csv")
    shutil.copy(SAMPLE / "code_excerpt.csv", target / "code.csv")
    return target


def _drop_lines(path: Path, needle: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if needle not in line), encoding="utf-8")


def _ids(engine) -> dict[str, int]:
    with Session(engine) as session:
        return {e.enterprise_number: e.id for e in session.exec(select(Employer))}


def _match(session: Session, employer_id: int) -> int:
    capture = Capture(
        url="http://127.0.0.1/ad/1",
        final_url="http://127.0.0.1/ad/1",
        status=200,
        sha256="0" * 64,
        warc_file="x.warc.gz",
        warc_offset=0,
        warc_length=1,
    )
    session.add(capture)
    session.flush()
    record = Record(
        kind="job_ad", source="test", url=capture.url, capture_id=capture.id, fingerprint="f"
    )
    session.add(record)
    session.flush()
    match = Match(record_id=record.id, employer_id=employer_id, score=0.99, method="name")
    session.add(match)
    session.commit()
    assert match.id is not None
    return match.id


def test_import_then_reimport_is_all_unchanged_with_stable_ids(settings, engine, tmp_path):
    dump = _copy_sample(tmp_path / "dump")
    first = import_kbo(settings, dump)
    assert first["new"] == 10 and first["changed"] == 0 and first["struck_off"] == 0
    ids = _ids(engine)
    with Session(engine) as session:
        veneco = session.exec(
            select(Employer).where(Employer.enterprise_number == "0200065765")
        ).one()
        assert veneco.name == "Intergemeentelijke Vereniging Veneco"
        assert veneco.other_names == ["Veneco"]
        assert veneco.postcode == "9070" and veneco.start_date == date(1960, 8, 9)
        assert veneco.onss_employer is True and veneco.origin == "kbo_opendata"
    second = import_kbo(settings, dump)
    assert second == {
        "new": 0,
        "changed": 0,
        "unchanged": 10,
        "struck_off": 0,
        "duplicates": 0,
        "problems": 0,
    }
    assert _ids(engine) == ids


def test_enterprise_missing_from_a_new_dump_is_struck_off_not_deleted(settings, engine, tmp_path):
    dump = _copy_sample(tmp_path / "dump")
    import_kbo(settings, dump)
    with Session(engine) as session:
        gone = session.exec(
            select(Employer).where(Employer.enterprise_number == "0200171970")
        ).one()
        gone_id = gone.id
        match_id = _match(session, gone_id)
    _drop_lines(dump / "enterprise.csv", '"0200.171.970"')
    counts = import_kbo(settings, dump)
    assert counts["struck_off"] == 1 and counts["unchanged"] == 9 and counts["new"] == 0
    assert counts["problems"] == 0
    with Session(engine) as session:
        employer = session.get(Employer, gone_id)
        assert employer is not None and employer.status == "ST"
        assert employer.enterprise_number == "0200171970"
        match = session.get(Match, match_id)
        assert match is not None and match.employer_id == gone_id
    # Already struck off: a third import does not count it again.
    assert import_kbo(settings, dump)["struck_off"] == 0


def test_changed_denomination_is_one_change_in_place(settings, engine, tmp_path):
    dump = _copy_sample(tmp_path / "dump")
    import_kbo(settings, dump)
    ids = _ids(engine)
    path = dump / "denomination.csv"
    text = path.read_text(encoding="utf-8")
    assert '"Intergemeentelijke Vereniging Veneco"' in text
    path.write_text(text.replace("Vereniging Veneco", "Vereniging Veneco Nieuw"), "utf-8")
    counts = import_kbo(settings, dump)
    assert counts["changed"] == 1 and counts["unchanged"] == 9 and counts["new"] == 0
    assert _ids(engine) == ids
    with Session(engine) as session:
        veneco = session.get(Employer, ids["0200065765"])
        assert veneco is not None and veneco.name == "Intergemeentelijke Vereniging Veneco Nieuw"


def test_register_page_facts_survive_a_reimport(settings, engine, tmp_path):
    dump = _copy_sample(tmp_path / "dump")
    import_kbo(settings, dump)
    with Session(engine) as session:
        employer = session.exec(
            select(Employer).where(Employer.enterprise_number == "0200068636")
        ).one()
        employer.origin = "registry_page"
        employer.onss_since = date(2001, 4, 1)
        employer.juridical_situation_date = date(2020, 1, 2)
        session.add(employer)
        session.commit()
        employer_id = employer.id
    counts = import_kbo(settings, dump)
    assert counts["unchanged"] == 10 and counts["changed"] == 0
    _drop_lines(dump / "enterprise.csv", '"0200.068.636"')
    counts = import_kbo(settings, dump)
    assert counts["struck_off"] == 0  # only kbo_opendata employers are struck off
    with Session(engine) as session:
        employer = session.get(Employer, employer_id)
        assert employer is not None
        assert employer.origin == "registry_page" and employer.status == "AC"
        assert employer.onss_since == date(2001, 4, 1)
        assert employer.juridical_situation_date == date(2020, 1, 2)


def test_generated_dump_of_20000_enterprises(settings, engine, tmp_path):
    dump = write_dump(tmp_path / "big", 20_000, skip=frozenset({5}))
    counts = import_kbo(settings, dump)
    assert counts["new"] == 19_999 and counts["problems"] == 0
    with Session(engine) as session:
        assert len(session.exec(select(Employer.id)).all()) == 19_999
        number = enterprise_number(123).replace(".", "")
        employer = session.exec(select(Employer).where(Employer.enterprise_number == number)).one()
        assert employer.name.endswith(" 123") and employer.district is not None
    bigger = write_dump(tmp_path / "big2", 20_000, skip=frozenset({7}))
    counts = import_kbo(settings, bigger)
    assert counts == {
        "new": 1,
        "changed": 0,
        "unchanged": 19_998,
        "struck_off": 1,
        "duplicates": 0,
        "problems": 0,
    }


def test_in_process_reading_and_partial_lists(engine, tmp_path):
    dump = _copy_sample(tmp_path / "dump")
    report = ImportReport()
    with Session(engine) as session:
        counts = import_kbo_dump(session, dump, report, in_child=False)
        assert counts["new"] == 10 and report.enterprises == 10
        # A partial list (full=False, the default of import_entries) strikes no one off.
        some = list(read_kbo_opendata(dump))[:3]
        counts = import_entries(session, some)
        assert counts == {
            "new": 0,
            "changed": 0,
            "unchanged": 3,
            "struck_off": 0,
            "duplicates": 0,
        }


def test_missing_dump_is_a_named_error(engine, tmp_path):
    with Session(engine) as session, pytest.raises(EntityResolutionError, match="not found"):
        import_kbo_dump(session, tmp_path / "nothing", ImportReport())
