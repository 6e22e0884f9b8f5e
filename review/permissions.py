"""Who may do what: the role → permission table, enforced on every route.

Roles (``User.role``):

- **analyst** — reads signals, evidence and employers; triages (new ↔ in review); launches
  targeted crawls;
- **reviewer** — everything an analyst reads; triages; *decides* (confirms or dismisses a
  signal, judges the match behind it) and exports dossiers;
- **admin** — reads; manages users, sources and schedules. Admins do not decide on signals:
  the people who run the tool are not the people who accuse employers (separation of duties).

Every route declares what it needs with ``Depends(require("permission"))`` (or is listed in
:data:`PUBLIC_PATHS`); ``tests/review/test_permissions.py`` walks the app's routes and fails
on any route that does neither, then exercises each route with each role and anonymously.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends

from review import ReviewError
from review.deps import current_user
from storage.models import User

PERMISSIONS: dict[str, frozenset[str]] = {
    "view": frozenset({"analyst", "reviewer", "admin"}),  # signals, evidence, employers, docs
    "triage": frozenset({"analyst", "reviewer"}),  # new ↔ in review, comments, assignment
    "launch": frozenset({"analyst", "reviewer"}),  # targeted crawls (with a purpose)
    "decide": frozenset({"reviewer"}),  # confirm / dismiss a signal, judge a match
    "export": frozenset({"reviewer"}),  # dossiers leave the building
    "administer": frozenset({"admin"}),  # users, sources, schedules
}
# Paths anyone may reach without a session (the login form and the health probe).
PUBLIC_PATHS = frozenset({"/login", "/healthz", "/static"})
# Status changes that are decisions, not triage.
DECISIONS = frozenset({"confirmed", "dismissed"})


class Forbidden(ReviewError):
    """A logged-in user whose role does not carry the permission the route needs."""

    status_code = 403


def allowed(role: str, permission: str) -> bool:
    """True when ``role`` carries ``permission`` (unknown permissions are refused)."""
    return role in PERMISSIONS.get(permission, frozenset())


def authorize(user: User, permission: str) -> None:
    """Raise :class:`Forbidden` unless the user's role carries ``permission``."""
    if not allowed(user.role, permission):
        raise Forbidden(f"your role ({user.role}) may not {permission} here")


def permission_for_status(status: str) -> str:
    """Moving a signal to confirmed/dismissed is a decision; anything else is triage."""
    return "decide" if status in DECISIONS else "triage"


def require(permission: str) -> Callable[..., User]:
    """A dependency that returns the logged-in user once their role carries ``permission``.
    The returned function carries ``vigie_permission`` so tests can check every route."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def dependency(user: User = Depends(current_user)) -> User:
        authorize(user, permission)
        return user

    dependency.vigie_permission = permission  # type: ignore[attr-defined]
    dependency.__name__ = f"require_{permission}"
    return dependency
