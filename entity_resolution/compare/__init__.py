"""Comparators: small pure functions that compare one aspect of a query with a register entry
and return a :class:`Feature` — a score, a weight, and the reason in plain words.

How the matcher combines them is documented in :mod:`entity_resolution.matcher`. In short, a
feature with a positive ``weight`` is evidence **for** the match (its strength is
``weight × score``), one with a negative weight is evidence **against**, and weight 0 is
information shown to the reader that does not change the score.

Reasons name the concrete values, so that a reviewer can check them against the pages.

The comparators live in one module per aspect; this package re-exports them, so that
``from entity_resolution.compare import …`` keeps working:

- :mod:`~entity_resolution.compare.features` — :class:`Feature` and the weights;
- :mod:`~entity_resolution.compare.identifiers` — enterprise / VAT numbers, phones, e-mails,
  domains;
- :mod:`~entity_resolution.compare.words` — the vocabulary of names and word weights;
- :mod:`~entity_resolution.compare.name_profile` — prepared names, name-score results and
  the thresholds of name scoring;
- :mod:`~entity_resolution.compare.name_score` — name similarity;
- :mod:`~entity_resolution.compare.name_readings` — other readings of a name (garbled legal
  form, "and", acronym, the name mistyped word for word);
- :mod:`~entity_resolution.compare.name_feature` — the name feature and its reason;
- :mod:`~entity_resolution.compare.legal_forms`, :mod:`~entity_resolution.compare.places`.
"""

from __future__ import annotations

from entity_resolution.compare.features import (
    W_DISTRICT_OTHER,
    W_DISTRICT_SAME,
    W_DOMAIN,
    W_EMAIL,
    W_FOREIGN_VAT,
    W_IDENTIFIER,
    W_LEGAL_FORM_OTHER,
    W_LEGAL_FORM_OTHER_COMPANY,
    W_LEGAL_FORM_SAME,
    W_MUNICIPALITY_SAME,
    W_NAME,
    W_NUMBER_CONFLICT,
    W_PHONE,
    W_PHONE_OTHER,
    W_POSTCODE_SAME,
    Feature,
    _feature,
)
from entity_resolution.compare.identifiers import (
    compare_domains,
    compare_emails,
    compare_enterprise_numbers,
    compare_foreign_vat,
    compare_phones,
)
from entity_resolution.compare.legal_forms import compare_legal_form_values, compare_legal_forms
from entity_resolution.compare.name_feature import compare_names
from entity_resolution.compare.name_profile import (
    ABBREVIATION_SIMILARITY,
    ACRONYM_ONLY_BELOW,
    COMPACT_SIMILARITY_MIN,
    CONTAINED_EXTRA_WEIGHT,
    GARBLED_CAP,
    GENERIC_ONLY_CAP,
    INITIAL_SIMILARITY,
    MISTYPED_LETTERS_PER_EDIT,
    MISTYPED_MIN_WORD,
    MISTYPED_WORD_SHARE,
    OTHER_PLACE_CAP,
    OTHER_TRADE_CAP,
    TOKEN_SIMILARITY_MIN,
    WEAK_MIN_LENGTH,
    WEAK_PAIR_FACTOR,
    WEAK_TOKEN_SIMILARITY,
    WHOLE_LETTERS_PER_EDIT,
    WHOLE_MIN_LENGTH,
    WHOLE_SIMILARITY_MIN,
    NameProfile,
    NameScore,
)
from entity_resolution.compare.name_score import _abbreviates, score_names, score_profiles
from entity_resolution.compare.places import compare_places
from entity_resolution.compare.words import (
    COUNTRY_WORDS,
    GENERIC_WEIGHT,
    GENERIC_WORDS,
    PLACE_WEIGHT,
    PLACE_WORDS,
    SHORT_WEIGHT,
    STOPWORD_WEIGHT,
    STOPWORDS,
    TRADE_WORDS,
    is_distinctive,
    token_weight,
)

# ``_feature`` stays importable here: Features pickled before the split name it by this path.
__all__ = [
    "ABBREVIATION_SIMILARITY",
    "ACRONYM_ONLY_BELOW",
    "COMPACT_SIMILARITY_MIN",
    "CONTAINED_EXTRA_WEIGHT",
    "COUNTRY_WORDS",
    "GARBLED_CAP",
    "GENERIC_ONLY_CAP",
    "GENERIC_WEIGHT",
    "GENERIC_WORDS",
    "INITIAL_SIMILARITY",
    "MISTYPED_LETTERS_PER_EDIT",
    "MISTYPED_MIN_WORD",
    "MISTYPED_WORD_SHARE",
    "OTHER_PLACE_CAP",
    "OTHER_TRADE_CAP",
    "PLACE_WEIGHT",
    "PLACE_WORDS",
    "SHORT_WEIGHT",
    "STOPWORDS",
    "STOPWORD_WEIGHT",
    "TOKEN_SIMILARITY_MIN",
    "TRADE_WORDS",
    "WEAK_MIN_LENGTH",
    "WEAK_PAIR_FACTOR",
    "WEAK_TOKEN_SIMILARITY",
    "WHOLE_LETTERS_PER_EDIT",
    "WHOLE_MIN_LENGTH",
    "WHOLE_SIMILARITY_MIN",
    "W_DISTRICT_OTHER",
    "W_DISTRICT_SAME",
    "W_DOMAIN",
    "W_EMAIL",
    "W_FOREIGN_VAT",
    "W_IDENTIFIER",
    "W_LEGAL_FORM_OTHER",
    "W_LEGAL_FORM_OTHER_COMPANY",
    "W_LEGAL_FORM_SAME",
    "W_MUNICIPALITY_SAME",
    "W_NAME",
    "W_NUMBER_CONFLICT",
    "W_PHONE",
    "W_PHONE_OTHER",
    "W_POSTCODE_SAME",
    "Feature",
    "NameProfile",
    "NameScore",
    "_abbreviates",
    "_feature",
    "compare_domains",
    "compare_emails",
    "compare_enterprise_numbers",
    "compare_foreign_vat",
    "compare_legal_form_values",
    "compare_legal_forms",
    "compare_names",
    "compare_phones",
    "compare_places",
    "is_distinctive",
    "score_names",
    "score_profiles",
    "token_weight",
]
