"""What a comparator returns — :class:`Feature`: a score, a signed weight and the reason in
plain words — and the documented weights of every feature (how the matcher combines them:
:mod:`entity_resolution.matcher`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from entity_resolution.slots import slot_maker


@dataclass(frozen=True, slots=True)
class Feature:
    """One piece of evidence: ``score`` in 0..1, signed ``weight``, ``reason`` for a lawyer."""

    name: str
    score: float
    weight: float
    reason: str

    @property
    def contribution(self) -> float:
        """Signed strength of this evidence (``weight × score``)."""
        return self.weight * self.score

    def __reduce__(self) -> tuple[Any, tuple[str, float, float, str]]:
        # Pickled as its four values: the default for a slotted dataclass looks its fields
        # up again for every object, which made reading back a worker's results (a few
        # features per candidate) cost more than matching them.
        return _feature, (self.name, self.score, self.weight, self.reason)


_make_feature = slot_maker(Feature)


def _feature(name: str, score: float, weight: float, reason: str) -> Feature:
    """A :class:`Feature` made without its (frozen, slower) ``__init__`` (for unpickling, and
    for the features the matcher makes per candidate)."""
    return _make_feature(name, score, weight, reason)  # type: ignore[no-any-return]


W_IDENTIFIER = 1.0  # same enterprise / BE VAT number: decisive
W_NAME = 1.0  # name similarity counts in full
W_PHONE = 0.7
W_PHONE_OTHER = -0.15  # a different phone: weak, firms have several numbers
W_EMAIL = 0.7  # the same e-mail address (controlled by its owner)
W_DOMAIN = 0.5  # the same (non free-mail) e-mail or web domain
W_POSTCODE_SAME = 0.15
W_MUNICIPALITY_SAME = 0.1
W_DISTRICT_SAME = 0.05
W_DISTRICT_OTHER = -0.05  # weak: ads often give the work place, not the seat
W_LEGAL_FORM_SAME = 0.05
W_LEGAL_FORM_OTHER = -0.2  # an association against a company (VZW vs NV)
W_LEGAL_FORM_OTHER_COMPANY = -0.1  # two kinds of company (NV vs BV, Ltd): often written loosely
W_NUMBER_CONFLICT = -0.2  # plus a cap at "possible" (matcher)
W_FOREIGN_VAT = -0.2  # plus a cap at "possible" (matcher)
