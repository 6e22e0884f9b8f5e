"""``vigie investigate``: one targeted launch that fans out to every source able to answer.

An analyst gives an enterprise number, a name, a person, an address and/or a phone, and the
mandatory purpose (and case reference) of the launch. :func:`plan` decides, from what is given,
which sources to ask and how; :func:`vigie.investigate_run.run_investigation` runs the steps,
each as a real crawl in its own process (``vigie crawl``: Twisted's reactor runs once per
process), recorded as a CrawlRun with the same purpose, case reference and investigation id
(spider argument ``investigation``, so it is in the run's ``args`` and in its ``crawl.launch``
audit event). Later steps use what earlier ones stored: the enterprises the register search
found, the website and the name the register gives for the enterprise. Every source keeps its
own politeness (the YAML's, or the operator's settings); nothing here overrides it.

Plan rules (``MAX_FANOUT`` bounds how many enterprises found are followed — proportionality):

- number → register page of the number; Gazette publications of the number; the enterprise's
  website as the register gives it; every searchable job board, searched for the register's name.
- name → the register's search by name (its enterprises are followed: Gazette, websites);
  every searchable job board searched for the name.
- address → the register's search by address; the enterprises found are reported, not followed
  (one address can hold hundreds of firms).
- phone → every searchable job board searched for the number; Vigie's own records and register.
- person → the people Vigie's database already knows from register pages and Gazette
  publications (Person/Role), then their enterprises as for a number. No public source here can be
  searched by a person's name: that is said in the report, never silently skipped.
- always, last: what Vigie already holds on the enterprises followed, the phone, the address.

Sources that cannot answer (a board without a search URL, the feed, the JavaScript classifieds)
appear in the plan and the report as "not covered", with the reason — never as "nothing found".
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from entity_resolution.compare import is_distinctive
from entity_resolution.identifiers import (
    normalize_enterprise_number,
    normalize_phone,
    registered_domain,
)
from entity_resolution.names import normalize_name
from vigie.errors import VigieError

MAX_FANOUT = 10
"""At most this many enterprises found by a search are followed (Gazette, websites)."""
LIMITS = {"registry": 25, "gazette": 20, "websites": 10}
"""Pages (registry, gazette) or sites (websites) per step; job boards: ``BOARD_LIMIT`` ads."""
BOARD_LIMIT = 60
DB = "db"
_WORD = re.compile(r"\w")
_EDGE = ".,;:!?()[]\"'«»"

NOT_SEARCHABLE_BY_PERSON = {
    "registry": "the KBO/BCE public search has no search by a natural person's name (only by "
                "number, name, address or activity); the person is looked up in Vigie's "
                "database (directors read on register pages) and their enterprises followed",
    "gazette": "the Gazette's publication lists (ejustice annexes) are searched by enterprise, "
               "not by the persons a publication names; appointments and resignations already "
               "read are in Vigie's database (Person/Role) and their enterprises followed",
}
LISTINGS_NOT_SEARCHABLE = (
    "the classifieds are rendered by JavaScript and offer no search the listings spider can "
    "use; listings already captured are searched in Vigie's database (last step)"
)


class InvestigationError(VigieError):
    """An investigation was refused (no purpose, nothing to look for, a malformed value)."""


@dataclass(frozen=True)
class Target:
    """What the analyst is looking for; values are checked and normalised by :meth:`of`."""

    number: str | None = None  # 10 digits
    name: str | None = None
    person: str | None = None
    address: str | None = None
    phone: str | None = None  # E.164

    @classmethod
    def of(
        cls,
        number: str | None = None,
        name: str | None = None,
        person: str | None = None,
        address: str | None = None,
        phone: str | None = None,
    ) -> Target:
        """A target from the analyst's input; a value that is not what it claims is refused."""
        from spiders import SpiderError
        from spiders.registry import parse_address

        clean = {k: (v or "").strip() or None for k, v in
                 {"number": number, "name": name, "person": person, "address": address,
                  "phone": phone}.items()}
        if not any(clean.values()):
            raise InvestigationError(
                "nothing to investigate: give --number, --name, --person, --address or --phone"
            )
        if clean["number"]:
            normal = normalize_enterprise_number(clean["number"])
            if normal is None:
                raise InvestigationError(f"not a valid enterprise number: {clean['number']!r}")
            clean["number"] = normal
        if clean["phone"]:
            e164 = normalize_phone(clean["phone"])
            if e164 is None:
                raise InvestigationError(f"not a valid phone number: {clean['phone']!r}")
            clean["phone"] = e164
        if clean["address"]:
            try:
                parse_address(clean["address"])
            except SpiderError as exc:
                raise InvestigationError(str(exc)) from exc
        return cls(**clean)

    def given(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v}


