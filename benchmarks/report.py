"""Present benchmark results: a Rich table on the console and a JSON file for machines."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.common import BenchResult


def fmt(value: float) -> str:
    """Readable figures: 1,234 / 56.7 / 0.961 / 0.0021."""
    if math.isinf(value) or math.isnan(value):
        return str(value)
    size = abs(value)
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 100:
        return f"{value:.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 0.01 or size == 0:
        return f"{value:.3f}".rstrip("0").rstrip(".") if value else "0"
    return f"{value:.2g}"


def fmt_ratio(value: float) -> str:
    if math.isinf(value) or math.isnan(value):
        return str(value)
    return f"{value:.3g}×"


def results_table(results: list[BenchResult], machine: dict[str, Any], mode: str) -> Table:
    table = Table(
        "benchmark",
        "measure",
        "unit",
        "Vigie",
        "baseline",
        "ratio V/B",
        title=(
            f"Vigie benchmarks ({mode}) — {machine['date']}, {machine['cores']} cores, "
            f"Python {machine['python']}"
        ),
        caption="ratio = Vigie ÷ baseline, both measured in this run; "
        "↑ higher is better, ↓ lower is better",
    )
    for res in results:
        first = True
        for row in res.comparisons:
            arrow = "↑" if row.higher_is_better else "↓"
            good = (row.ratio >= 1) == row.higher_is_better
            style = "green" if good else "yellow"
            table.add_row(
                res.name if first else "",
                row.measure,
                f"{row.unit} {arrow}".strip(),
                fmt(row.vigie),
                fmt(row.baseline),
                f"[{style}]{fmt_ratio(row.ratio)}[/]",
            )
            first = False
        if res.peak_memory_mb:
            v = res.peak_memory_mb.get("vigie", 0.0)
            b = res.peak_memory_mb.get("baseline", 0.0)
            table.add_row("", "peak memory", "MB ↓", fmt(v), fmt(b), fmt_ratio(v / b) if b else "—")
        table.add_section()
    return table


def print_report(
    console: Console,
    results: list[BenchResult],
    machine: dict[str, Any],
    mode: str,
    errors: dict[str, str],
) -> None:
    console.print(results_table(results, machine, mode))
    for res in results:
        console.print(
            f"[bold]{res.name}[/] ({res.seconds:.0f} s) — {res.title}; " f"baseline: {res.baseline}"
        )
        params = ", ".join(f"{k}={v}" for k, v in res.params.items())
        console.print(f"  parameters: {params}", highlight=False)
        if res.memory_method:
            console.print(f"  memory: {res.memory_method}", highlight=False)
        for note in res.notes:
            console.print(f"  note: {note}", highlight=False)
    for name, message in errors.items():
        console.print(f"[red bold]{name} failed:[/] {message}", highlight=False)


def write_json(
    path: Path,
    results: list[BenchResult],
    machine: dict[str, Any],
    mode: str,
    errors: dict[str, str],
    total_seconds: float,
    command: str,
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "command": command,
        "mode": mode,
        "machine": machine,
        "total_seconds": round(total_seconds, 1),
        "benchmarks": [r.as_dict() for r in results],
        "errors": errors,
    }
    path.write_text(
        json.dumps(data, indent=1, default=str, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def markdown_table(data: dict[str, Any]) -> str:
    """The results of a ``latest.json`` as a Markdown table (for the README)."""
    machine = data["machine"]
    lines = [
        f"Measured {machine['date'][:10]} on {machine['cores']} cores ({machine['cpu']}), "
        f"Python {machine['python']}, `{data['command']}`, {data['total_seconds']:.0f} s.",
        "",
        "| benchmark | measure | unit | Vigie | baseline | ratio V/B |",
        "|---|---|---|---:|---:|---:|",
    ]
    for raw in data["benchmarks"]:
        res = BenchResult.from_dict(raw)
        name = res.name
        for row in res.comparisons:
            arrow = "↑" if row.higher_is_better else "↓"
            lines.append(
                f"| {name} | {row.measure} | {row.unit} {arrow} | {fmt(row.vigie)} | "
                f"{fmt(row.baseline)} | {fmt_ratio(row.ratio)} |"
            )
            name = ""
        if res.peak_memory_mb:
            v, b = res.peak_memory_mb["vigie"], res.peak_memory_mb["baseline"]
            lines.append(
                f"| | peak memory | MB ↓ | {fmt(v)} | {fmt(b)} | "
                f"{fmt_ratio(v / b) if b else '—'} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    source = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).parent / "results" / "latest.json"
    )
    print(markdown_table(json.loads(source.read_text(encoding="utf-8"))))
