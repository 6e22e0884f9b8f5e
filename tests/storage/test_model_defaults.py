"""Table rows are made by the thousand during a crawl: their default factories must not cost
a signature parse per row (see ``storage.models._known_signature``)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import SQLModel

import storage.models as models


def _table_models() -> list[type[SQLModel]]:
    return [
        value for value in vars(models).values()
        if isinstance(value, type) and issubclass(value, SQLModel)
        and getattr(value, "__table__", None) is not None
    ]


def test_every_default_factory_carries_its_signature() -> None:
    factories = {
        (model.__name__, name): field.default_factory
        for model in _table_models()
        for name, field in model.model_fields.items()
        if field.default_factory is not None
    }
    assert len(factories) >= 25  # the JSON columns and timestamps of the core records
    slow = sorted(key for key, factory in factories.items()
                  if "__signature__" not in vars(factory))
    assert slow == []


def test_defaults_are_fresh_per_row() -> None:
    a = models.Record(kind="ad", fingerprint="a", capture_id=1)
    b = models.Record(kind="ad", fingerprint="b", capture_id=1)
    assert a.raw == {} and a.raw is not b.raw  # not one dict shared by every row
    a.raw["x"] = 1
    assert b.raw == {}
    match = models.Match(record_id=1, employer_id=2, score=0.5, method="name")
    assert match.explanation == [] and isinstance(match.created_at, datetime)
    assert match.created_at.tzinfo is not None
