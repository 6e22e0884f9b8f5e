"""KBO Open Data *update* extracts for the registers :func:`benchmarks.kbo_dump.write_dump` writes.

An update in the official layout (``<topic>_delete.csv`` with the entity numbers whose rows of
that topic go, ``<topic>_insert.csv`` with all their new rows, ``meta.csv``, ``code.csv``):
``changes`` enterprises spread evenly over the register, of four kinds in a fixed mix —
renamed (denomination replaced, 60 %), moved (address replaced, 20 %), gone (deleted from
every topic and not re-inserted, 10 %) and new (numbers after the last one, 10 %). Rows are
written in enterprise-number order, as the KBO writes them.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.kbo_dump import _CODES, _HEADERS, enterprise_number

_TOPICS = ("enterprise", "denomination", "address", "contact", "activity")


def write_meta(directory: Path, extract_type: str, number: int) -> None:
    """Write the ``meta.csv`` of an extract (``extract_type``: ``full`` or ``update``)."""
    (directory / "meta.csv").write_text(
        '"Variable","Value"\r\n"SnapshotDate","30-05-2025"\r\n'
        '"ExtractTimestamp","01-06-2025 07:07:49"\r\n'
        f'"ExtractType","{extract_type}"\r\n"ExtractNumber","{number}"\r\n'
        '"Version","1.0.0"\r\n',
        encoding="utf-8",
    )


def expected_counts(changes: int) -> dict[str, int]:
    """What applying :func:`write_update` (``changes``) to its register must report."""
    kinds = [_kind(k) for k in range(changes)]
    return {
        "new": kinds.count("new"),
        "changed": kinds.count("renamed") + kinds.count("moved"),
        "unchanged": 0,
        "struck_off": kinds.count("gone"),
        "not_in_register": 0,
    }


def _kind(k: int) -> str:
    rank = k % 10
    return "renamed" if rank < 6 else "moved" if rank < 8 else "gone" if rank == 8 else "new"


def write_update(directory: Path, count: int, changes: int, number: int, offset: int = 0) -> Path:
    """Write update extract ``number`` with ``changes`` changes to a ``count``-enterprise
    register of :func:`~benchmarks.kbo_dump.write_dump` into ``directory``; return it.

    ``offset`` shifts the enterprises touched (and the new numbers), so that successive
    updates change other enterprises."""
    directory.mkdir(parents=True, exist_ok=True)
    step = max(1, count // max(1, changes))
    rows: dict[str, list[str]] = {f"{t}_{op}": [] for t in _TOPICS for op in ("delete", "insert")}
    new_index = count + offset * (changes // 10 + 1)
    plans: list[tuple[int, str]] = []
    for k in range(changes):
        kind = _kind(k)
        if kind == "new":
            plans.append((new_index, kind))
            new_index += 1
        else:
            plans.append(((k * step + offset) % count, kind))
    for index, kind in sorted(plans):
        num = enterprise_number(index)
        if kind == "renamed":
            rows["denomination_delete"].append(f'"{num}"\r\n')
            rows["denomination_insert"].append(f'"{num}","2","001","Renamed Company {index}"\r\n')
        elif kind == "moved":
            rows["address_delete"].append(f'"{num}"\r\n')
            rows["address_insert"].append(
                f'"{num}","REGO",,,"1000","Brussel","Bruxelles","Wetstraat","Rue de la Loi",'
                f'"{index % 200 + 201}","","",\r\n'
            )
        elif kind == "gone":
            for topic in ("enterprise", "denomination", "address", "activity"):
                rows[f"{topic}_delete"].append(f'"{num}"\r\n')
        else:
            rows["enterprise_insert"].append(f'"{num}","AC","000","2","610",,01-06-2025\r\n')
            rows["denomination_insert"].append(f'"{num}","2","001","New Company {index}"\r\n')
            rows["address_insert"].append(
                f'"{num}","REGO",,,"9000","Gent","Gand","Veldstraat","Veldstraat","1","","",\r\n'
            )
            rows["activity_insert"].append(f'"{num}","006","2025","43320","MAIN"\r\n')
    for name, lines in rows.items():
        topic, op = name.rsplit("_", 1)
        header = (
            _HEADERS[topic]
            if op == "insert"
            else ('"EnterpriseNumber"' if topic == "enterprise" else '"EntityNumber"')
        )
        with (directory / f"{name}.csv").open("w", encoding="utf-8", newline="") as f:
            f.write(header + "\r\n")
            f.writelines(lines)
    with (directory / "code.csv").open("w", encoding="utf-8", newline="") as f:
        f.write(_HEADERS["code"] + "\r\n")
        f.writelines(f'"{a}","{b}","{c}","{d}"\r\n' for a, b, c, d in _CODES)
    write_meta(directory, "update", number)
    return directory
