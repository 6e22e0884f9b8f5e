"""Applying KBO Open Data update extracts to a real SQLite register.

The register is the real full extract #136 (tests/fixtures/realworld/kbo_opendata_rows_2025,
with its real meta.csv) minus enterprise 0200.420.410; the update is extract #137 built from
the same real rows (tests/fixtures/realworld/kbo_opendata_update_0137, see its PROVENANCE.md
for each change it carries).
"""

from __future__ import annotations

import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from benchmarks.kbo_dump import enterprise_number, write_dump
from benchmarks.kbo_update_dump import expected_counts, write_meta, write_update
from entity_resolution import EntityResolutionError
from entity_resolution.geo import district_for_postcode
from entity_resolution.kbo_update import ExtractAlreadyApplied, ExtractOrderError
from entity_resolution.register import ImportReport
from pipelines.register_update import REGISTER_SOURCE, applied_extract, apply_kbo_update
from storage.models import Capture, Employer, Judgement, Match, Record, Source
from vigie.register import import_kbo

REALWORLD = Path(__file__).parents[1] / "fixtures" / "realworld"
SAMPLE = REALWORLD / "kbo_opendata_rows_2025"
UPDATE = REALWORLD / "kbo_opendata_update_0137"
HELD_BACK = '"0200.420.410"'  # the enterprise update #137 inserts


def _full(target: Path) -> Path:
    """Full extract #136 (real rows, real meta.csv) without the held-back enterprise."""
    target.mkdir()
    for f in SAMPLE.glob("*.csv"):
        name = "code.csv" if f.name == "code_excerpt.csv" else f.name
        lines = f.read_text("utf-8").splitlines(keepends=True)
        (target / name).write_text("".join(x for x in lines if HELD_BACK not in x), "utf-8")
    return target


def _update(target: Path, number: int | None = None) -> Path:
    shutil.copytree(UPDATE, target)
    if number is not None:
        meta = (target / "meta.csv").read_text("utf-8")
        (target / "meta.csv").write_text(meta.replace('"137"', f'"{number}"'), "utf-8")
    return target


def _employers(engine) -> dict[str, Employer]:
    with Session(engine) as session:
        return {e.enterprise_number: e for e in session.exec(select(Employer))}


def _match_and_judgement(engine, number: str) -> tuple[int, int, int]:
    """A Match and a Judgement pointing at employer ``number``: (employer, match, judgement)."""
    with Session(engine) as session:
        employer = session.exec(select(Employer).where(Employer.enterprise_number == number)).one()
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
            kind="job_ad",
            source="test",
            url=capture.url,
            capture_id=capture.id,
            fingerprint=f"f-{number}",
        )
        session.add(record)
        session.flush()
        match = Match(record_id=record.id, employer_id=employer.id, score=0.97, method="name")
        judgement = Judgement(
            record_fingerprint=f"f-{number}",
            employer_number=number,
            employer_id=employer.id,
            verdict="positive",
            user="analyst",
        )
        session.add(match)
        session.add(judgement)
        session.commit()
        return employer.id, match.id, judgement.id


