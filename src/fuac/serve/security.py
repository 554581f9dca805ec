"""API tokens and the request-size limit.

Tokens are optional. When some are configured, every ``/v1`` request must carry one
(``Authorization: Bearer <token>``), and the record names its submitter by the token's name.
They come from ``FUAC_TOKENS`` (``name:token,name:token``) and from a file (``--tokens FILE`` or
``FUAC_TOKENS_FILE``: one ``name:token`` a line, ``#`` comments). A token is at least
:data:`MIN_TOKEN` characters. Only their SHA-256 digests are kept in memory; no token is ever
printed, logged or stored, and an error about a token file names the line, never the token.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import FuacError
from .errors import ApiError, too_large

ENV_TOKENS = "FUAC_TOKENS"
ENV_TOKENS_FILE = "FUAC_TOKENS_FILE"
MIN_TOKEN = 16
_NAME = re.compile(r"[A-Za-z0-9_.@\-]{1,64}\Z")


class TokenError(FuacError, ValueError):
    """A token list cannot be used: names where (the variable, the file and line), never the token."""


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


class Tokens:
    """The configured tokens by digest → name. Empty: no token is needed (everyone is ``anonymous``)."""

    def __init__(self, named: Mapping[str, str] | None = None) -> None:
        self._by_digest: dict[bytes, str] = {}
        for token, name in (named or {}).items():
            self._by_digest[_digest(token)] = name

    def __bool__(self) -> bool:
        return bool(self._by_digest)

    def __len__(self) -> int:
        return len(self._by_digest)

    @property
    def names(self) -> list[str]:
        return sorted(set(self._by_digest.values()))

    def who(self, authorization: str | None) -> str:
        """The name of the token in an ``Authorization`` header; ``anonymous`` when no token is
        configured; a 401 :class:`ApiError` when one is needed and this is not one of them."""
        if not self._by_digest:
            return "anonymous"
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized()
        given = _digest(token.strip())
        found = None
        for digest, name in self._by_digest.items():  # every one compared, in constant time
            if hmac.compare_digest(digest, given):
                found = name
        if found is None:
            raise _unauthorized()
        return found

    @classmethod
    def load(cls, file: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Tokens:
        """The tokens of ``$FUAC_TOKENS``, and of ``file`` (else ``$FUAC_TOKENS_FILE``)."""
        env = os.environ if env is None else env
        named: dict[str, str] = {}
        text = env.get(ENV_TOKENS, "")
        for k, entry in enumerate(t for t in text.split(",") if t.strip()):
            _add(named, entry, f"${ENV_TOKENS}, entry {k + 1}")
        path = file or env.get(ENV_TOKENS_FILE)
        if path:
            try:
                lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                raise TokenError(f"tokens file {path}: cannot be read ({type(exc).__name__})") from None
            for n, line in enumerate(lines, 1):
                if line.strip() and not line.lstrip().startswith("#"):
                    _add(named, line, f"tokens file {path}, line {n}")
        return cls(named)


def _add(named: dict[str, str], entry: str, where: str) -> None:
    name, sep, token = entry.strip().partition(":")
    name, token = name.strip(), token.strip()
    if not sep or not _NAME.match(name):
        raise TokenError(f"{where}: write name:token, the name of letters, digits, _ . @ - (at most 64)")
    if len(token) < MIN_TOKEN or any(c.isspace() for c in token):
        raise TokenError(f"{where}: the token of {name!r} must be at least {MIN_TOKEN} characters, without spaces")
    if token in named:
        raise TokenError(f"{where}: the token of {name!r} is also the token of {named[token]!r}")
    named[token] = name


def _unauthorized() -> ApiError:
    from .errors import unauthorized

    return unauthorized()


# ---------------------------------------------------------------------------
# the size of a request


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: a request whose body is larger than its limit gets 413 (one JSON error)
    before the endpoint reads it, from its ``Content-Length``, or as soon as a streamed body
    (chunked) passes the limit. ``limit_for(path)`` gives each path's limit."""

    def __init__(self, app: Any, limit_for: Any, render: Any) -> None:
        self.app, self.limit_for, self.render = app, limit_for, render

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = -1
            if declared < 0:
                await self._answer(send, ApiError(400, "bad_content_length", "Content-Length is not a number",
                                                  "Content-Length 不是数字"))
                return
            if declared > limit:
                await self._answer(send, too_large(limit))
                return
        seen = 0
        started = False

        async def limited() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        async def watched(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited, watched)
        except BodyTooLarge:
            if started:
                raise
            await self._answer(send, too_large(limit))

    async def _answer(self, send: Any, err: ApiError) -> None:
        await send_error(send, err, self.render)


