"""Review: the detection team's and legal reviewers' web UI (Jinja2 pages) and its JSON twin.

Build the app with :func:`review.app.create_app`. Errors raised on purpose here derive from
:class:`ReviewError`; each carries the HTTP status the app's single error handler answers with.
"""

from vigie.errors import VigieError


class ReviewError(VigieError):
    """A request the review app refuses (bad input, not allowed, not logged in...)."""

    status_code = 400


class LoginRequired(ReviewError):
    """No valid session: pages redirect to the login form, the API answers 401."""

    status_code = 401


class CsrfError(ReviewError):
    """A state-changing request without the session's CSRF token."""

    status_code = 403


class TooManyAttempts(ReviewError):
    """Login throttled after repeated failures for one username."""

    status_code = 429