@dataclass(frozen=True)
class Step:
    """One question to one source.

    ``source`` is a spider name, or ``"db"`` for a lookup in Vigie's own database. ``derive``
    says which arguments are only known once earlier steps ran: ``numbers`` (the enterprises
    found so far), ``domains`` (their websites per the register), ``employer_name`` (the
    register's name of the enterprise number given). ``not_covered`` marks a source that cannot
    answer this question (the reason is reported; nothing is fetched).
    """

    source: str
    args: dict[str, str]
    why: str
    derive: str | None = None
    not_covered: str | None = None

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in self.args.items()]
        if self.derive:
            parts.append(f"{self.derive}=‹{DERIVED[self.derive]}›")
        return " ".join(parts)


SEARCH_KEYS = {"name", "address", "query", "person", "number", "phone"}
"""Arguments that make a step a question of its own (without them, a step deriving its
enterprise numbers and finding none is skipped, never run as a full crawl)."""
DERIVED = {
    "numbers": "enterprises found by the steps before",
    "domains": "their websites, as the register gives them",
    "employer_name": "the register's name of the enterprise",
}


def job_sources() -> tuple[list[str], dict[str, str]]:
    """Searchable job boards (``url_templates.search``), and the other job sources with the
    reason they cannot be searched."""
    from spiders.source import sources_of_kind

    searchable: list[str] = []
    other: dict[str, str] = {}
    for spec in sources_of_kind("job_board", "job_feed"):
        if "{query}" in spec.url_templates.get("search", ""):
            searchable.append(spec.name)
        elif spec.kind == "job_feed":
            other[spec.name] = "an XML feed of all ads: it has no search, only a full crawl"
        else:
            other[spec.name] = (f"no search URL in {spec.name}.yaml (url_templates.search): "
                                "the board can only be crawled whole")
    return searchable, other


def plan(target: Target) -> list[Step]:
    """The steps answering ``target``, in the order they run (rules: module docstring)."""
    steps: list[Step] = []
    follows = bool(target.number or target.name or target.person)
    if target.person:
        steps.append(Step(DB, {"person": target.person},
                          "people already known from register pages and Gazette publications, "
                          "and the enterprises where they hold a function"))
        for source, reason in NOT_SEARCHABLE_BY_PERSON.items():
            steps.append(Step(source, {"person": target.person}, "search by person",
                              not_covered=reason))
    if follows:
        args = {"name": target.name} if target.name else {}
        why = " and ".join(w for w in (
            "the register page of every enterprise given or found" if target.number or
            target.person else "",
            "the register's search by name" if target.name else "") if w)
        steps.append(Step("registry", args, why,
                          derive="numbers" if target.number or target.person else None))
    if target.address:
        steps.append(Step("registry", {"address": target.address},
                          "the register's search by address (enterprises reported, not "
                          "followed: one address can hold hundreds of firms)"))
    if follows:
        steps.append(Step("gazette", {"details": "1"},
                          "Gazette publications (appointments, resignations, bankruptcies) of "
                          "every enterprise followed", derive="numbers"))
        steps.append(Step("websites", {}, "the websites the register gives for the enterprises "
                          "followed (legal notice, contact, enterprise number)", derive="domains"))
    queries: list[tuple[dict[str, str], str | None, str]] = []
    if target.name:
        queries += [({"query": q}, None, why) for q, why in board_queries(target.name)]
    elif target.number:
        queries.append(({}, "employer_name", "ads of the enterprise, by its register name"))
    if target.phone:
        queries.append(({"query": national_phone(target.phone)}, None,
                        "ads giving the phone number"))
    boards, unsearchable = job_sources()
    for args, derive, why in queries:
        for board in boards:
            steps.append(Step(board, args, f"{board} search: {why}", derive=derive))
    if queries:
        for board, reason in unsearchable.items():
            steps.append(Step(board, {}, "job-ad search", not_covered=reason))
    if target.phone or target.name:
        steps.append(Step("listings", {}, "service-listing search",
                          not_covered=LISTINGS_NOT_SEARCHABLE))
    final = {k: v for k, v in target.given().items()
             if k in ("name", "phone", "address") or (k == "number" and not follows)}
    steps.append(Step(DB, final, "what Vigie already holds: records citing the enterprises "
                      "followed, the phone or the address, their matches and signals",
                      derive="numbers" if follows else None))
    return steps


