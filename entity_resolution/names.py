"""Company and person names, normalised for comparison.

``normalize_name("BOUWWERKEN PEETERS B.V.B.A.")`` gives ``core == "bouwwerken peeters"`` and
``legal_form.abbreviation == "BVBA"`` (ELF code N5NT, Belgium). The steps, in order:

1. fold: lower case, accents and ligatures removed (``text.fold``);
2. ``&``, ``+``, ``en``, ``et``, ``und``, ``and`` become ``&``; other punctuation becomes space;
3. runs of single letters are joined (``b v b a`` → ``bvba``, ``s.p.r.l.`` → ``sprl``), a
   legal form at the end of a run kept apart (``D.S.M. N.V.`` → ``dsm nv``);
   what follows a legal form after a comma or "te" is the seat and is dropped
   (``DSM N.V., te Heerlen, NL`` → ``dsm nv``);
4. trailing status words are dropped (``in vereffening``, ``en liquidation``, ``i.o.`` …);
5. the legal form is removed: the longest run of trailing words that spells a legal form of the
   GLEIF ISO 20275 ELF list (BE NL FR DE LU PL RO BG PT ES IT GB) or of the hand-kept alias list
   (old Belgian forms, spaced/dotted variants); a few common Belgian forms also as a prefix
   (``BVBA Peeters``, ``ASBL Les Amis``). A name that is nothing but a legal form keeps it.

Comparisons downstream use ``core`` and ``tokens``; ``cleaned`` keeps the legal form.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from entity_resolution import EntityResolutionError
from entity_resolution.text import fold

DATA_DIR = Path(__file__).parent / "data"

#: Country preference when one written form denotes several legal forms (Belgium first).
COUNTRY_ORDER = ("BE", "NL", "FR", "LU", "DE", "GB", "PL", "RO", "BG", "PT", "ES", "IT", "US")

_CONNECTORS = frozenset({"&", "en", "et", "und", "and"})
_NON_WORD = re.compile(r"[^0-9a-z&]+")
# Characters that never separate words of a company name; between letters they are a garbled
# letter ("Harv^y", "Dicke~s"), so they are dropped rather than read as a word break.
_JUNK_INSIDE = re.compile(r"(?<=[a-z])[\^{}~\[\]|_\\`]+(?=[a-z])")
# One digit between two runs of letters is a separator typed or read wrongly
# ("Roberts6LLC", "Gutkowski5Goyette"); "B2B", "4x4" or "Bouw2000" are left alone.
_DIGIT_INSIDE = re.compile(r"(?<=[a-z]{3})[0-9](?=[a-z]{2})")

# Written forms that are ordinary words in company names more often than a legal form.
_NOT_LEGAL_FORMS = frozenset(
    "trust ente fundo fondo mutua mutuelle consorzio cooperativa associazione associacao "
    "asociacion associacion fundacion fundacao fondazione fondation congregacion sucursala "
    "sucursal reprezentanta vereniging stichting cooperatie rederij kerkgenootschap commercant "
    "fond maatschap association mutualite ente oth fon ofp bo co coop".split()
)
# Two-letter written forms that are accepted (others, e.g. "ii", "ep", are too ambiguous).
_SHORT_LEGAL_FORMS = frozenset("nv sa bv cv sc ag kg se eg ev ek lp sl".split())
# Forms also recognised at the start of a name ("BVBA Peeters", "ASBL Les Amis de …").
_PREFIX_LEGAL_FORMS = frozenset(
    "bvba sprl ebvba sprlu nv sa bv srl vzw asbl ivzw aisbl cvba scrl cvoa scri vof snc commv "
    "scomm gcv scs cv sc esv gie ltd llc plc inc gmbh sarl".split()
)
# Legal forms split off the end of a run of single letters ("D S M N V" → "dsm", "nv").
_RUN_TAIL_FORMS = frozenset("nv sa bv cv sc bvba sprl srl vzw asbl vof snc".split())
# Two-word legal forms also recognised at the start of a name ("Naamloze Vennootschap DSM").
_PREFIX_LONG_FORMS = frozenset("naamlozevennootschap societeanonyme beslotenvennootschap".split())
# Words that introduce the seat after a legal form ("DSM N.V. te Heerlen").
_SEAT_WORDS = frozenset({"te"})
# Country codes written after a legal form ("UNILEVER NV (NL)").
_COUNTRY_CODES = frozenset("nl be de fr lu uk gb us ch it es at dk se".split())
_STATUS_PHRASES = (
    "in vereffening",
    "en liquidation",
    "in liquidatie",
    "in liquidation",
    "in faillissement",
    "en faillite",
    "in faling",
    "in oprichting",
    "en formation",
    "en constitution",
    "i o",
    "in vereff",
    "en liq",
)
# Successions of the 2019 Belgian Companies and Associations Code (WVV/CSA): old form → new.
_SUCCESSORS: dict[str, frozenset[str]] = {
    "N5NT": frozenset({"3W7E"}),  # BVBA/SPRL → BV/SRL
    "C609": frozenset({"3W7E"}),  # EBVBA/SPRLU → BV/SRL
    "JNAD": frozenset({"3W7E"}),  # BVBA SO → BV
    "PVT3": frozenset({"3W7E"}),  # EBVBA SO → BV
    "8E2A": frozenset({"28FE", "3W7E"}),  # CVBA/SCRL → CV/SC or BV/SRL
    "2QSA": frozenset({"28FE", "3W7E"}),  # CVBA SO → CV or BV
    "LWHF": frozenset({"UW1Y"}),  # CVOA/SCRI → VOF/SNC
    "4E5P": frozenset({"UW1Y"}),  # CVOA SO → VOF
    "U2PN": frozenset({"R85P"}),  # Comm.VA/SCA → NV/SA
    "LWV6": frozenset({"MQH3"}),  # GCV/SCS → CommV/SComm
    "XLEO": frozenset({"MQH3"}),  # GCV SO → CommV
    "J5OU": frozenset({"UW1Y"}),  # ESV/GIE → VOF/SNC
    "O59C": frozenset({"UW1Y"}),  # ESV SO → VOF
    "V7FT": frozenset({"R85P"}),  # NV SO → NV
    "ZSFX": frozenset({"R85P"}),  # NV SO → NV
    "B910": frozenset({"UW1Y"}),  # VOF SO → VOF
}


@dataclass(frozen=True, slots=True)
class LegalForm:
    """A legal form found in a name. ``elf_codes`` lists every ELF code the words can denote."""

    key: str  # compact normalised spelling, e.g. "bvba"
    abbreviation: str  # display form, e.g. "BVBA"
    name: str  # full name, e.g. "Besloten vennootschap met beperkte aansprakelijkheid"
    elf_code: str | None  # preferred code (Belgian first)
    country: str | None
    elf_codes: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    text: str = ""  # the words removed from the name, e.g. "b v b a"

    def describe(self) -> str:
        """``"BVBA (Besloten vennootschap met beperkte aansprakelijkheid, BE, ELF N5NT)"``."""
        where = ", ".join(
            x for x in (self.country, f"ELF {self.elf_code}" if self.elf_code else None) if x
        )
        if self.name and self.name.casefold() != self.abbreviation.casefold():
            return f"{self.abbreviation} ({self.name}{', ' + where if where else ''})"
        return f"{self.abbreviation} ({where})" if where else self.abbreviation


@dataclass(frozen=True, slots=True)
class NormalizedName:
    """A company name ready for comparison. ``core`` is without legal form and status words."""

    original: str
    cleaned: str
    core: str
    legal_form: LegalForm | None
    tokens: tuple[str, ...]
    compact: str = ""  # the core without spaces ("van der haegen" == "vanderhaegen")

    def __post_init__(self) -> None:
        if not self.compact and self.tokens:
            object.__setattr__(self, "compact", "".join(self.tokens))


def _close_run(run: list[str], out: list[str]) -> None:
    """Join a run of single letters; a legal form spelled at its end stays a word of its own
    (``D.S.M. N.V.`` → ``dsm nv``, not ``dsmnv``)."""
    joined = "".join(run)
    for n in (4, 3, 2):
        head = joined[:-n]
        if len(head) >= 2 and head not in _RUN_TAIL_FORMS and joined[-n:] in _RUN_TAIL_FORMS:
            out.extend((head, joined[-n:]))
            return
    out.append(joined)


def tokenize(text: str) -> list[str]:
    """Folded word tokens with connectors unified to ``&`` and single-letter runs joined."""
    s = fold(text)
    if not s.isalnum():
        s = _JUNK_INSIDE.sub("", s)
    if not s.isalpha():
        s = _DIGIT_INSIDE.sub(" ", s)
    s = s.replace("'", " ").replace("+", " & ").replace("&", " & ")
    raw = [("&" if t in _CONNECTORS else t) for t in _NON_WORD.sub(" ", s).split()]
    out: list[str] = []
    run: list[str] = []
    for token in raw:
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        if run:
            _close_run(run, out)
            run = []
        out.append(token)
    if run:
        _close_run(run, out)
    return out


@dataclass(slots=True)
class _LegalFormIndex:
    forms: dict[str, LegalForm]
    max_tokens: int
    last_tokens: frozenset[str]  # a name's last word must be one of these to end in a form
    status_phrases: dict[str, tuple[tuple[str, ...], ...]]  # last word → phrases ending so


def _read_rows(name: str) -> list[dict[str, str]]:
    path = DATA_DIR / name
    if not path.exists():
        raise EntityResolutionError(f"data file missing: {path}")
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _acceptable(key: str, n_tokens: int) -> bool:
    if not key or key in _NOT_LEGAL_FORMS or key.isdigit():
        return False
    if len(key) <= 2:
        return key in _SHORT_LEGAL_FORMS
    return n_tokens <= 12


@cache
def _legal_form_index() -> _LegalFormIndex:
    elf_rows = _read_rows("elf_legal_forms.csv")
    by_code: dict[str, list[dict[str, str]]] = {}
    for row in elf_rows:
        by_code.setdefault(row["elf_code"], []).append(row)
    # key → (display, [(code, country)], label)
    found: dict[str, tuple[str, list[tuple[str | None, str | None]], str]] = {}
    last_tokens: set[str] = set()
    max_tokens = 1

    def add(written: str, code: str | None, country: str | None, label: str) -> None:
        nonlocal max_tokens
        for variant in {written, re.sub(r"\s*\(.*?\)\s*", " ", written).strip()}:
            tokens = tokenize(variant)
            key = "".join(tokens)
            if not _acceptable(key, len(tokens)):
                continue
            max_tokens = max(max_tokens, len(tokens))
            last_tokens.add(tokens[-1])
            last_tokens.add(key)
            display, codes, old_label = found.setdefault(key, (variant, [], label))
            if (code, country) not in codes:
                codes.append((code, country))

    def label_for(code: str | None, abbreviation: str) -> str:
        rows = by_code.get(code or "", [])
        key = "".join(tokenize(abbreviation))
        for row in rows:
            abbrs = row["abbreviations"].split(";")
            if any("".join(tokenize(a)) == key for a in abbrs):
                return row["local_name"]
        return rows[0]["local_name"] if rows else ""

    for row in _read_rows("legal_form_aliases.csv"):
        code = row["elf_code"] or None
        add(
            row["alias"],
            code,
            row["country"] or None,
            label_for(code, row["alias"]) or row["name"] or row["alias"],
        )
    for row in elf_rows:
        code, country = row["elf_code"], row["country"]
        for written in (row["local_name"], row["transliterated_name"]):
            if written:
                add(written, code, country, row["local_name"])
        for column in ("abbreviations", "abbreviations_transliterated"):
            for written in row[column].split(";"):
                if written.strip():
                    add(written.strip(), code, country, row["local_name"])

    def rank(pair: tuple[str | None, str | None]) -> int:
        country = pair[1]
        return COUNTRY_ORDER.index(country) if country in COUNTRY_ORDER else len(COUNTRY_ORDER)

    forms: dict[str, LegalForm] = {}
    for key, (display, pairs, label) in found.items():
        ordered = sorted(pairs, key=rank)
        best_code, best_country = ordered[0]
        best_label = label_for(best_code, display) if best_code else label
        forms[key] = LegalForm(
            key=key,
            abbreviation=display,
            name=best_label or label,
            elf_code=best_code,
            country=best_country,
            elf_codes=tuple(dict.fromkeys(c for c, _ in ordered if c)),
            countries=tuple(dict.fromkeys(c for _, c in ordered if c)),
        )
    status: dict[str, tuple[tuple[str, ...], ...]] = {}
    for phrase in _STATUS_PHRASES:
        words = tuple(tokenize(phrase))
        status[words[-1]] = (*status.get(words[-1], ()), words)
    return _LegalFormIndex(
        forms=forms,
        max_tokens=min(max_tokens, 12),
        last_tokens=frozenset(last_tokens),
        status_phrases=status,
    )


def _strip_status(tokens: list[str], phrases: dict[str, tuple[tuple[str, ...], ...]]) -> list[str]:
    if not tokens:
        return tokens
    for phrase in phrases.get(tokens[-1], ()):
        n = len(phrase)
        if len(tokens) > n and tuple(tokens[-n:]) == phrase:
            return tokens[:-n]
    return tokens


def _find_suffix_form(tokens: list[str], index: _LegalFormIndex) -> tuple[int, LegalForm] | None:
    if not tokens or tokens[-1] not in index.last_tokens:
        return None
    for k in range(min(index.max_tokens, len(tokens) - 1), 0, -1):
        form = index.forms.get("".join(tokens[-k:]))
        if form is not None:
            return k, form
    return None


def _find_prefix_form(tokens: list[str], index: _LegalFormIndex) -> tuple[int, LegalForm] | None:
    for k in range(min(3, len(tokens) - 1), 0, -1):
        key = "".join(tokens[:k])
        if (key in _PREFIX_LEGAL_FORMS or key in _PREFIX_LONG_FORMS) and key in index.forms:
            return k, index.forms[key]
    return None


_WITH_TEXT: dict[tuple[str, str], LegalForm] = {}


def _with_text(form: LegalForm, words: list[str]) -> LegalForm:
    text = " ".join(words)
    found = _WITH_TEXT.get((form.key, text))
    if found is None:
        found = LegalForm(
            form.key,
            form.abbreviation,
            form.name,
            form.elf_code,
            form.country,
            form.elf_codes,
            form.countries,
            text,
        )
        if len(_WITH_TEXT) < 10_000:
            _WITH_TEXT[(form.key, text)] = found
    return found


@lru_cache(maxsize=4096)
def find_legal_form(text: str) -> LegalForm | None:
    """The legal form a written form denotes (``"S.P.R.L."`` → SPRL, ELF N5NT), or None.
    Remembered: a register gives the same few labels ("Société anonyme") for every entry."""
    return _legal_form_index().forms.get("".join(tokenize(text)))


def _drop_seat(original: str, index: _LegalFormIndex) -> list[str]:
    """Tokens of the name without what follows its legal form after a comma or "te", or an
    address (words with a house number) or a country code right after it: the seat or
    country ("AKZO NOBEL N.V., ARNHEM, NL", "DSM N.V. te Heerlen", "Philips N.V.
    Groenewoudseweg 1", "UNILEVER NV (NL" → the name up to N.V.). A legal form closes the
    registered name; what comes after it says where."""
    if "," in original:
        parts = original.split(",")
        for k in range(1, len(parts)):
            head = tokenize(",".join(parts[:k]))
            if _find_suffix_form(_strip_status(head, index.status_phrases), index) is not None:
                return head
    tokens = tokenize(original)
    for k, token in enumerate(tokens):
        if token in _SEAT_WORDS and 2 <= k < len(tokens) - 1:
            if _find_suffix_form(tokens[:k], index) is not None:
                return tokens[:k]
    for k in range(2, len(tokens)):
        tail = tokens[k:]
        where = (len(tail) == 1 and tail[0] in _COUNTRY_CODES) or any(t.isdigit() for t in tail)
        if where and _find_suffix_form(tokens[:k], index) is not None:
            return tokens[:k]
    return tokens


def normalize_name(name: str | None) -> NormalizedName:
    """Normalise a company name (see the module docstring for the steps)."""
    original = "" if name is None else str(name)
    index = _legal_form_index()
    tokens = _drop_seat(original, index)
    cleaned = " ".join(tokens)
    core_tokens = _strip_status(tokens, index.status_phrases)
    legal_form: LegalForm | None = None
    for _ in range(2):  # "Peeters NV - SA", "Dupont SA en liquidation"
        while core_tokens and core_tokens[-1] == "&":
            core_tokens = core_tokens[:-1]
        suffix = _find_suffix_form(core_tokens, index)
        if suffix is None:
            break
        k, form = suffix
        if legal_form is None:
            legal_form = _with_text(form, core_tokens[-k:])
        core_tokens = _strip_status(core_tokens[:-k], index.status_phrases)
    if legal_form is None:
        prefix = _find_prefix_form(core_tokens, index)
        if prefix is not None:
            k, form = prefix
            legal_form = _with_text(form, core_tokens[:k])
            core_tokens = core_tokens[k:]
    while core_tokens and core_tokens[0] == "&":
        core_tokens = core_tokens[1:]
    if not [t for t in core_tokens if t != "&"]:  # nothing but a legal form: keep it
        core_tokens = [t for t in tokens if t != "&"] or tokens
        legal_form = None
    return NormalizedName(
        original=original,
        cleaned=cleaned,
        core=" ".join(core_tokens),
        legal_form=legal_form,
        tokens=tuple(t for t in core_tokens if t != "&"),
    )


_NON_PROFIT_WORDS = (
    "zonder winst",
    "sans but lucratif",
    "vereniging",
    "association",
    "verein",
    "stichting",
    "fondation",
    "stiftung",
    "foundation",
    "stowarzyszenie",
    "fundacja",
    "asociatie",
    "fundatie",
)


def is_non_profit(form: LegalForm) -> bool:
    """A form for associations and foundations (VZW/ASBL, e.V. …), not for companies."""
    label = fold(form.name)
    return any(word in label for word in _NON_PROFIT_WORDS)


def legal_form_relation(a: LegalForm | None, b: LegalForm | None) -> str | None:
    """How two legal forms relate: ``"same"`` (a common ELF code or the same spelling),
    ``"successor"`` (one became the other in the 2019 Belgian Companies Code, e.g. BVBA → BV),
    ``"different"``, or None when either is unknown."""
    if a is None or b is None:
        return None
    if a.key == b.key or set(a.elf_codes) & set(b.elf_codes):
        return "same"
    for x, y in ((a, b), (b, a)):
        for code in x.elf_codes:
            if _SUCCESSORS.get(code, frozenset()) & set(y.elf_codes):
                return "successor"
    return "different"


# --------------------------------------------------------------------------- person names

_TITLES = frozenset(
    "m mr mme mlle mevr mevrouw dhr heer de heer monsieur madame mademoiselle dr prof ir me "
    "mrs ms sir herr frau dipl ing".split()
)


def person_tokens(name: str | None) -> tuple[str, ...]:
    """Folded word tokens of a person's name, titles removed (``"M. Jean-Pierre DUPONT"``)."""
    if not name:
        return ()
    words = re.sub(r"[^0-9a-z]+", " ", fold(name).replace("'", "")).split()
    return tuple(w for w in words if w not in _TITLES)


def normalize_person_name(name: str | None) -> str:
    """Order-insensitive key of a person's name: ``"Dupont, Jean"`` == ``"Jean DUPONT"`` →
    ``"dupont jean"``. Used to recognise the same director across enterprises."""
    return " ".join(sorted(person_tokens(name)))
