"""``fuac serve``: the app on uvicorn (one process, or several workers sharing one store)."""

from __future__ import annotations

import ipaddress
import os
import re
import sys
from typing import Any

from ..errors import InputError

#: what ``--max-body`` and ``--max-upload`` accept: bytes, or a number with K, M or G (×1024)
_SIZE = re.compile(r"\s*(\d+)\s*([kKmMgG]?)[iI]?[bB]?\s*\Z")


def size(text: str, option: str) -> int:
    """``2M`` → 2 097 152; an :class:`InputError` naming ``option`` otherwise."""
    m = _SIZE.match(str(text))
    if not m or int(m.group(1)) == 0:
        raise InputError(f"{option}: write a size such as 1048576, 512K or 64M, not {text!r}")
    return int(m.group(1)) << {"": 0, "k": 10, "m": 20, "g": 30}[m.group(2).lower()]


def loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(*, host: str = "127.0.0.1", port: int = 8000, db: str | None = None, tokens: str | None = None,
          workers: int = 1, max_body: str | None = None, max_upload: str | None = None,
          max_seconds: float | None = None, root_path: str = "", log_level: str = "info") -> int:
    """Open the store (making or upgrading its schema once, here), then serve until stopped."""
    import uvicorn

    from .app import MAX_BODY, MAX_SECONDS, MAX_UPLOAD, Settings, create_app
    from .security import Tokens
    from .store import Store

    if workers < 1:
        raise InputError(f"--workers: at least 1, not {workers}")
    settings = Settings(db=db, tokens=Tokens.load(tokens),
                        max_body=size(max_body, "--max-body") if max_body else MAX_BODY,
                        max_upload=size(max_upload, "--max-upload") if max_upload else MAX_UPLOAD,
                        max_seconds=max_seconds if max_seconds is not None else MAX_SECONDS)
    if settings.max_seconds <= 0:
        raise InputError(f"--max-seconds: more than 0, not {settings.max_seconds:g}")
    store = Store(db)
    settings.db = store.url
    _announce(host, port, store.where, settings, workers)
    common: dict[str, Any] = {"host": host, "port": port, "root_path": root_path, "log_level": log_level,
                              "server_header": False, "proxy_headers": True}
    if workers == 1:
        uvicorn.run(create_app(settings, store=store), **common)
        return 0
    store.close()
    os.environ.update({"FUAC_DB": store.url, "FUAC_MAX_BODY": str(settings.max_body),
                       "FUAC_MAX_UPLOAD": str(settings.max_upload), "FUAC_MAX_SECONDS": str(settings.max_seconds)})
    if tokens:
        os.environ["FUAC_TOKENS_FILE"] = os.path.abspath(tokens)
    uvicorn.run("fuac.serve.app:app_from_env", factory=True, workers=workers, **common)
    return 0


def _announce(host: str, port: int, where: str, settings: Any, workers: int) -> None:
    shown_host = f"[{host}]" if ":" in host else host
    out = sys.stderr
    print(f"fuac serve: http://{shown_host}:{port}/docs  (API: /v1, OpenAPI: /openapi.json)", file=out)
    print(f"  record of assessments: {where}", file=out)
    names = ", ".join(settings.tokens.names)
    print(f"  API tokens: {len(settings.tokens)} ({names})" if settings.tokens else "  API tokens: none", file=out)
    print(f"  limits: {settings.max_body:,} bytes a request, {settings.max_upload:,} a batch; workers: {workers}",
          file=out)
    if not settings.tokens and not loopback(host):
        print(f"fuac serve: warning: listening on {host} without API tokens: anyone who reaches it can submit "
              "assessments (see --tokens)", file=out)
