"""Identifiers that tie a web page to an employer: enterprise and VAT numbers, phones, e-mails,
web domains — each normalised to one canonical form, and a scanner that finds them in free text.

Why so strict: a number that is taken wrongly sends inspectors to an innocent employer. Every
number is validated by its checksum (mod 97 for Belgian enterprise numbers, python-stdnum for
foreign VAT numbers); digit runs without an identifying context or layout are left alone.

Canonical forms:
- enterprise number: 10 digits, ``"0200065765"`` (display: ``"0200.065.765"``);
- VAT number: :class:`VatNumber` (``country`` is the VAT prefix, e.g. ``"BE"``, ``"EL"``);
- phone: E.164, ``"+3223151351"``;
- e-mail: lower case ``"info@isbw.be"``;
- website: lower-case registered domain without ``www.``, ``"isbw.be"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TypeVar

import phonenumbers
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat

_T = TypeVar("_T")

# --------------------------------------------------------------------------- enterprise numbers


def _mod97_ok(digits: str) -> bool:
    """Belgian check: the last two digits equal 97 − (first eight mod 97)."""
    return 97 - int(digits[:8]) % 97 == int(digits[8:])


_FLOAT_RE = re.compile(r"^(\d{8,10})[.,]0+$")
_SCI_RE = re.compile(r"^\d(?:[.,]\d+)?[eE][+]?\d+$")
_PHONE_WORDS_RE = re.compile(
    r"\b(?:tel|t[eé]l[eé]phone|telefoon|gsm|fax|phone|mobile?)\b|\+\s*\d", re.IGNORECASE
)
_GROUPED_RE = re.compile(r"^(\d{3,4})[.\s/-]?(\d{3})[.\s/-]?(\d{3})$")


def _digits_of_number(text: str) -> str | None:
    """Digits of a number-only string, repairing spreadsheet damage; None if not number-only."""
    s = text.strip().replace("\u00a0", " ")
    s = re.sub(r"^(?:BE|be|Be)[\s.:\-]*", "", s)
    m = _FLOAT_RE.match(s)
    if m:
        return m.group(1)
    if _SCI_RE.match(s):
        try:
            value = Decimal(s.replace(",", "."))
        except InvalidOperation:
            return None
        if value != value.to_integral_value():
            return None
        return str(int(value))
    if s.isdigit():
        return s
    m = _GROUPED_RE.match(s)  # 0200.065.765, 0200 065 765, 200-065-765
    return "".join(m.groups()) if m else None


def _enterprise_from_digits(digits: str) -> str | None:
    if len(digits) == 9:  # legacy number, or a leading zero lost in a spreadsheet
        digits = "0" + digits
    if len(digits) != 10 or digits[0] not in "01":
        return None
    return digits if _mod97_ok(digits) else None


def normalize_enterprise_number(text: str | int | float | None) -> str | None:
    """Return the 10-digit Belgian enterprise number, or None when ``text`` holds no valid one.

    Accepts ``"0123.456.789"``, ``"BE0123456789"``, ``"BE 0123 456 789"``, legacy 9-digit
    ``"123456789"``, spreadsheet damage (``200065765.0``, ``"200065765.0"``, ``"2.00065765E8"``)
    and labelled strings such as ``"TVA BE0123456789"`` or ``"ondernemingsnummer 0123 456 789"``
    (if such a string holds several different valid numbers, None: it is ambiguous).
    """
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, int):
        return _enterprise_from_digits(str(text))
    if isinstance(text, float):
        if not text.is_integer():
            return None
        return _enterprise_from_digits(str(int(text)))
    if len(text) == 10 and text.isdigit():  # the canonical form: the common case
        return text if text[0] in "01" and _mod97_ok(text) else None
    if len(text) == 12 and text[4] == "." and text[8] == ".":  # the KBO dump's 0200.065.765
        plain = text[:4] + text[5:8] + text[9:]
        if plain.isdigit():
            return plain if plain[0] in "01" and _mod97_ok(plain) else None
    digits = _digits_of_number(str(text))
    if digits is not None:
        return _enterprise_from_digits(digits)
    found = set(find_identifiers(str(text)).enterprise_numbers)
    if not found and not _PHONE_WORDS_RE.search(str(text)):
        # A field known to hold a number ("Nr: 0123456789"): accept it when its digits form a
        # single number-shaped group and nothing else in the field is a digit.
        groups = re.findall(r"\d[\d.\s]*\d", str(text))
        if len(groups) == 1:
            digits = _digits_of_number(groups[0].strip())
            return _enterprise_from_digits(digits) if digits else None
    return found.pop() if len(found) == 1 else None


def format_enterprise_number(number: str) -> str:
    """Display form ``"0123.456.789"`` of a 9- or 10-digit number (formatting only, no check)."""
    digits = _digits_of_number(str(number)) or ""
    if len(digits) == 9:
        digits = "0" + digits
    if len(digits) != 10:
        return str(number)
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"


def is_enterprise_number(text: str | None) -> bool:
    """True when ``text`` normalises to a valid enterprise number."""
    return normalize_enterprise_number(text) is not None


# --------------------------------------------------------------------------- VAT numbers

#: VAT prefixes understood (EU member states with EL for Greece, XI Northern Ireland, GB).
VAT_COUNTRIES = (
    "AT BE BG CY CZ DE DK EE EL ES FI FR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK XI GB"
).split()


@dataclass(frozen=True, slots=True)
class VatNumber:
    """A validated VAT number. ``country`` is the VAT prefix (``EL`` for Greece)."""

    country: str
    number: str
    compact: str

    @property
    def enterprise_number(self) -> str | None:
        """The Belgian enterprise number behind a BE VAT number (BE VAT = "BE" + number)."""
        return self.number if self.country == "BE" else None


def _validate_vat(country: str, number: str) -> VatNumber | None:
    country = country.upper()
    number = re.sub(r"[^0-9A-Za-z]", "", number).upper()
    if not number or country not in VAT_COUNTRIES:
        return None
    if country == "BE":
        be = _enterprise_from_digits(number) if number.isdigit() else None
        return VatNumber("BE", be, "BE" + be) if be else None
    if country == "GB":
        if not gb_vat.is_valid(number):
            return None
        compact = gb_vat.compact(number)
        return VatNumber("GB", compact, "GB" + compact)
    candidate = country + number
    if not eu_vat.is_valid(candidate):
        return None
    compact = eu_vat.compact(candidate)
    return VatNumber(compact[:2], compact[2:], compact)


def normalize_vat(text: str | None, default_country: str | None = None) -> VatNumber | None:
    """Return the validated VAT number in ``text`` or None.

    ``"BE0200065765"`` → ``VatNumber("BE", "0200065765", "BE0200065765")``; label words are
    tolerated (``"TVA BE 0200.065.765"``, ``"VAT PL5261040828"``). Without a country prefix the
    number is read as ``default_country``'s (e.g. ``"0200.065.765"`` with ``"BE"``).
    """
    if not text:
        return None
    s = str(text).strip()
    m = re.match(r"^\s*([A-Za-z]{2})[\s.:\-]*([0-9A-Za-z][0-9A-Za-z .,\-/]*)$", s)
    if m:
        found = _validate_vat(m.group(1), m.group(2))
        if found:
            return found
    vats = _vats_in(s)
    if vats:
        return vats[0]
    if default_country:
        digits = re.sub(r"[^0-9A-Za-z]", "", re.sub(r"^\D*", "", s))
        if digits:
            return _validate_vat(default_country, digits)
    return None


# --------------------------------------------------------------------------- phones


def normalize_phone(text: str | None, region: str = "BE") -> str | None:
    """E.164 form of a phone number (``"02/315.13.51"`` → ``"+3223151351"``) or None if invalid."""
    if not text:
        return None
    s = str(text).replace("(0)", " ")
    try:
        number = phonenumbers.parse(s, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """International display form (``"+32 2 315 13 51"``) of an E.164 number."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# --------------------------------------------------------------------------- e-mails and domains

