"""The service's time limits (issue #17: "request size and time limits"): a request whose answer has not
started within the limit gets one JSON error (504), a body that stalls gets one (408), and a streamed
answer (a batch's rows) is not cut once it has started. Driven as ASGI, with limits of a fraction of a
second; the real app carries the same middleware (``fuac serve --max-seconds``)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

pytest.importorskip("fastapi")

from fuac.serve.security import TimeLimit


def run(app: Any, body_pause: float = 0.0, pieces: int = 1) -> tuple[int | None, bytes]:
    """Call ``app`` once as an HTTP request whose body comes in ``pieces``, each after ``body_pause`` s."""
    sent: list[dict[str, Any]] = []
    left = [pieces]

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(body_pause)
        left[0] -= 1
        return {"type": "http.request", "body": b"{}", "more_body": left[0] > 0}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"content-length", str(2 * pieces).encode())]
    asyncio.run(app({"type": "http", "path": "/v1/x", "headers": headers}, receive, send))
    status = next((m["status"] for m in sent if m["type"] == "http.response.start"), None)
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def answer_after(seconds: float, chunks: int = 1) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):  # the whole body first
            pass
        await asyncio.sleep(seconds)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for k in range(chunks):
            await send({"type": "http.response.body", "body": b"row\n", "more_body": k < chunks - 1})
            await asyncio.sleep(seconds)
    return app


def limited(app: Any, seconds: float = 0.2, body_seconds: float = 0.2) -> TimeLimit:
    return TimeLimit(app, seconds=seconds, body_seconds=body_seconds, render=json.dumps)


def test_an_answer_in_time_passes() -> None:
    assert run(limited(answer_after(0.01))) == (200, b"row\n")


def test_an_answer_too_slow_to_start_is_one_json_error() -> None:
    status, body = run(limited(answer_after(1.0)))
    assert status == 504
    err = json.loads(body)["error"]
    assert (err["status"], err["code"]) == (504, "request_timeout")
    assert err["message"] == {"en": "no answer within 0.2 seconds: refused", "zh": "0.2 秒内未能完成，已停止"}


def test_a_body_that_stalls_is_one_json_error() -> None:
    status, body = run(limited(answer_after(0.0), seconds=2.0, body_seconds=0.1), body_pause=1.0)
    assert status == 408 and json.loads(body)["error"]["code"] == "body_timeout"


def test_a_slow_upload_that_keeps_sending_is_not_timed_out() -> None:
    # 5 pieces 0.1 s apart: 0.5 s in all, past the 0.2 s limit, but no piece stalls 0.3 s and the
    # answer starts at once once the body is in: the clock starts when the body has arrived
    assert run(limited(answer_after(0.0), seconds=0.2, body_seconds=0.3), body_pause=0.1, pieces=5) == (
        200, b"row\n")


def test_a_streamed_answer_is_not_cut_once_started() -> None:
    # started at once, then 4 rows 0.1 s apart: 0.4 s in all, past the 0.2 s limit, every row arrives
    status, body = run(limited(answer_after(0.1, chunks=4), seconds=0.2))
    assert status == 200 and body == b"row\n" * 4


def test_the_app_carries_the_limits() -> None:
    from fuac.serve.app import BODY_SECONDS, MAX_SECONDS, Settings, create_app
    from fuac.serve.store import Store

    app = create_app(Settings(db="sqlite://"), store=Store("sqlite://"))
    found = [m for m in app.user_middleware if m.cls is TimeLimit]
    assert len(found) == 1 and (found[0].kwargs["seconds"], found[0].kwargs["body_seconds"]) == (
        MAX_SECONDS, BODY_SECONDS)
