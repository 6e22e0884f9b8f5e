"""Any employer list in (register CSV import), any list matched out (batch matching)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from rich.console import Console
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from entity_resolution.csv_register import EmployerCsv, read_employer_csv
from entity_resolution.identifiers import normalize_enterprise_number
from entity_resolution.register import RegisterEntry, read_kbo_opendata
from pipelines.register_sync import import_entries, import_keyed_entries
from storage.models import Employer
from vigie.batch_match import match_csv
from vigie.register import import_csv
from vigie.settings import Settings

REAL = Path(__file__).parents[1] / "fixtures" / "realworld"
KBO_ROWS = REAL / "kbo_opendata_rows_2025"  # real KBO Open Data rows (names, seats, phones)
YAMNYR = REAL / "kbo_dirty_Yamnyr" / "kbo_enterprise_sample_Yamnyr.csv"

DIRTY_LIST = (
    "Réf;Société;Numéro;Adresse;Téléphone\n"
    "1;Farys;200068636.0;Stropstraat 1, 9000 Gent;\n"
    "2;Intercommunale Sociale du Brabant wallon;200362408;Rue du Cerf 200, 1332 Rixensart;"
    "02/315.13.51\n"
    '3;"=HYPERLINK(""http://evil.example"",""Veneco"")";;;\n'
    "4;;0200.171.970;;\n"
    "5;Friterie Chez Ginette;;Place Sainte-Gudule 4, 1000 Bruxelles;\n"
    "6;Boulangerie Étoile;;Rue Haute 5, 1000 Bruxelles;\n"
    "7;Farys;12345;;\n"
    "8;a;b;c;d;e;f\n"
)


def _register(engine: Engine) -> int:
    """The real KBO rows plus one employer known without an enterprise number."""
    with Session(engine) as session:
        import_entries(session, read_kbo_opendata(KBO_ROWS))
        bakery = RegisterEntry(
            "", "Boulangerie Étoile", street="Rue Haute 5", postcode="1000",
            municipality="Bruxelles",
        )
        import_keyed_entries(session, [("id:B7", bakery)])
        found = session.exec(select(Employer).where(Employer.origin == "csv:id:B7")).one()
        assert found.id is not None
        return found.id


def _read_out(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f, delimiter=";"))


def test_dirty_cp1252_list_gives_one_row_per_input_row(settings: Settings, engine: Engine,
                                                       tmp_path: Path) -> None:
    bakery_id = _register(engine)
    src = tmp_path / "list.csv"
    src.write_bytes(DIRTY_LIST.replace("\n", "\r\n").encode("cp1252"))
    out = tmp_path / "out" / "matched.csv"
    console = Console(file=io.StringIO(), width=120)

    counts = match_csv(settings, src, out, "Société", number_col="Numéro",
                       address_col="Adresse", phone_col="Téléphone", console=console)

    assert counts == {"match": 3, "possible": 0, "none": 5, "problems": 3}
    rows = _read_out(out)
    assert [r["Réf"] for r in rows] == [str(i) for i in range(1, 9)]
    got = [(r["outcome"], r["match_id"]) for r in rows]
    assert got == [
        ("match", "0200.068.636"),  # float number 200068636.0 repaired
        ("match", "0200.362.408"),  # stripped leading zero repaired
        ("none", ""),  # a formula is not a name
        ("none", ""),  # blank name
        ("none", ""),  # unknown company
        ("match", f"employer-id:{bakery_id}"),  # register employer without a number
        ("none", ""),  # unrepairable number
        ("none", ""),  # wrong column count
    ]
    assert rows[0]["match_name"] == "Farys" and rows[0]["score"] == "1.00"
    assert "Enterprise number 0200.068.636 in the list is identical" in rows[0]["explanation"]
    assert " | " in rows[1]["explanation"] and "Phone number +32 2 315 13 51" in rows[1][
        "explanation"]
    assert rows[2]["Société"] == "'=HYPERLINK(\"http://evil.example\",\"Veneco\")"
    assert rows[3]["explanation"] == "no name in column 'Société': line not used"
    assert rows[5]["Société"] == "Boulangerie Étoile"  # cp1252 read correctly
    assert "'12345'" in rows[6]["explanation"]
    assert rows[7]["explanation"].startswith("7 columns where the header has 5")
    assert rows[7]["Réf"] == "8" and rows[7]["Téléphone"] == "d"  # cut to the header
    assert "as cp1252, delimiter ';'" in console.file.getvalue()  # type: ignore[attr-defined]


def test_reader_reports_bad_lines_with_their_line_numbers(tmp_path: Path) -> None:
    src = tmp_path / "list.csv"
    src.write_bytes(DIRTY_LIST.encode("cp1252"))
    reader = EmployerCsv(src, "Société", number_col="Numéro", address_col="Adresse",
                         phone_col="Téléphone", id_col="Réf")
    entries = list(reader.entries())
    assert reader.encoding == "cp1252" and reader.delimiter == ";"
    assert [(p.line, p.message.split(" ")[0]) for p in reader.problems] == [
        (5, "no"), (8, "unusable"), (9, "7")]
    keys = [k for k, _ in entries]
    assert keys == ["id:1", "id:2", "id:3", "id:5", "id:6"]
    bakery = entries[-1][1]
    assert (bakery.postcode, bakery.municipality, bakery.street) == (
        "1000", "Bruxelles", "Rue Haute 5")
    assert entries[1][1].phone == "+3223151351"
    assert reader.repaired_numbers == 2


def test_import_csv_twice_updates_and_reports(settings: Settings, engine: Engine,
                                              tmp_path: Path) -> None:
    with Session(engine) as session:
        import_entries(session, read_kbo_opendata(KBO_ROWS))
    src = tmp_path / "employers.csv"
    src.write_text(
        "id,name,vat,address,phone\n"
        "17,Nettoyage Rapide,,\"Chaussée de Mons 12, 1070 Anderlecht\",0470 12 34 56\n"
        ",Car Wash Sud,,Rue de France 3 6000 Charleroi,\n"
        "18,FARYS Gent,BE 0200.068.636,,\n"
        "19,,,,\n"
        "20,Bad Number,BE0123456780,,\n",
        encoding="utf-8",
    )
    first = import_csv(settings, src, "name", number_col="vat", address_col="address",
                       phone_col="phone", id_col="id")
    assert first == {"new": 2, "updated": 1, "problems": 2, "repaired_numbers": 1}
    src.write_text(src.read_text("utf-8").replace("0470 12 34 56", "0470 99 88 77"), "utf-8")
    console = Console(file=io.StringIO(), width=200)
    second = import_csv(settings, src, "name", number_col="vat", address_col="address",
                        phone_col="phone", id_col="id", console=console)
    assert second == {"new": 0, "updated": 3, "problems": 2, "repaired_numbers": 1}
    printed = console.file.getvalue()  # type: ignore[attr-defined]
    assert "employers.csv line 5: no name" in printed
    assert "employers.csv line 6: unusable enterprise number 'BE0123456780'" in printed
    with Session(engine) as session:
        employers = session.exec(select(Employer)).all()
        assert len(employers) == 10 + 2
        cleaner = next(e for e in employers if e.name == "Nettoyage Rapide")
        assert cleaner.origin == "csv:id:17" and cleaner.enterprise_number is None
        assert cleaner.phone == "+32470998877" and cleaner.postcode == "1070"
        car_wash = next(e for e in employers if e.name == "Car Wash Sud")
        assert car_wash.origin.startswith("csv:h:") and car_wash.postcode == "6000"
        farys = next(e for e in employers if e.enterprise_number == "0200068636")
        # the KBO's legal name and data are kept; the list's spelling becomes another name
        assert farys.name == "Farys" and farys.other_names == ["FARYS Gent"]
        assert farys.origin == "kbo_opendata" and farys.postcode == "9000"


def test_real_yamnyr_numbers_after_spreadsheet_damage(settings: Settings, engine: Engine,
                                                      tmp_path: Path) -> None:
    """The real dirty enterprise list (Yamnyr/Scrapy-KBO) as a spreadsheet would write it:
    numbers as floats without leading zero; names from the real KBO denominations."""
    with Session(engine) as session:
        import_entries(session, read_kbo_opendata(KBO_ROWS))
        names = {e.enterprise_number: e.name for e in read_kbo_opendata(KBO_ROWS)}
    with YAMNYR.open(encoding="utf-8", newline="") as f:
        numbers = [r["EnterpriseNumber"] for r in csv.DictReader(f)]
    src = tmp_path / "yamnyr.csv"
    with src.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t")
        w.writerow(["Naam", "Ondernemingsnr"])
        for raw in numbers:
            number = normalize_enterprise_number(raw)
            assert number is not None
            w.writerow([names.get(number) or "Onbekende firma", f"{int(number)}.0"])
    entries, problems = read_employer_csv(src, "Naam", number_col="Ondernemingsnr")
    assert len(list(entries)) == len(numbers) and problems == []
    out = tmp_path / "out.csv"
    counts = match_csv(settings, src, out, "Naam", number_col="Ondernemingsnr")
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    assert len(rows) == len(numbers) == 10
    for raw, row in zip(numbers, rows, strict=True):
        number = normalize_enterprise_number(raw)
        if number in names:
            assert (row["outcome"], row["match_id"]) == ("match", raw), row
        else:  # 0441.571.714 is not in the register extract
            assert row["outcome"] == "none", row
    assert counts["match"] == sum(1 for raw in numbers
                                  if normalize_enterprise_number(raw) in names)


def test_email_and_website_columns_in_and_out(settings: Settings, engine: Engine,
                                              tmp_path: Path) -> None:
    """An employer list with e-mail and website columns: imported as identifiers, matched
    through them; a job board's address is not kept as a firm's website."""
    register = tmp_path / "employers.csv"
    register.write_text(
        "id;name;email;site\n"
        "1;Poetsdienst Anna;Info@Poets-Anna.be;https://www.facebook.com/PoetsAnna\n"
        "2;Klusjes Ben;mailto:ben.klus@gmail.com;www.klusjesben.be/contact\n"
        "3;Tuinen Carl;geen;https://be.indeed.com/cmp/tuinen-carl\n",
        encoding="utf-8",
    )
    console = Console(file=io.StringIO(), width=200)
    counts = import_csv(settings, register, "name", id_col="id", email_col="email",
                        website_col="site", console=console)
    assert counts["new"] == 3 and counts["problems"] == 0
    with Session(engine) as session:
        stored = {e.name: (e.email, e.website) for e in session.exec(select(Employer))}
    assert stored == {
        "Poetsdienst Anna": ("info@poets-anna.be", "https://www.facebook.com/PoetsAnna"),
        "Klusjes Ben": ("ben.klus@gmail.com", "www.klusjesben.be/contact"),
        "Tuinen Carl": (None, None),
    }
    reader = EmployerCsv(register, "name", email_col="email", website_col="site")
    notes = {row.entry.name: row.notes for row in reader.rows() if row.entry is not None}
    assert notes["Tuinen Carl"] == (
        "e-mail address 'geen' not understood",
        "website 'https://be.indeed.com/cmp/tuinen-carl' is a shared site's address (job board, "
        "directory, network), not the firm's: not used",
    )

    wanted = tmp_path / "wanted.csv"
    wanted.write_text(
        "naam;mail;web\n"
        "Anna's Schoonmaak;;fb.com/poetsanna\n"
        "B. Klusjes;BEN.KLUS@gmail.com;\n"
        "Anna's Schoonmaak;;https://www.facebook.com/someoneelse\n",
        encoding="utf-8",
    )
    out = tmp_path / "matched.csv"
    match_csv(settings, wanted, out, "naam", email_col="mail", website_col="web")
    rows = _read_out(out)
    assert rows[0]["match_name"] == "Poetsdienst Anna"
    assert "The website page facebook.com/poetsanna in the list is the register's website" in (
        rows[0]["explanation"])
    assert rows[1]["match_name"] == "Klusjes Ben"
    assert "ben.klus@gmail.com" in rows[1]["explanation"]
    # another firm's page on the same network is no evidence at all
    assert rows[2]["outcome"] == "none"
