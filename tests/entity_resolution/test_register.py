"""KBO Open Data reader on the real sample rows, a zipped dump, dirty input, streaming."""

from __future__ import annotations

import os
import shutil
import threading
import zipfile
from datetime import date
from pathlib import Path

import pytest

from entity_resolution import EntityResolutionError
from entity_resolution.kbo_update import (
    ExtractMeta,
    ExtractOrderError,
    check_extract_order,
    read_extract_meta,
    read_kbo_update,
)
from entity_resolution.register import ImportReport, RegisterEntry, read_kbo_opendata

NUMBERS = [
    "0200065765",
    "0200068636",
    "0200171970",
    "0200245711",
    "0200305493",
    "0200362210",
    "0200362408",
    "0200420410",
    "0200420608",
    "0200448421",
]


def read(path: Path) -> tuple[dict[str, RegisterEntry], ImportReport]:
    report = ImportReport()
    entries = {e.enterprise_number: e for e in read_kbo_opendata(path, report)}
    return entries, report


def test_real_sample_rows(kbo_dump: Path) -> None:
    entries, report = read(kbo_dump)
    assert list(entries) == NUMBERS
    veneco = entries["0200065765"]
    assert veneco.name == "Intergemeentelijke Vereniging Veneco"  # denomination 001
    assert veneco.other_names == ("Veneco",)  # 002 abbreviation
    assert veneco.status == "AC"
    assert veneco.juridical_situation == "000"
    assert veneco.juridical_situation_label == "Situation normale"
    assert veneco.start_date == date(1960, 8, 9)
    assert (veneco.street, veneco.postcode, veneco.municipality) == (
        "Panhuisstraat 1",
        "9070",
        "Destelbergen",
    )
    assert veneco.legal_form_code == "416"
    assert veneco.nace_codes == ("84130", "68121") and veneco.nace_version == "2025"
    isbw = entries["0200362408"]
    assert isbw.name == "Intercommunale Sociale du Brabant wallon"
    assert isbw.other_names == ("I.S.B.W.",)
    assert isbw.phone == "+3223151351"  # "02 315 13 51" in contact.csv
    assert isbw.email == "info@isbw.be"
    assert (isbw.postcode, isbw.municipality) == ("1332", "Rixensart")
    assert entries["0200245711"].juridical_situation == "012"
    assert entries["0200245711"].other_names == ("DENDEROORD",)
    assert entries["0200420608"].legal_form == "Etablissement public"  # label from code.csv
    assert entries["0200068636"].nace_codes == ("36000", "93110", "93299", "93126")
    assert [e.postcode for e in entries.values()] == [
        "9070",
        "9000",
        "9000",
        "9500",
        "9520",
        "1400",
        "1332",
        "3290",
        "8970",
        "8500",
    ]
    assert all(e.status == "AC" and e.country == "BE" for e in entries.values())
    # ActivityGroup 006 ("Activités ONSS") appears in the sample for exactly these three.
    # (0200.362.408 is "Employeur ONSS" on its kbopub page, but its activity rows are not in
    # this excerpt, so from these rows it is not an employer.)
    assert {n for n, e in entries.items() if e.onss_employer} == {
        "0200065765",
        "0200068636",
        "0200305493",
    }
    # The sample has no denomination rows for the last two (non-contiguous excerpt).
    assert entries["0200420608"].name == "" and entries["0200448421"].name == ""
    assert report.enterprises == 10
    assert report.entries_without_name == 2
    assert report.orphan_rows == {"address.csv": 8, "contact.csv": 7}
    assert report.problems == []


def test_zipped_dump(kbo_dump: Path, tmp_path: Path) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    archive = folder / "KboOpenData_0136_2025_05_30_Full.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for f in kbo_dump.iterdir():
            z.write(f, f.name)
    from_folder, _ = read(kbo_dump)
    assert read(folder)[0] == from_folder  # a folder holding the zip
    assert read(archive)[0] == from_folder  # the zip itself