def test_update_changes_only_the_touched_topics_and_keeps_ids(settings, engine, tmp_path):
    first = import_kbo(settings, _full(tmp_path / "full"))
    assert first["new"] == 9 and first["problems"] == 0
    before = _employers(engine)
    veneco_id, match_id, judgement_id = _match_and_judgement(engine, "0200065765")
    gone_id, gone_match, gone_judgement = _match_and_judgement(engine, "0200171970")
    with Session(engine) as session:
        assert applied_extract(session) == 136

    counts = import_kbo(settings, _update(tmp_path / "update"))
    assert counts == {
        "new": 1,
        "changed": 5,
        "unchanged": 1,
        "struck_off": 1,
        "not_in_register": 1,
        "problems": 0,
    }
    after = _employers(engine)
    assert {n: e.id for n, e in after.items() if n in before} == {
        n: e.id for n, e in before.items()
    }
    # Veneco moved: the address columns are replaced, its names and activities are not.
    veneco = after["0200065765"]
    assert (veneco.street, veneco.postcode, veneco.municipality) == (
        "Rue du Chêne 16",
        "1000",
        "Bruxelles",
    )
    assert veneco.district == district_for_postcode("1000").id != before["0200065765"].district
    assert veneco.name == "Intergemeentelijke Vereniging Veneco"
    assert veneco.other_names == ["Veneco"]
    assert veneco.onss_employer is True and veneco.nace_codes == ["84130", "68121"]
    assert veneco.updated_at > before["0200065765"].updated_at
    # Farys renamed; its seat and activities untouched.
    farys = after["0200068636"]
    assert farys.name == "Farys | TMVW" and farys.other_names == ["TMVW"]
    assert farys.street == "Stropstraat 1" and farys.nace_codes == before["0200068636"].nace_codes
    # Denderoord: the enterprise row changed (situation 012 → 000), its names kept.
    denderoord = after["0200245711"]
    assert denderoord.juridical_situation == "000"
    assert denderoord.juridical_situation_label == "Situation normale"
    assert denderoord.other_names == ["DENDEROORD"] and denderoord.postcode == "9500"
    # ISBW: contacts replaced as a whole (the phone is gone).
    isbw = after["0200362408"]
    assert isbw.phone is None and isbw.email == "contact@isbw.be"
    assert isbw.name == "Intercommunale Sociale du Brabant wallon"
    # SOLVA lost its ONSS activity group.
    solva = after["0200305493"]
    assert solva.onss_employer is False and solva.nace_codes == ["84130", "41003"]
    # Left the open data: struck off, not deleted, everything else kept.
    gone = after["0200171970"]
    assert gone.id == gone_id and gone.status == "ST"
    assert gone.name == "Sanatorium-Hospitaal van Lemberge" and gone.postcode == "9000"
    # Touched but identical: not rewritten.
    assert after["0200362210"].updated_at == before["0200362210"].updated_at
    # New enterprise, from its real rows.
    new = after["0200420410"]
    assert new.name == "Congregatie der Gasthuiszusters-Augustinessen van Diest"
    assert (new.postcode, new.start_date, new.status) == ("3290", date(1968, 1, 1), "AC")
    assert new.origin == "kbo_opendata"
    assert "0201310929" not in after  # contact rows of an enterprise the register lacks
    with Session(engine) as session:
        for employer_id, m, j in (
            (veneco_id, match_id, judgement_id),
            (gone_id, gone_match, gone_judgement),
        ):
            assert session.get(Match, m).employer_id == employer_id
            assert session.get(Judgement, j).employer_id == employer_id
        assert applied_extract(session) == 137
        source = session.exec(select(Source).where(Source.name == REGISTER_SOURCE)).one()
        assert [h["extract_number"] for h in source.config["history"]] == [136, 137]
        assert source.config["extract_type"] == "update"
        assert source.config["snapshot_date"] == "2025-06-06"


def test_reapplied_or_out_of_order_update_is_refused(settings, engine, tmp_path):
    import_kbo(settings, _full(tmp_path / "full"))
    update = _update(tmp_path / "update")
    import_kbo(settings, update)
    stamps = {n: e.updated_at for n, e in _employers(engine).items()}
    with pytest.raises(ExtractAlreadyApplied, match="update extract 137 is already in the"):
        import_kbo(settings, update)
    with pytest.raises(ExtractOrderError, match="apply extract 138 first"):
        import_kbo(settings, _update(tmp_path / "update139", 139))
    with pytest.raises(ExtractOrderError, match="full extract 136 is older than extract 137"):
        import_kbo(settings, _full(tmp_path / "full-again"))
    assert {n: e.updated_at for n, e in _employers(engine).items()} == stamps
    # Forced: applied again, and since the register already holds it, nothing changes.
    counts = import_kbo(settings, update, force=True)
    assert counts == {
        "new": 0,
        "changed": 0,
        "unchanged": 8,
        "struck_off": 0,
        "not_in_register": 1,
        "problems": 0,
    }
    # The next update in the sequence is accepted.
    counts = import_kbo(settings, _update(tmp_path / "update138", 138))
    assert counts["unchanged"] == 8


