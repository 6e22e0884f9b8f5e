"""Identifiers of the demo world: seeds, Belgian enterprise numbers, foreign VAT numbers, phones.

Every random stream is derived with :func:`derive_seed` from (seed, kind, id) through BLAKE2b, so
an ad or listing can be rebuilt alone, in any order, without building the others.
"""

from __future__ import annotations

import hashlib
import random

from stdnum.bg import vat as bg_vat
from stdnum.eu import vat as eu_vat
from stdnum.pt import nif as pt_nif
from stdnum.ro import cui as ro_cui


def derive_seed(*parts: object) -> int:
    """A stable 64-bit seed for the given parts (Python's ``hash`` is salted per process)."""
    text = "\x1f".join(str(p) for p in parts)
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def rng_for(*parts: object) -> random.Random:
    """A private random stream for one object of the world."""
    return random.Random(derive_seed(*parts))


def mod97_check(base8: int) -> int:
    """The two check digits of a Belgian enterprise / establishment number."""
    return 97 - (base8 % 97)


def enterprise_number(base8: int) -> str:
    """Ten digits: eight of ``base8`` then ``97 - base8 mod 97``."""
    return f"{base8:08d}{mod97_check(base8):02d}"


def is_valid_enterprise_number(number: str) -> bool:
    return (len(number) == 10 and number.isdigit() and number[0] in "01"
            and int(number[8:]) == mod97_check(int(number[:8])))


def dotted(number: str) -> str:
    """"0123456789" -> "0123.456.789" (also used for establishment numbers "2.xxx.xxx.xxx")."""
    if number.startswith("2"):
        return f"{number[0]}.{number[1:4]}.{number[4:7]}.{number[7:]}"
    return f"{number[:4]}.{number[4:7]}.{number[7:]}"


def foreign_vat(country: str, rng: random.Random) -> str:
    """A valid VAT number (country prefix + digits) for PL, RO, BG or PT."""
    for _ in range(1000):
        if country == "PL":
            digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(8)]
            weights = (6, 5, 7, 2, 3, 4, 5, 6, 7)
            check = sum(w * d for w, d in zip(weights, digits, strict=True)) % 11
            if check == 10:
                continue
            candidate = "PL" + "".join(map(str, digits)) + str(check)
        elif country == "RO":
            body = str(rng.randint(10_000_000, 49_999_999))
            candidate = "RO" + body + ro_cui.calc_check_digit(body)
        elif country == "BG":
            body = str(rng.randint(10_000_000, 20_999_999))
            candidate = "BG" + body + bg_vat.calc_check_digit_legal(body)
        elif country == "PT":
            body = "5" + "".join(str(rng.randint(0, 9)) for _ in range(7))
            candidate = "PT" + body + pt_nif.calc_check_digit(body)
        else:
            raise ValueError(f"no VAT generator for {country!r}")
        if eu_vat.is_valid(candidate):
            return candidate
    raise RuntimeError(f"could not draw a valid {country} VAT number")  # pragma: no cover


def belgian_phone(rng: random.Random, mobile: bool | None = None) -> str:
    """A Belgian number in national digits, e.g. "025123456" or "0471234567"."""
    if mobile is None:
        mobile = rng.random() < 0.5
    if mobile:
        return f"04{rng.choice('6789')}{rng.randint(0, 9)}{rng.randint(100000, 999999)}"
    zone = rng.choice(("2", "3", "9", "4", "10", "65", "71", "81", "50", "11"))
    rest = 8 - len(zone)
    return f"0{zone}{rng.randint(10 ** (rest - 1), 10 ** rest - 1)}"


def write_phone(national: str, rng: random.Random) -> str:
    """The same number as people write it: "+32 2 512 34 56", "0471/23.45.67", "0032 …"."""
    digits = national[1:]
    if len(digits) == 9:  # mobile: 4xx xx xx xx
        groups = [digits[:3], digits[3:5], digits[5:7], digits[7:]]
    elif digits[0] in "2349":  # one-digit zones: Brussels, Antwerp, Liège, Ghent
        groups = [digits[:1], digits[1:4], digits[4:6], digits[6:]]
    else:  # two-digit zones: 010, 050, 065, 071…
        groups = [digits[:2], digits[2:4], digits[4:6], digits[6:]]
    style = rng.randrange(7)
    if style == 0:
        return "+32 " + " ".join(groups)
    if style == 1:
        return "0" + groups[0] + "/" + ".".join(groups[1:])
    if style == 2:
        return "0032 " + groups[0] + " " + "".join(groups[1:])
    if style == 3:
        return national
    if style == 4:
        return "+32" + digits
    if style == 5:
        return "0" + groups[0] + " " + " ".join(groups[1:])
    return "0" + groups[0] + "/" + "".join(groups[1:])


def kbo_phone(national: str) -> str:
    """As the register prints it: "02 315 13 51", "0471 23 45 67", "071 44 00 40"."""
    d = national
    if len(d) == 10:
        return f"{d[:4]} {d[4:6]} {d[6:8]} {d[8:]}"
    if d[1] in "2349":
        return f"{d[:2]} {d[2:5]} {d[5:7]} {d[7:]}"
    return f"{d[:3]} {d[3:5]} {d[5:7]} {d[7:]}"


def e164(national: str) -> str:
    return "+32" + national[1:]


def write_enterprise_number(number: str, language: str, rng: random.Random) -> str:
    """An enterprise number as ads write it, with or without label, dots, BE prefix, zero."""
    d = dotted(number)
    spaced = f"{number[:4]} {number[4:7]} {number[7:]}"
    options: tuple[str, ...]
    if language == "nl":
        options = (f"BE {d}", f"BTW BE{number}", f"ondernemingsnummer {spaced}", f"KBO {d}",
                   f"BTW-nr. BE {spaced}", f"ond.nr. {number[1:]}")
    elif language == "fr":
        options = (f"BE {d}", f"TVA BE{number}", f"n° d'entreprise {d}", f"BCE {spaced}",
                   f"TVA : BE {spaced}", f"N° entreprise {number[1:]}")
    else:
        options = (f"BE {d}", f"VAT BE{number}", f"Company number {d}", f"VAT: BE {spaced}",
                   f"enterprise no. {number}")
    return rng.choice(options)


def write_foreign_vat(vat: str, language: str, rng: random.Random) -> str:
    """A foreign VAT number as written in an ad: "VAT PL5261040828", "TVA RO 18547290"…"""
    label = {"fr": "TVA", "nl": "BTW", "en": "VAT"}[language]
    style = rng.randrange(3)
    if style == 0:
        return f"{label} {vat}"
    if style == 1:
        return f"{label} {vat[:2]} {vat[2:]}"
    return vat