_EMAIL_RE = re.compile(
    r"(?<![\w.+-])([A-Za-z0-9][A-Za-z0-9._%+-]*)\s*(?:@|\s?[\[(]\s?at\s?[\])]\s?)\s*"
    r"((?:[A-Za-z0-9-]+(?:\.|\s?[\[(]\s?dot\s?[\])]\s?))+[A-Za-z]{2,24})\b",
    re.IGNORECASE,
)
_EMAIL_STRICT_RE = re.compile(r"^[a-z0-9][a-z0-9._%+-]*@(?:[a-z0-9-]+\.)+[a-z]{2,24}$")

#: Second-level public suffixes under which the registered domain has three labels.
_SECOND_LEVEL_SUFFIXES = frozenset(
    "co.uk org.uk ac.uk gov.uk me.uk ltd.uk plc.uk net.uk com.pl net.pl org.pl com.pt org.pt "
    "com.es org.es com.ro org.ro com.bg co.at or.at ac.be com.au co.za com.tr co.jp com.br "
    "com.cn com.ua co.nz co.in".split()
)

#: Mail providers whose domain says nothing about the employer.
FREE_MAIL_DOMAINS = frozenset(
    "gmail.com googlemail.com hotmail.com hotmail.be hotmail.fr hotmail.nl hotmail.co.uk "
    "outlook.com outlook.be outlook.fr live.be live.com live.fr live.nl msn.com yahoo.com "
    "yahoo.fr yahoo.co.uk yahoo.de icloud.com me.com mac.com aol.com gmx.com gmx.de gmx.net "
    "web.de mail.com proton.me protonmail.com skynet.be telenet.be proximus.be scarlet.be "
    "voo.be base.be orange.fr free.fr wanadoo.fr laposte.net sfr.fr ziggo.nl kpnmail.nl "
    "planet.nl wp.pl o2.pl onet.pl interia.pl yandex.ru yandex.com mail.ru abv.bg "
    "yahoo.ro sapo.pt".split()
)


