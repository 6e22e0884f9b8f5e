"""The crawl benchmark's register: the demo world's KBO export padded with filler entries
reads back through the real KBO Open Data reader, complete and without problems."""

from __future__ import annotations

from pathlib import Path

from benchmarks.bench_crawl import write_register
from benchmarks.filler import filler_entries
from demo.world import build_world
from entity_resolution.register import ImportReport, read_kbo_opendata


def test_padded_dump_reads_back_whole_and_sorted(tmp_path: Path) -> None:
    total = write_register(7, 60, 400, tmp_path / "kbo")
    report = ImportReport()
    entries = list(read_kbo_opendata(tmp_path / "kbo", report))
    assert total == 400 and len(entries) == 400
    assert report.problems == []
    numbers = [e.enterprise_number for e in entries]
    assert numbers == sorted(numbers) and len(set(numbers)) == 400
    world = build_world(7, 60)
    filler = {e.enterprise_number: e for e in filler_entries(400 - len(
        [x for x in world.employers if x.in_open_data]), world, seed=7)}
    read = {e.enterprise_number: e for e in entries}
    some = sorted(filler)[:25]
    for number in some:  # names, seats, ONSS quality and phones survive the CSV round trip
        want, got = filler[number], read[number]
        assert (got.name, got.postcode, got.onss_employer) == (
            want.name, want.postcode, want.onss_employer)
        assert got.status == "AC" and got.nace_codes
        if want.phone:
            assert got.phone
    demo = [e for e in world.employers if e.in_open_data][0]
    assert read[demo.enterprise_number].name == demo.name