def test_update_needs_a_register_at_a_known_extract(settings, engine, tmp_path):
    with pytest.raises(ExtractOrderError, match="import a full extract first"):
        import_kbo(settings, _update(tmp_path / "update"))
    # A full dump without meta.csv leaves the register's extract unknown.
    dump = _full(tmp_path / "full")
    (dump / "meta.csv").unlink()
    import_kbo(settings, dump)
    with Session(engine) as session:
        assert applied_extract(session) is None
    with pytest.raises(ExtractOrderError, match="no extract number is recorded"):
        import_kbo(settings, _update(tmp_path / "update2"))
    assert import_kbo(settings, tmp_path / "update2", force=True)["changed"] == 5


def test_zipped_update_and_ambiguous_folder(settings, engine, tmp_path):
    import_kbo(settings, _full(tmp_path / "full"))
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    archive = downloads / "KboOpenData_0137_2025_06_Update.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(UPDATE.glob("*.csv")):
            z.write(f, f.name)
    shutil.copy(archive, tmp_path / "alone.zip")
    with zipfile.ZipFile(downloads / "KboOpenData_0137_2025_06_Full.zip", "w") as z:
        for f in sorted((tmp_path / "full").iterdir()):
            z.write(f, f.name)
    with pytest.raises(EntityResolutionError, match="2 KBO Open Data extracts in"):
        import_kbo(settings, downloads)
    counts = import_kbo(settings, tmp_path / "alone.zip")
    assert (counts["new"], counts["changed"], counts["struck_off"]) == (1, 5, 1)


def test_a_failed_update_leaves_the_register_untouched(engine, tmp_path):
    from pipelines.register_update import import_kbo_extract

    with Session(engine) as session:
        import_kbo_extract(session, _full(tmp_path / "full"), ImportReport(), in_child=False)
    before = _employers(engine)
    calls = []

    def fail_after_first_batch(read: int) -> None:
        calls.append(read)
        if len(calls) == 2:
            raise RuntimeError("disk full")

    with Session(engine) as session, pytest.raises(RuntimeError, match="disk full"):
        apply_kbo_update(
            session,
            _update(tmp_path / "update"),
            ImportReport(),
            batch=3,
            progress=fail_after_first_batch,
        )
    assert calls == [3, 6]
    after = _employers(engine)
    assert {n: (e.name, e.street, e.status, e.phone) for n, e in after.items()} == {
        n: (e.name, e.street, e.status, e.phone) for n, e in before.items()
    }
    with Session(engine) as session:
        assert applied_extract(session) == 136


def test_generated_update_on_a_generated_register(settings, engine, tmp_path):
    count, changes = 20_000, 1_000
    dump = write_dump(tmp_path / "full", count)
    write_meta(dump, "full", 140)
    assert import_kbo(settings, dump)["new"] == count
    counts = import_kbo(settings, write_update(tmp_path / "update", count, changes, 141))
    assert counts == {**expected_counts(changes), "problems": 0}
    assert counts["new"] == 100 and counts["struck_off"] == 100 and counts["changed"] == 800
    with Session(engine) as session:
        renamed = session.exec(
            select(Employer).where(
                Employer.enterprise_number == enterprise_number(0).replace(".", "")
            )
        ).one()
        assert renamed.name == "Renamed Company 0" and renamed.other_names == []
        assert len(session.exec(select(Employer.id)).all()) == count + 100
        assert applied_extract(session) == 141
