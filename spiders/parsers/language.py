"""Which of Belgium's working languages (FR/NL/DE) or English a text is written in.

The declared language wins (``inLanguage``, ``<html lang>``); otherwise a tiny stop-word count
decides, and says ``None`` rather than guess on too little evidence.
"""

from __future__ import annotations

import re

LANGUAGES = ("fr", "nl", "en", "de")

# Frequent function words and job/service-ad vocabulary. Words shared by two languages ("de",
# "en", "in", "die", "is") count for both; the distinctive ones decide.
_STOP_WORDS: dict[str, frozenset[str]] = {
    "fr": frozenset(
        "le la les des du de et en est une un pour avec dans sur vous nous au aux par qui que "
        "votre notre sont être ce cette ou pas heure heures mois aussi plus ans expérience "
        "disponible travail temps plein recherche cherche".split()
    ),
    "nl": frozenset(
        "het een van de en in is voor met op zijn wij we je jij niet aan bij ook naar wordt "
        "onze jouw uur maand bent hebt meer dan jaar ervaring beschikbaar werk zoekt zoeken "
        "om te die".split()
    ),
    "en": frozenset(
        "the and of to for with is in are you we our on at be this will your from have an as "
        "hour hours month also over years experience available work full time looking".split()
    ),
    "de": frozenset(
        "der die das und ist nicht mit für ein eine zu wir sie auf dem des bei ihr sind oder "
        "in stunde monat auch über jahre erfahrung verfügbar arbeit sucht suchen".split()
    ),
    # Not ours: Portuguese/Spanish/Italian words, so their texts are not taken for FR.
    "other": frozenset(
        "para com uma não em os do da dos das são você é el los las y con por está il di "
        "che per una della sono".split()
    ),
}
_WORD = re.compile(r"[a-zà-ÿ]+")
MIN_HITS = 2
MIN_SHARE = 0.06  # stop words are a quarter of ordinary prose; a few stray hits are noise


def language_from_tag(tag: str | None) -> str | None:
    """``"fr-BE"`` → ``"fr"``; tags of other languages → ``None``."""
    if not tag or not isinstance(tag, str):
        return None
    primary = tag.strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in LANGUAGES else None


def detect_language(text: str | None) -> str | None:
    """Guess FR/NL/EN/DE from stop words; ``None`` when the evidence is thin or tied."""
    if not text:
        return None
    words = _WORD.findall(text.lower())
    scores = {lang: sum(1 for w in words if w in stops) for lang, stops in _STOP_WORDS.items()}
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (best, best_score), (_, second_score) = ranked[0], ranked[1]
    if best_score < MIN_HITS or best_score == second_score or best == "other":
        return None
    if best_score < MIN_SHARE * len(words):
        return None
    return best