def board_queries(name: str) -> list[tuple[str, str]]:
    """What a job board's search box is asked for an employer's name, and why.

    A board's search is literal (every word must appear), and ads write a firm's name their own
    way: with or without its legal form, old or new (SPRL/SRL), dotted, with or without the
    trade word. So the board is asked for the name without legal form and status words (a
    search that finds everything the full name finds, and more), and, when the name also has
    generic or place words, for its distinctive words alone (broader still: the pipeline's
    matcher, not the board, decides which ads are the employer's). The words keep their
    written form (accents, case). Misspellings in an ad are not reached by any literal search:
    Vigie's own records, matched fuzzily, cover those (the last step).
    """
    words = [w.strip(_EDGE) for w in name.split() if _WORD.search(w)]
    tokens = normalize_name(name).tokens
    if not tokens:
        return [(name, "ads naming the employer")]
    core = words
    for width in range(1, len(words) + 1):  # shortest run of words giving the same name
        runs = (words[i:i + width] for i in range(len(words) - width + 1))
        found = next((r for r in runs if normalize_name(" ".join(r)).tokens == tokens), None)
        if found:
            core = found
            break
    queries = [(" ".join(core), "ads naming the employer (legal form left out)")]
    distinctive = [w for w in core if _distinctive_word(w)]
    if distinctive and distinctive != core:
        queries.append((" ".join(distinctive),
                        "ads naming the employer's distinctive words (trade and place words "
                        "left out)"))
    return queries


def _distinctive_word(word: str) -> bool:
    tokens = normalize_name(word).tokens
    return len(tokens) == 1 and is_distinctive(tokens[0])


def national_phone(e164: str) -> str:
    """``"+32470123456"`` → ``"0470 12 34 56"``: as a phone is written in Belgian ads."""
    import phonenumbers

    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def demo_site_path(website: str) -> str | None:
    """Where the demo web serves the site of ``www.<slug>.be``: ``/sites/<slug>/``."""
    domain = registered_domain(website.split("//")[-1].split("/")[0])
    if not domain:
        return None
    return f"/sites/{domain.split('.')[0]}/"



def summarize_sources(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per source: steps, pages, records, matched employers, signals, verdicts."""
    out: dict[str, dict[str, Any]] = {}
    for r in results:
        s = out.setdefault(r["source"], {"steps": 0, "pages": 0, "blocked": 0, "records": 0,
                                         "matched_employers": 0, "signals_raised": 0,
                                         "signals_touched": 0, "problems": 0, "verdicts": []})
        s["steps"] += 1
        s["pages"] += r.get("pages", 0)
        s["blocked"] += r.get("blocked", 0)
        s["records"] += r.get("records", 0)
        s["matched_employers"] += len(r.get("matched_employers", []))
        s["signals_raised"] += len(r.get("signals_raised", []))
        s["signals_touched"] += len(r.get("signals_touched", []))
        s["problems"] += r.get("problem_count", 0)
        s["verdicts"].append(r["verdict"])
    return out


def print_plan(console: Console, steps: list[Step]) -> None:
    table = Table("#", "source", "arguments", "why", title="Investigation plan")
    for n, step in enumerate(steps, 1):
        why = f"NOT COVERED: {step.not_covered}" if step.not_covered else step.why
        table.add_row(str(n), step.source, Text(step.describe()), Text(why))
    console.print(table)


def print_report(console: Console, report: dict[str, Any]) -> None:
    table = Table("#", "source", "arguments", "run", "pages", "records", "employers",
                  "signals new/seen", "outcome",
                  title=f"Investigation {report['investigation']} — {report['purpose']}")
    for r in report["steps"]:
        employers = ", ".join(f"{e['enterprise_number'] or '?'} {e['name']}"
                              for e in r.get("matched_employers", [])[:3])
        more = len(r.get("matched_employers", [])) - 3
        table.add_row(
            str(r["step"]), r["source"],
            Text(" ".join(f"{k}={v}" for k, v in r["args"].items())[:60]),
            str(r.get("run_id") or ""), str(r.get("pages", "")), str(r.get("records", "")),
            Text(employers + (f" (+{more})" if more > 0 else "")),
            f"{len(r.get('signals_raised', []))}/{len(r.get('signals_touched', []))}"
            if "run_id" in r else (f"{len(r['signals_on_file'])} on file"
                                   if "signals_on_file" in r else ""),
            Text(r["verdict"]))
    console.print(table)
    for note in report["notes"]:
        console.print(Text(f"note: {note}"))
