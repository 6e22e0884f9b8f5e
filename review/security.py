"""Security headers on every response (pure ASGI middleware, so streaming is untouched).

A response that sets its own ``Content-Security-Policy`` (the sandboxed capture body) or
``X-Frame-Options`` keeps it; everything else gets the app-wide strict policy.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = ("default-src 'self'; script-src 'self'; object-src 'none'; frame-src 'self'; "
            "base-uri 'none'; form-action 'self'")
CAPTURE_CSP = "sandbox; default-src 'none'; img-src 'none'; style-src 'unsafe-inline'"

DEFAULT_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in DEFAULT_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
