"""Users, passwords, login throttling and CSRF tokens of the review app.

Passwords are hashed with argon2id (``argon2-cffi`` defaults). Sessions are Starlette's signed
cookie (see :mod:`review.app`); each session carries a random CSRF token that every POST must
echo back, in the ``csrf_token`` form field (pages) or the ``X-CSRF-Token`` header (API).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session, select

from review import ReviewError, TooManyAttempts
from storage.audit import append_event
from storage.models import ApiToken, User, utcnow
from storage.queries import NotFoundError

ROLES = ("analyst", "reviewer", "admin")
MIN_PASSWORD_LENGTH = 10
USERNAME_RE = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")

_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so a miss costs as much as a hit."""
    return _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches ``password_hash``; False on mismatch or a broken hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def create_user(session: Session, username: str, password: str, role: str = "analyst") -> User:
    """Add a user (flushed, not committed). Refuses bad roles, duplicates and short passwords."""
    if not USERNAME_RE.match(username or ""):
        raise ReviewError("username must be 1-64 characters among letters, digits and ._@-")
    if role not in ROLES:
        raise ReviewError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ReviewError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if session.exec(select(User).where(User.username == username)).first() is not None:
        raise ReviewError(f"user {username!r} already exists")
    user = User(username=username, password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, else None (same cost either way)."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    return user


class LoginThrottle:
    """At most ``max_failures`` failed logins per username within ``window`` seconds.

    Kept in memory per app process: enough for one review server; a multi-process deployment
    would keep these counters in the database or Redis instead.
    """

    def __init__(self, max_failures: int = 5, window: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str) -> deque[float]:
        now = self.clock()
        failures = self._failures.setdefault(key, deque())
        while failures and now - failures[0] > self.window:
            failures.popleft()
        return failures

    def check(self, username: str) -> None:
        """Raise :class:`TooManyAttempts` while this username is locked out."""
        key = username.strip().lower()
        with self._lock:
            failures = self._recent(key)
            if len(failures) >= self.max_failures:
                wait = int(self.window - (self.clock() - failures[0])) + 1
                raise TooManyAttempts(
                    f"too many failed logins for this username; try again in {wait} s"
                )

    def failed(self, username: str) -> None:
        key = username.strip().lower()
        with self._lock:
            self._recent(key).append(self.clock())

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username.strip().lower(), None)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; a missing token never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def safe_next(target: str | None, default: str = "/signals") -> str:
    """Only local paths are followed after login (no open redirect to another site)."""
    if (not target or not target.startswith("/") or target.startswith("//")
            or "\\" in target or any(ord(c) < 32 for c in target)):
        return default
    return target


# -- personal API tokens -----------------------------------------------------------------------
TOKEN_PREFIX = "vigie_"
TOKEN_NAME_MAX = 100


def hash_token(secret: str) -> str:
    """Tokens are 32 random bytes: SHA-256 is enough (no dictionary to guess from)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_api_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user`` (flushed and audited, not committed) and its secret, which is
    returned this once and never stored."""
    label = (name or "").strip()
    if not label or len(label) > TOKEN_NAME_MAX:
        raise ReviewError(f"a token needs a name of 1-{TOKEN_NAME_MAX} characters")
    if not user.active:
        raise ReviewError(f"user {user.username!r} is not active")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=label, token_hash=hash_token(secret),
                     created_at=utcnow())
    session.add(token)
    session.flush()
    append_event(session, user.username, "token.create", f"token:{token.id}", {"name": label})
    return token, secret


def user_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).where(ApiToken.user_id == user.id)
                             .order_by(ApiToken.id.desc())).all())


def revoke_api_token(session: Session, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (audited). Someone else's token is a 404."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFoundError(f"token {token_id} does not exist")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        append_event(session, user.username, "token.revoke", f"token:{token.id}",
                     {"name": token.name})
    return token


def user_for_token(session: Session, secret: str) -> tuple[User, ApiToken] | None:
    """The active user behind a live (unrevoked) token, else None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(secret))
                         ).first()
    if token is None or token.revoked_at is not None:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    return user, token