def test_establishment_rows_skipped_and_bad_lines_reported(kbo_dump: Path) -> None:
    with (kbo_dump / "activity.csv").open("a", encoding="utf-8") as f:
        f.write('"2.000.000.339","001","2008","47111","MAIN"\n')  # establishment unit row
        f.write('"garbage","006","2008","47111","MAIN"\n')
    with (kbo_dump / "enterprise.csv").open("a", encoding="utf-8") as f:
        f.write('"0999.999.999","AC","000","2","416",,01-01-2000\n')  # check digits wrong
        f.write('"0400.051.358","AC","000","2","416",,32-13-2000\n')  # real number, bad date
    entries, report = read(kbo_dump)
    assert report.establishment_rows == {"activity.csv": 1}
    problems = [(p.file, p.line, p.message) for p in report.problems]
    assert ("activity.csv", 22, "unusable entity number 'garbage'") in problems
    assert ("enterprise.csv", 12, "unusable enterprise number '0999.999.999'") in problems
    assert ("enterprise.csv", 13, "unreadable StartDate '32-13-2000'") in problems
    assert entries["0400051358"].start_date is None
    assert entries["0400051358"].country == "Allemagne (Rép.féd.)"  # seat abroad (address.csv)
    assert entries["0400051358"].postcode is None
    assert len(entries) == 11


def test_unsorted_side_file_is_reported(kbo_dump: Path) -> None:
    lines = (kbo_dump / "denomination.csv").read_text("utf-8").splitlines()
    (kbo_dump / "denomination.csv").write_text(
        "\n".join([lines[0], *reversed(lines[1:])]) + "\n", encoding="utf-8"
    )
    _, report = read(kbo_dump)
    assert any(p.file == "denomination.csv" and "not sorted" in p.message for p in report.problems)


def test_dirty_spreadsheet_copy_is_repaired(tmp_path: Path, kbo_dirty_csv: Path) -> None:
    shutil.copyfile(kbo_dirty_csv, tmp_path / "enterprise.csv")
    entries, report = read(tmp_path)
    assert len(entries) == 10
    first = entries["0441571714"]
    assert first.legal_form_code == "416"  # written "416.0"
    assert first.juridical_situation == "000"  # written "0"
    assert entries["0200245711"].juridical_situation == "012"  # written "12"
    assert entries["0200420410"].legal_form_code == "051"  # written "51.0"
    assert entries["0200448421"].start_date == date(1963, 8, 2)
    assert report.repaired_values == 20
    assert report.problems == []


def test_stripped_zero_numbers_are_repaired(tmp_path: Path) -> None:
    (tmp_path / "enterprise.csv").write_text(
        "EnterpriseNumber;Status;JuridicalSituation;TypeOfEnterprise;JuridicalForm;"
        "JuridicalFormCAC;StartDate\n"
        "200065765.0;AC;0;2;416.0;;1960-08-09\n"
        "200068636;AC;0;2;417;;16/02/1923\n",
        encoding="utf-8",
    )
    entries, report = read(tmp_path)
    assert list(entries) == ["0200065765", "0200068636"]
    assert entries["0200065765"].start_date == date(1960, 8, 9)
    assert entries["0200068636"].start_date == date(1923, 2, 16)
    assert report.repaired_values >= 4


def test_missing_dump() -> None:
    with pytest.raises(EntityResolutionError):
        list(read_kbo_opendata(Path("/nonexistent/kbo")))


def _number(k: int) -> str:
    first8 = 4_000_000 + k  # 0400.000.0xx …
    num = f"{first8:08d}{97 - first8 % 97:02d}"
    return f"{num[:4]}.{num[4:7]}.{num[7:]}"


