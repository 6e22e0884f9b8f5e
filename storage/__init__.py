"""Storage: SQLModel tables, engine/session factory, migrations, the evidence store."""

from vigie.errors import VigieError


class StorageError(VigieError):
    """The database or the evidence store failed or refused an operation."""


class EvidenceError(StorageError):
    """A capture could not be written, read back or verified."""