async def send_error(send: Any, err: ApiError, render: Any) -> None:
    """One JSON error as the whole answer, from a middleware (the connection then closes)."""
    body = render(err.body()).encode("utf-8")
    await send({"type": "http.response.start", "status": err.status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class TimeLimit:
    """ASGI middleware: time limits on a request, each answered with one JSON error.

    - ``body_seconds``: the longest wait for the next piece of a request's body (a client that
      stalls while sending is answered 408 instead of holding a worker); a large upload over a
      slow link may take as long as it keeps sending;
    - ``seconds``: the longest the answer may take to start once the body has arrived (504). A
      streamed answer (a batch's rows) is not cut once it has started: its rows are its progress.
    """

    def __init__(self, app: Any, seconds: float, body_seconds: float, render: Any) -> None:
        self.app, self.seconds, self.body_seconds, self.render = app, seconds, body_seconds, render

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, received = asyncio.Event(), asyncio.Event()
        if not _has_body(scope):
            received.set()

        async def paced() -> Any:
            try:
                message = await asyncio.wait_for(receive(), self.body_seconds)
            except asyncio.TimeoutError:
                raise BodyTooSlow from None
            if not message.get("more_body", False):
                received.set()
            return message

        async def watched(message: Any) -> None:
            if message["type"] == "http.response.start":
                started.set()
            await send(message)

        task = asyncio.ensure_future(self.app(scope, paced, watched))
        try:
            if await self._late(task, started, received):
                task.cancel()
                await self._answer(send, ApiError(504, "request_timeout",
                                                  f"no answer within {self.seconds:g} seconds: refused",
                                                  f"{self.seconds:g} 秒内未能完成，已停止"))
                return
            await task
        except BodyTooSlow:
            if not started.is_set():
                await self._answer(send, ApiError(408, "body_timeout",
                                                  f"the request's body stalled for {self.body_seconds:g} seconds",
                                                  f"请求内容停顿超过 {self.body_seconds:g} 秒"))

    async def _late(self, task: Any, started: asyncio.Event, received: asyncio.Event) -> bool:
        """Whether the answer failed to start within ``seconds`` of the body's arrival (waiting first
        for the body, each piece within ``body_seconds``, or for the app to answer or fail)."""
        waiters = [asyncio.ensure_future(started.wait()), asyncio.ensure_future(received.wait())]
        try:
            await asyncio.wait({task, *waiters}, return_when=asyncio.FIRST_COMPLETED)
            if task.done() or started.is_set():
                return False
            await asyncio.wait({task, waiters[0]}, timeout=self.seconds, return_when=asyncio.FIRST_COMPLETED)
            return not task.done() and not started.is_set()
        finally:
            for w in waiters:
                w.cancel()

    async def _answer(self, send: Any, err: ApiError) -> None:
        await send_error(send, err, self.render)


def _has_body(scope: Any) -> bool:
    """Whether a request sends a body: a length above 0, or one sent in chunks."""
    headers = dict(scope.get("headers") or [])
    if b"transfer-encoding" in headers:
        return True
    return headers.get(b"content-length", b"0") not in (b"0", b"")


class BodyTooSlow(Exception):
    """A request's body stalled past its time limit."""