def test_streams_with_a_merge_join(tmp_path: Path) -> None:
    """activity.csv is a pipe written only as fast as entries come out: a reader that loaded
    a whole file before yielding would leave the writer waiting (and this test failing)."""
    n, lag = 3_000, 100
    with (tmp_path / "enterprise.csv").open("w", encoding="utf-8") as e:
        e.write(
            '"EnterpriseNumber","Status","JuridicalSituation","TypeOfEnterprise",'
            '"JuridicalForm","JuridicalFormCAC","StartDate"\n'
        )
        for k in range(n):
            e.write(f'"{_number(k)}","AC","000","2","610",,01-01-2000\n')
    os.mkfifo(tmp_path / "activity.csv")
    progress = 0
    moved = threading.Condition()
    stalled: list[int] = []

    def writer() -> None:
        with (tmp_path / "activity.csv").open("w", encoding="utf-8") as a:
            a.write('"EntityNumber","ActivityGroup","NaceVersion","NaceCode","Classification"\n')
            for k in range(n):
                group = "006" if k % 2 else "001"
                a.write(f'"{_number(k)}","{group}","2025","43210","MAIN"\n')
                a.flush()
                with moved:
                    if not moved.wait_for(lambda k=k: progress >= k - lag, timeout=10):
                        stalled.append(k)
                        return

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    employers = 0
    for entry in read_kbo_opendata(tmp_path):
        employers += bool(entry.onss_employer)
        with moved:
            progress += 1
            moved.notify_all()
    thread.join(timeout=15)
    assert stalled == []
    assert progress == n and employers == n // 2


# --------------------------------------------------------------------------- update extracts

UPDATE = Path(__file__).parents[1] / "fixtures" / "realworld" / "kbo_opendata_update_0137"


def test_meta_tells_full_from_update(kbo_dump: Path) -> None:
    full = read_extract_meta(kbo_dump)  # the real meta.csv of extract #136
    assert (full.extract_type, full.number, full.snapshot_date) == ("full", 136, date(2025, 5, 30))
    assert full.timestamp == "01-06-2025 07:07:49" and full.version == "1.0.0"
    update = read_extract_meta(UPDATE)
    assert update.is_update and update.number == 137
    (kbo_dump / "meta.csv").unlink()
    assert read_extract_meta(kbo_dump) == ExtractMeta("full")


def test_meta_contradicting_the_files_is_an_error(tmp_path: Path) -> None:
    shutil.copytree(UPDATE, tmp_path / "u")
    meta = (tmp_path / "u" / "meta.csv").read_text("utf-8")
    (tmp_path / "u" / "meta.csv").write_text(meta.replace('"update"', '"full"'), "utf-8")
    with pytest.raises(EntityResolutionError, match="says ExtractType 'full'"):
        read_extract_meta(tmp_path / "u")
    shutil.copy(UPDATE / "meta.csv", tmp_path / "u" / "meta.csv")
    shutil.copy(UPDATE / "denomination_insert.csv", tmp_path / "u" / "enterprise.csv")
    with pytest.raises(EntityResolutionError, match="keep one extract per folder"):
        read_extract_meta(tmp_path / "u")


def test_update_is_read_as_changes_per_enterprise() -> None:
    report = ImportReport()
    changes = {c.enterprise_number: c for c in read_kbo_update(UPDATE, report)}
    assert list(changes) == sorted(changes)
    assert len(changes) == 9 and report.enterprises == 9
    assert changes["0200065765"].topics == {"address"}
    assert changes["0200065765"].entry.street == "Rue du Chêne 16"
    assert changes["0200065765"].entry.municipality == "Bruxelles"
    gone = changes["0200171970"]
    assert gone.removed and gone.topics == {"enterprise", "denomination", "address"}
    new = changes["0200420410"]
    assert not new.removed and new.topics == {"enterprise", "denomination", "address"}
    assert new.entry.legal_form_code == "051" and new.entry.start_date == date(1968, 1, 1)
    assert changes["0200245711"].entry.juridical_situation_label == "Situation normale"
    # contact rows replace the contacts as a whole: no phone any more
    isbw = changes["0200362408"].entry
    assert (isbw.phone, isbw.email) == (None, "contact@isbw.be")
    assert changes["0201310929"].entry.phone == "+3289323950"  # "089/32.39.50"
    solva = changes["0200305493"].entry
    assert solva.onss_employer is False and solva.nace_codes == ("84130", "41003")
    assert report.establishment_rows == {
        "address_delete.csv": 1,
        "address_insert.csv": 1,
        "establishment_delete.csv": 1,
        "establishment_insert.csv": 1,
    }
    assert report.problems == [] and report.entries_without_name == 0


