"""Throughput check of the matcher (not a test; run by hand, figures go in reports).

    .venv/bin/python tests/entity_resolution/perf_matcher.py [n_entries] [n_queries]

Builds a synthetic register of ``n_entries`` Belgian-looking companies (surname × sector word
× legal form × postcode, seeded), then times ``Matcher(...)`` and name queries that are
perturbed copies (typos, dropped legal form, word swaps) of random entries.
"""

from __future__ import annotations

import random
import sys
import time

from entity_resolution.geo import all_postcodes, lookup_postcode
from entity_resolution.matcher import Matcher, MatchQuery
from entity_resolution.register import RegisterEntry

SURNAMES = """Peeters Janssens Maes Jacobs Mertens Willems Claes Goossens Wouters De Smet Dubois
Lambert Dupont Martin Simon Leclercq Laurent Hermans Michiels Van Damme Vermeulen Lemmens
Desmet Pauwels Declercq Aerts Cools Verhoeven Wuyts Bogaert Renard Francois Mathieu Lejeune
Nowak Kowalski Wisniewski Popescu Ionescu Georgiev Petrov Santos Ferreira Garcia Rossi Bianchi
Vandenberghe Vanderstraeten Devos Segers Coppens Hendrickx Stevens Smets Dewulf Baert Verbeke
Vlaeminck Timmermans Moens Jansen Bauwens Delvaux Collignon Gilson Piron Thiry Hubert""".split()
SECTORS = """Bouw Bouwwerken Renovatie Cleaning Schoonmaak Nettoyage Transport Logistics Carwash
Construct Dakwerken Schilderwerken Interim Security Horeca Services Trading Consult Immo
Electro Sanitair Tuinwerken Plafonnage Toiture Peinture Garage Catering Bakkerij""".split()
FORMS = ["BV", "BVBA", "NV", "SRL", "SPRL", "SA", "CommV", "VOF", "B.V.B.A.", "S.P.R.L.", ""]


SYLLABLES = """van de ver bo ma ker mans sens lae ghe rt st ens ke ls ot ier ard bert mont
ville aux eau lin rich ko ski wicz esc u ov ev ar ez ini oni elli as ers man ck en""".split()


def surname_pool(rng: random.Random, size: int = 4000) -> list[str]:
    """Real common surnames first, then invented ones (so that names are Zipf-like)."""
    pool = list(SURNAMES)
    seen = set(pool)
    while len(pool) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
        if word not in seen and len(word) >= 4:
            seen.add(word)
            pool.append(word)
    return pool


def synthetic_register(n: int, seed: int = 7) -> list[RegisterEntry]:
    rng = random.Random(seed)
    pool = surname_pool(rng)
    weights = [1.0 / (rank + 10) for rank in range(len(pool))]
    places = [lookup_postcode(p) for p in all_postcodes()]
    postcodes = [p.postcode for p in places if p is not None and not p.special]
    entries = []
    base = 20_000_000
    for k in range(n):
        first8 = base + k
        number = f"{first8:08d}{97 - first8 % 97:02d}"
        parts = rng.choices(pool, weights)
        if rng.random() < 0.5:
            parts += rng.choices(pool, weights)
        parts.insert(rng.randrange(2), rng.choice(SECTORS))
        if rng.random() < 0.3:
            parts.append(str(rng.randrange(1, 99)))
        name = " ".join(parts + [rng.choice(FORMS)]).strip()
        entries.append(RegisterEntry(number, name, postcode=rng.choice(postcodes)))
    return entries


def perturb(name: str, rng: random.Random) -> str:
    words = name.split()
    if len(words) > 2 and rng.random() < 0.5:
        words = words[:-1]  # drop the legal form
    i = rng.randrange(len(words))
    w = words[i]
    if len(w) > 4:
        j = rng.randrange(1, len(w) - 1)
        words[i] = w[:j] + w[j + 1 :] if rng.random() < 0.5 else w[:j] + "e" + w[j:]
    if rng.random() < 0.3:
        rng.shuffle(words)
    return " ".join(words)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    q = int(sys.argv[2]) if len(sys.argv) > 2 else 3_000
    entries = synthetic_register(n)
    t0, c0 = time.perf_counter(), time.process_time()
    matcher = Matcher((e.enterprise_number, e) for e in entries)
    build, build_cpu = time.perf_counter() - t0, time.process_time() - c0
    rng = random.Random(11)
    sample = [rng.choice(entries) for _ in range(q)]
    queries = [
        MatchQuery(name=perturb(e.name, rng), postcode=e.postcode if rng.random() < 0.5 else None)
        for e in sample
    ]
    t0, c0 = time.perf_counter(), time.process_time()
    results = matcher.match_many(queries)
    elapsed, elapsed_cpu = time.perf_counter() - t0, time.process_time() - c0
    top_right = sum(
        1 for e, r in zip(sample, results, strict=True) if r and r[0].key == e.enterprise_number
    )
    print(
        f"entries={n} build={build:.2f}s (cpu {build_cpu:.2f}s) queries={q} "
        f"time={elapsed:.2f}s rate={q / elapsed:.0f}/s (cpu {q / elapsed_cpu:.0f}/s) "
        f"top1_correct={top_right / q:.1%}"
    )


if __name__ == "__main__":
    main()
