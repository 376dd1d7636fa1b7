"""ASGI guards in front of the routes: the key before the body, NUL characters refused, 500s as problems.

Order (outermost first, set up by create_app): security headers -> `UnexpectedErrorMiddleware` (so a 500 still
gets the headers) -> CORS -> `AuthenticateFirstMiddleware` (a request to a keyed route with no valid key is
refused before one byte of its body is read: issue 18 measured +116 MB for a 19 MiB body sent without a key) ->
`RequestLimitsMiddleware` (api.main: 413, 504) -> `NulGuardMiddleware` -> the app.

Also `client_address`: the audit's client address, believing X-Forwarded-For only from configured proxies.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from collections.abc import Iterable

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import current_principal
from api.problems import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE, ProblemError

logger = logging.getLogger(__name__)

# A JSON string holds NUL only as the escape \u0000 (a raw control character is invalid JSON): an odd number of
# backslashes before "u0000" (an even number is an escaped backslash followed by the text "u0000").
JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def problem_body(status: int, title: str, detail: str, path: str, slug: str, errors: list[dict[str, object]] | None
                 = None) -> bytes:
    """An RFC 9457 problem (the shape api.problems.problem_response writes)."""
    body: dict[str, object] = {"type": PROBLEM_TYPE_BASE + slug, "title": title, "status": status,
                               "detail": detail, "instance": path}
    if errors is not None:
        body["errors"] = errors
    return json.dumps(body).encode()


async def send_problem(send: Send, status: int, body: bytes, headers: Iterable[tuple[bytes, bytes]] = (),
                       close: bool = False) -> None:
    """Answer with a problem body; `close` when the request body was not read (the connection cannot be reused)."""
    head = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode()),
            *headers]
    if close:
        head.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


class UnexpectedErrorMiddleware:
    """Any error no handler took becomes a logged 500 problem *inside* the security-headers middleware.

    Starlette answers unhandled errors from its outermost layer (ServerErrorMiddleware), outside every user
    middleware, so those 500s went out without the security headers (issue 18, item 7).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            logger.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await send_problem(send, 500, problem_body(500, "Internal Server Error", "an unexpected error "
                                   "occurred; it was logged", scope.get("path", ""), "internal-server-error"))


class AuthenticateFirstMiddleware:
    """Requests to keyed API routes need a valid key before anything else happens (the role is checked later by
    the route's own dependency, which finds the key in the in-process cache)."""

    def __init__(self, app: ASGIApp, prefix: str, public_paths: frozenset[str]) -> None:
        self.app = app
        self.prefix = prefix
        self.public_paths = public_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (scope["type"] != "http" or scope.get("method") == "OPTIONS" or not path.startswith(self.prefix)
                or path in self.public_paths):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        credentials = HTTPAuthorizationCredentials(scheme=scheme, credentials=token.strip()) if token else None
        try:
            await current_principal(request, credentials)
        except ProblemError as problem:
            body = problem_body(problem.status, problem.title, problem.detail, path, problem.type_slug)
            headers = [(k.lower().encode(), v.encode()) for k, v in problem.headers.items()]
            await send_problem(send, problem.status, body, headers, close=True)
            return
        await self.app(scope, receive, send)


class NulGuardMiddleware:
    """422 for a NUL character anywhere in a request: path, query string or JSON body.

    PostgreSQL text cannot hold NUL and SQLite stores it silently (issue 18 found both a 500 and stored NULs); no
    field of this API has a use for it, so it is refused once, here, for every route and database. The body is read
    whole (bounded by RequestLimitsMiddleware, which runs first) and handed on unchanged.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if "\x00" in path or b"%00" in scope.get("query_string", b""):
            await send_problem(send, 422, _nul_problem(path, "query" if "\x00" not in path else "path"))
            return
        if scope.get("method") not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([], message), send)
                return
            chunks.append(message.get("body", b""))
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        if b"\x00" in body or JSON_NUL.search(body):
            await send_problem(send, 422, _nul_problem(path, "body"))
            return
        await self.app(scope, _replay([body], None, receive), send)


def _nul_problem(path: str, where: str) -> bytes:
    return problem_body(422, "Validation failed", f"invalid request: a NUL character in the {where}", path,
                        "validation-failed", errors=[{"loc": [where], "msg": "NUL characters are not allowed",
                                                      "type": "nul_character"}])


def _replay(chunks: list[bytes], final: Message | None, receive: Receive | None = None) -> Receive:
    """A receive() that hands out `chunks` as one body, then `final` (or defers to the real receive)."""
    pending = list(chunks)

    async def replay() -> Message:
        if pending:
            return {"type": "http.request", "body": pending.pop(0), "more_body": False}
        if final is not None:
            return final
        assert receive is not None
        return await receive()

    return replay


def client_address(request: Request | None) -> str | None:
    """The client's address for the audit: the peer, or, when the peer is a configured trusted proxy, the nearest
    untrusted address in X-Forwarded-For (read right to left; a client can put anything on the left of it)."""
    if request is None or request.client is None:
        return None
    peer = request.client.host
    settings = getattr(request.app.state, "settings", None)
    networks = _networks(getattr(settings, "trusted_proxies", ()) or ())
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop[:64]
    return peer


def _networks(entries: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(entry, strict=False) for entry in entries]


def _trusted(address: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