def test_full_and_update_readers_refuse_each_other(kbo_dump: Path) -> None:
    with pytest.raises(EntityResolutionError, match="is an update extract"):
        list(read_kbo_opendata(UPDATE))
    with pytest.raises(EntityResolutionError, match="is a full extract"):
        list(read_kbo_update(kbo_dump))


def test_update_without_code_table_is_refused(tmp_path: Path) -> None:
    shutil.copytree(UPDATE, tmp_path / "u")
    (tmp_path / "u" / "code.csv").unlink()
    with pytest.raises(EntityResolutionError, match="no code.csv"):
        list(read_kbo_update(tmp_path / "u"))


def test_unsorted_update_file_is_reported(tmp_path: Path) -> None:
    shutil.copytree(UPDATE, tmp_path / "u")
    path = tmp_path / "u" / "denomination_insert.csv"
    lines = path.read_text("utf-8").splitlines()
    path.write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n", encoding="utf-8")
    report = ImportReport()
    numbers = [c.enterprise_number for c in read_kbo_update(tmp_path / "u", report)]
    assert numbers != sorted(numbers)  # nothing lost: out-of-order rows come as extra changes
    assert any(
        p.file == "denomination_insert.csv" and "not sorted" in p.message for p in report.problems
    )


@pytest.mark.parametrize(
    ("kind", "number", "applied", "error"),
    [
        ("update", 137, 136, None),
        ("update", 137, 137, "already in the register"),
        ("update", 136, 137, "already in the register"),
        ("update", 139, 137, "apply extract 138 first"),
        ("update", 137, None, "no extract number is recorded"),
        ("update", None, 136, "no ExtractNumber"),
        ("full", 140, 137, None),
        ("full", 137, 137, None),
        ("full", None, 137, None),
        ("full", 136, 137, "older than extract 137"),
    ],
)
def test_extract_order(kind: str, number: int | None, applied: int | None, error: str) -> None:
    meta = ExtractMeta(kind, number)
    if error is None:
        check_extract_order(meta, applied)
    else:
        with pytest.raises(ExtractOrderError, match=error):
            check_extract_order(meta, applied)
        check_extract_order(meta, applied, force=True)  # forced: no check


def test_update_streams_with_a_merge(tmp_path: Path) -> None:
    """denomination_insert.csv is a pipe written only as fast as changes come out."""
    n, lag = 3_000, 100
    shutil.copy(UPDATE / "code.csv", tmp_path / "code.csv")
    shutil.copy(UPDATE / "meta.csv", tmp_path / "meta.csv")
    with (tmp_path / "denomination_delete.csv").open("w", encoding="utf-8") as d:
        d.write('"EntityNumber"\n')
        d.writelines(f'"{_number(k)}"\n' for k in range(n))
    os.mkfifo(tmp_path / "denomination_insert.csv")
    progress = 0
    moved = threading.Condition()
    stalled: list[int] = []

    def writer() -> None:
        with (tmp_path / "denomination_insert.csv").open("w", encoding="utf-8") as a:
            a.write('"EntityNumber","Language","TypeOfDenomination","Denomination"\n')
            for k in range(n):
                a.write(f'"{_number(k)}","2","001","Name {k}"\n')
                a.flush()
                with moved:
                    if not moved.wait_for(lambda k=k: progress >= k - lag, timeout=10):
                        stalled.append(k)
                        return

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    named = 0
    for change in read_kbo_update(tmp_path):
        named += change.entry.name == f"Name {progress}"
        with moved:
            progress += 1
            moved.notify_all()
    thread.join(timeout=15)
    assert stalled == []
    assert progress == n and named == n