def registered_domain(host: str | None) -> str | None:
    """Lower-case registered domain of a host or URL (``"https://www.X.be/a"`` → ``"x.be"``)."""
    if not host:
        return None
    s = str(host).strip().lower()
    s = re.sub(r"^[a-z][a-z0-9+.-]*://", "", s)
    s = re.split(r"[/?#]", s, maxsplit=1)[0]
    s = s.rsplit("@", 1)[-1].split(":", 1)[0].strip(".")
    if not re.fullmatch(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+", s):
        return None
    labels = s.split(".")
    if labels[-1].isdigit():  # an IP address
        return None
    keep = 3 if ".".join(labels[-2:]) in _SECOND_LEVEL_SUFFIXES else 2
    return ".".join(labels[-keep:]) if len(labels) >= keep else None


#: Social networks, where a firm's page is a path: the host's path segments that name the
#: page (``facebook.com/bouwpeeters``, ``linkedin.com/company/bouw-peeters``); the first
#: segments listed under a host are the network's own pages (share buttons, posts, search).
_PROFILE_HOSTS: dict[str, tuple[str, dict[str, int], frozenset[str]]] = {
    # host: (canonical host, {first segment: segments naming the page}, not a page)
    "facebook.com": (
        "facebook.com",
        {"pages": 3, "pg": 2, "people": 3, "groups": 2},
        frozenset(
            "sharer sharer.php share dialog plugins tr login watch events hashtag help "
            "policies marketplace photo.php photo story.php permalink.php search".split()
        ),
    ),
    "fb.com": ("facebook.com", {"pages": 3, "pg": 2}, frozenset({"sharer", "share"})),
    "instagram.com": (
        "instagram.com",
        {},
        frozenset("p reel reels explore stories accounts".split()),
    ),
    "tiktok.com": ("tiktok.com", {}, frozenset("share tag music video discover".split())),
    "x.com": ("x.com", {}, frozenset("intent share home search hashtag i".split())),
    "twitter.com": ("x.com", {}, frozenset("intent share home search hashtag i".split())),
    "linkedin.com": (
        "linkedin.com",
        {"company": 2, "in": 2, "school": 2, "showcase": 2},
        frozenset("sharing shareArticle feed jobs posts pulse search".lower().split()),
    ),
    "youtube.com": (
        "youtube.com",
        {"channel": 2, "c": 2, "user": 2},
        frozenset("watch shorts results playlist embed share".split()),
    ),
    "pinterest.com": ("pinterest.com", {}, frozenset("pin search".split())),
    "linktr.ee": ("linktr.ee", {}, frozenset()),
}
#: Site builders and hosts that give each customer a sub-domain: the whole host names the site
#: (``bouwpeeters.wixsite.com``); a path names it on ``sites.google.com``.
_SUBDOMAIN_HOSTS = frozenset(
    "wixsite.com business.site blogspot.com blogspot.be jimdosite.com jimdofree.com jimdo.com "
    "webnode.be webnode.com webnode.fr webnode.nl wordpress.com weebly.com site123.me "
    "squarespace.com godaddysites.com mystrikingly.com canva.site github.io netlify.app "
    "vercel.app ueniweb.com webador.be webador.com webador.nl one-website.be".split()
)
#: Sites whose address says nothing about one firm: job boards, classifieds, directories,
#: maps, messaging and link shorteners (an ad or a listing links to them, not to its firm).
NOT_A_FIRM_SITE = frozenset(
    "indeed.com indeed.be stepstone.be jobat.be vdab.be actiris.brussels leforem.be "
    "monster.be jobs.be references.be talent.com jooble.org linkedin.com facebook.com "
    "2dehands.be 2ememain.be marktplaats.nl kapaza.be immoweb.be goldenpages.be pagesdor.be "
    "gulden-gids.be infobel.com trustpilot.com google.com google.be goo.gl bit.ly "
    "tinyurl.com wa.me whatsapp.com m.me t.me apple.com instagram.com tiktok.com x.com "
    "twitter.com youtube.com youtu.be pinterest.com linktr.ee fb.com fb.me".split()
)


def shared_site(domain: str) -> bool:
    """Whether many firms have their pages under this registered domain (a social network, a
    site builder, a job board, a directory…): then the domain alone identifies no firm."""
    return (
        domain in NOT_A_FIRM_SITE
        or domain in _SUBDOMAIN_HOSTS
        or domain in _PROFILE_HOSTS
        or domain.startswith("google.")
    )


def site_domain(host: str | None) -> str | None:
    """The domain that bounds one firm's site: its registered domain (``shop.firm.be`` →
    ``firm.be``), but the whole host on a site builder that gives each customer a sub-domain
    (``anna.wixsite.com``: ``bob.wixsite.com`` is another firm's site). None without a domain,
    and for the builder's own host."""
    domain = registered_domain(host)
    if domain is None or domain not in _SUBDOMAIN_HOSTS:
        return domain
    full = str(host).strip().lower().strip(".")
    full = full[4:] if full.startswith("www.") else full
    return full if full != domain else None


def site_key(url: str | None) -> str | None:
    """What identifies a firm's website, compared across the register, ads and listings.

    For most sites its registered domain (``"https://www.Bouw-Peeters.be/jobs"`` →
    ``"bouw-peeters.be"``). A page on a social network is its path on the network
    (``"fb.com/BouwPeeters?ref=x"`` → ``"facebook.com/bouwpeeters"``), a site on a site
    builder its own host (``"bouwpeeters.wixsite.com"``): the network's or the builder's
    domain is shared by thousands of firms and would link them all. None for an address
    that names no firm: a job board, a directory, a share button, a network's home page
    (:data:`NOT_A_FIRM_SITE`), or no domain at all."""
    domain = registered_domain(url)
    if domain is None:
        return None
    if not shared_site(domain):
        return domain
    s = re.sub(r"^[a-z][a-z0-9+.-]*://", "", str(url).strip().lower())
    host, _, rest = s.partition("/")
    host = host.rsplit("@", 1)[-1].split(":", 1)[0].strip(".")
    host = host[4:] if host.startswith("www.") else host
    host = host[2:] if host.startswith("m.") else host
    path = re.split(r"[?#]", rest, maxsplit=1)[0]
    # (a link in running text may end with the sentence's punctuation)
    segments = [part for part in (p.rstrip(".,;:!?") for p in path.split("/")) if part]
    if domain in _SUBDOMAIN_HOSTS:
        return site_domain(host)
    if host == "sites.google.com" and len(segments) >= 2 and segments[0] in ("view", "site"):
        return f"sites.google.com/{segments[0]}/{segments[1]}"
    profile = _PROFILE_HOSTS.get(domain)
    if profile is None or host != domain or not segments:
        return None
    canonical, deeper, reserved = profile
    first = segments[0]
    if first in reserved or (first.endswith(".php") and first != "profile.php"):
        return None
    if first == "profile.php":
        found = re.search(r"[?&]id=(\d+)", rest)
        return f"{canonical}/profile.php?id={found.group(1)}" if found else None
    count = deeper.get(first, 1)
    if len(segments) < count:
        return None
    return canonical + "/" + "/".join(segments[:count])


def normalize_website(url: str | None) -> str | None:
    """A website as the matcher compares it: its :func:`site_key` (the registered domain,
    ``"www.Bouw-Peeters.be/jobs"`` → ``"bouw-peeters.be"``, but a social network's page by its
    path and a site builder's site by its host; None for a job board or a share button)."""
    return site_key(url)


def normalize_email(text: str | None) -> str | None:
    """Lower-case e-mail address (``"mailto:Info@ISBW.be"`` → ``"info@isbw.be"``) or None."""
    if not text:
        return None
    s = re.sub(r"^mailto:", "", str(text).strip(), flags=re.IGNORECASE).strip().lower()
    if _EMAIL_STRICT_RE.match(s):
        return s
    m = _EMAIL_RE.search(str(text))
    return _email_from_match(m) if m else None


def _email_from_match(m: re.Match[str]) -> str | None:
    domain = re.sub(r"\s?[\[(]\s?dot\s?[\])]\s?", ".", m.group(2), flags=re.IGNORECASE)
    address = f"{m.group(1)}@{domain}".lower()
    return address if _EMAIL_STRICT_RE.match(address) else None


def email_domain(email: str | None) -> str | None:
    """Registered domain of an e-mail address, or None for free-mail providers."""
    address = normalize_email(email)
    if not address:
        return None
    domain = registered_domain(address.split("@", 1)[1])
    full = address.split("@", 1)[1]
    if domain in FREE_MAIL_DOMAINS or full in FREE_MAIL_DOMAINS:
        return None
    return domain


# --------------------------------------------------------------------------- free-text scanner


@dataclass(frozen=True, slots=True)
class Identifiers:
    """Identifiers found in a text, each list deduplicated in order of appearance."""

    enterprise_numbers: tuple[str, ...] = ()
    vats: tuple[VatNumber, ...] = ()
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    websites: tuple[str, ...] = field(default=())

    @property
    def foreign_vats(self) -> tuple[VatNumber, ...]:
        return tuple(v for v in self.vats if v.country != "BE")

    def is_empty(self) -> bool:
        return not (
            self.enterprise_numbers or self.vats or self.phones or self.emails or self.websites
        )


#: Words that announce an enterprise or VAT number (FR/NL/DE/EN), lower-case, accents kept.
_NUMBER_CONTEXT_RE = re.compile(
    r"(?:\b(?:btw|tva|vat|bce|kbo|ust|mwst|nip|iva|cui|rpr|rpm|ondernemings?\s*-?\s*(?:nummer|nr)"
    r"|ond\.?\s*nr|num[eé]ro\s+d['’\s]?entreprise|n[°ºo]\.?\s*d['’\s]?entreprise"
    r"|entreprise\s*n[°ºo]|enterprise\s*(?:number|no)|company\s*(?:number|no|reg)"
    r"|registration\s*(?:number|no)|handelsregister|identifiant|vat\s*id)\b)",
    re.IGNORECASE,
)
# A lookahead, so that overlapping candidates ("BE0123.456.789 VAT PL5261040828") are all seen.
_VAT_CANDIDATE_RE = re.compile(
    r"(?=(?<![A-Za-z0-9])(" + "|".join(VAT_COUNTRIES) + r")([\s.:\-]{0,2})"
    r"([0-9A-Z]{0,2}[0-9][0-9A-Z]*(?:[ .\-/]?[0-9A-Z]+){0,6}))",
)
# Belgian enterprise number laid out as 4-3-3 (or legacy 3-3-3) digits.
_BE_GROUPED_RE = re.compile(r"(?<![\d.,/])([01]\d{3}|\d{3})([.\s])(\d{3})\2(\d{3})(?![\d])")
_BE_DOTTED_RE = re.compile(r"(?<![\d.,/])([01]\d{3})\.(\d{3})\.(\d{3})(?![\d])")
_BE_PLAIN_RE = re.compile(r"(?<![\d.,/])([01]?\d{9})(?![\d])")
_PHONE_CONTEXT_RE = re.compile(
    r"(?:\b(?:tel|t[eé]l[eé]phone|telefoon|gsm|mobile?|fax|phone|call|bel)\b|\+\d)[\s.:]*$",
    re.IGNORECASE,
)
_URL_TLDS = "be|com|eu|nl|fr|de|lu|pl|ro|bg|pt|es|it|uk|net|org|info|biz|shop|brussels|vlaanderen"
_URL_RE = re.compile(
    r"(?<![@\w.-])((?:https?://)?(?:www\.)?(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+"
    rf"(?:{_URL_TLDS})"
    r")(?![\w@-])(?:/[^\s<>\"')]*)?",
    re.IGNORECASE,
)

# Necessary conditions of the patterns above, searched first: a pattern that starts with a
# look-behind is tried at every position of the text (40–100 µs for an ad), these simple ones
# are not (3–7 µs), and most texts fail them. Each is a part that every match of its pattern
# contains, with the same flags, so a text that fails it has no match.
_EMAIL_AT_WORD = re.compile(r"[\[(]\s?at\s?[\])]", re.IGNORECASE)  # or a plain "@"
_URL_HINT = re.compile(rf"\.(?:{_URL_TLDS})(?![\w@-])", re.IGNORECASE)
_VAT_HINT = re.compile(
    "(?:" + "|".join(VAT_COUNTRIES) + r")[\s.:\-]{0,2}[0-9A-Z]{0,2}[0-9]"
)
_BE_GROUPED_HINT = re.compile(r"\d{3}[.\s]\d{3}")  # in _BE_DOTTED_RE and _BE_GROUPED_RE
_BE_PLAIN_HINT = re.compile(r"\d{9}")


def _has_number_context(text: str, start: int, window: int = 40) -> bool:
    return bool(_NUMBER_CONTEXT_RE.search(text[max(0, start - window) : start]))


def _has_phone_context(text: str, start: int) -> bool:
    return bool(_PHONE_CONTEXT_RE.search(text[max(0, start - 15) : start]))


def _mask(chars: list[str], start: int, end: int) -> None:
    for i in range(start, end):
        chars[i] = " "


def _find_vats(text: str, chars: list[str]) -> list[tuple[int, VatNumber]]:
    found: list[tuple[int, VatNumber]] = []
    if not _VAT_HINT.search(text):
        return found
    taken_until = -1
    for m in _VAT_CANDIDATE_RE.finditer(text):
        if m.start() < taken_until:
            continue
        body_start = m.start() + len(m.group(1)) + len(m.group(2))
        # Try the longest run first, then drop trailing groups (a following word or number).
        pieces = re.split(r"([ .\-/])", m.group(3))
        for cut in range(len(pieces), 0, -2):
            candidate = "".join(pieces[:cut])
            vat = _validate_vat(m.group(1), candidate)
            if vat:
                taken_until = body_start + len(candidate)
                found.append((m.start(), vat))
                _mask(chars, m.start(), taken_until)
                break
    return found


def _find_enterprise_numbers(text: str, chars: list[str]) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for regex, hint, needs_context in (
        (_BE_DOTTED_RE, _BE_GROUPED_HINT, False),
        (_BE_GROUPED_RE, _BE_GROUPED_HINT, True),
        (_BE_PLAIN_RE, _BE_PLAIN_HINT, True),
    ):
        masked = "".join(chars)
        if not hint.search(masked):
            continue
        for m in regex.finditer(masked):
            digits = re.sub(r"\D", "", m.group(0))
            number = _enterprise_from_digits(digits)
            if not number:
                continue
            if needs_context and not _has_number_context(masked, m.start()):
                continue
            if not needs_context and _has_phone_context(masked, m.start()):
                continue
            found.append((m.start(), number))
            _mask(chars, m.start(), m.end())
    return found


def find_identifiers(text: str | None, region: str = "BE") -> Identifiers:
    """Find enterprise numbers, VAT numbers, phones, e-mails and websites in free text.

    Rules, so that random digit runs are not taken:
    - VAT numbers need their upper-case country prefix (``BE0123456789``, ``PL5261040828``) and
      must pass python-stdnum's checksum; a BE VAT also yields its enterprise number;
    - a bare Belgian number counts when written ``0123.456.789`` (and not right after "tel"/"gsm"),
      or in any 4-3-3/9/10-digit layout right after a word such as BTW, TVA, KBO, BCE,
      ondernemingsnummer, numéro d'entreprise; always with a valid mod-97 check;
    - phones: phonenumbers' matcher (valid numbers only) on the text with numbers already taken
      blanked out; e-mails also in the ``info [at] firm [dot] be`` form.
    """
    if not text:
        return Identifiers()
    text = str(text)
    chars, emails, websites, vats = _scan_vats(text)
    enterprise = [(pos, v.number) for pos, v in vats if v.country == "BE"]
    enterprise += _find_enterprise_numbers(text, chars)
    masked = "".join(chars).replace("(0)", "")
    phones: list[tuple[int, str]] = []
    for pm in phonenumbers.PhoneNumberMatcher(masked, region, leniency=phonenumbers.Leniency.VALID):
        phones.append(
            (pm.start, phonenumbers.format_number(pm.number, phonenumbers.PhoneNumberFormat.E164))
        )
    return Identifiers(
        enterprise_numbers=_dedupe(enterprise),
        vats=_dedupe(vats),
        phones=_dedupe(phones),
        emails=_dedupe(emails),
        websites=_dedupe(websites),
    )


def _scan_vats(
    text: str,
) -> tuple[list[str], list[tuple[int, str]], list[tuple[int, str]], list[tuple[int, VatNumber]]]:
    """The first steps of :func:`find_identifiers`: e-mails, then websites, then VAT numbers,
    each found in the text with what was found before blanked out. Returns the blanked
    characters and the three lists (position, value)."""
    chars = list(text)
    emails: list[tuple[int, str]] = []
    could_mail = "@" in text or _EMAIL_AT_WORD.search(text) is not None
    for m in _EMAIL_RE.finditer(text) if could_mail else ():
        address = _email_from_match(m)
        if address:
            emails.append((m.start(), address))
            _mask(chars, m.start(), m.end())
    websites: list[tuple[int, str]] = []
    unmailed = "".join(chars)
    for m in _URL_RE.finditer(unmailed) if _URL_HINT.search(unmailed) else ():
        if registered_domain(m.group(1)):
            key = site_key(m.group(0))  # None for a job board's or a network's own page
            if key:
                websites.append((m.start(), key))
            _mask(chars, m.start(), m.end())
    vats = _find_vats("".join(chars), chars)
    return chars, emails, websites, vats


def _vats_in(text: str) -> tuple[VatNumber, ...]:
    """``find_identifiers(text).vats`` without looking for the rest (phones cost the most,
    and VAT numbers are found before them, so they never change what is found here)."""
    return _dedupe(_scan_vats(text)[3])


def _dedupe(items: list[tuple[int, _T]]) -> tuple[_T, ...]:
    seen: dict[_T, None] = {}
    for _, value in sorted(items, key=lambda item: item[0]):
        seen.setdefault(value, None)
    return tuple(seen)
