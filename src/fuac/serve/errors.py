"""The service's errors: one JSON object each, with the library's Chinese and English words.

Every error answers ``{"error": {"status", "code", "message": {"zh", "en"}, "problems": [...]}}``;
a problem is a :class:`fuac.Problem`'s ``to_dict()`` (``field``, ``code``, ``severity``,
``message`` in both languages, ``rules``, ``value``), so a client reads a rejected input of an
evaluation and a rejected request the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..run.results import Problem


class ApiError(Exception):
    """An error answer: HTTP ``status``, a ``code`` (``invalid_input``, ``ruleset_not_found`` …), a
    message in both languages, and the problems (each naming its field)."""

    def __init__(self, status: int, code: str, en: str, zh: str, problems: Iterable[Problem] = (),
                 headers: dict[str, str] | None = None) -> None:
        self.status, self.code, self.en, self.zh = status, code, en, zh
        self.problems = list(problems)
        self.headers = headers or {}
        super().__init__(en)

    def body(self) -> dict[str, Any]:
        return {"error": {"status": self.status, "code": self.code, "message": {"zh": self.zh, "en": self.en},
                          "problems": [p.to_dict() for p in self.problems]}}


def problem(field: str, code: str, en: str, zh: str, value: Any = None) -> Problem:
    """A problem with a request (not with an indicator's value): its field, in both languages."""
    return Problem(field, code, en, zh, value=value)


def bad_request(field: str, code: str, en: str, zh: str, *, status: int = 422) -> ApiError:
    """An error about one field of the request, saying so in its message and its one problem."""
    return ApiError(status, code, f"{field}: {en}", f"{field}：{zh}", [problem(field, code, en, zh)])


def not_found(field: str, value: Any, en: str, zh: str) -> ApiError:
    """404: nothing called ``value`` (a rule set, an assessment); ``en`` and ``zh`` say what."""
    return ApiError(404, f"{field}_not_found", en, zh, [problem(field, f"{field}_not_found", en, zh, value=str(value))])


def too_large(limit: int) -> ApiError:
    return ApiError(413, "body_too_large", f"the request body is larger than {limit:,} bytes",
                    f"请求内容超过 {limit:,} 字节的上限",
                    [problem("body", "body_too_large", f"larger than {limit:,} bytes", f"超过 {limit:,} 字节")])


def unauthorized() -> ApiError:
    return ApiError(401, "unauthorized", "a valid API token is needed: Authorization: Bearer <token>",
                    "需要有效的 API 令牌：Authorization: Bearer <令牌>", headers={"WWW-Authenticate": "Bearer"})


def internal() -> ApiError:
    return ApiError(500, "internal_error", "the service failed on this request; it is logged on the server",
                    "服务处理本请求时出错，错误已记录在服务器日志中")


#: Chinese for what FastAPI says about a query parameter or a form field it refuses
_VALIDATION_ZH = {
    "missing": "缺少必填项",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "int_parsing": "应为整数",
    "greater_than_equal": "取值过小",
    "less_than_equal": "取值过大",
    "bool_parsing": "应为 true 或 false",
    "string_too_long": "文本过长",
}


def from_validation(errors: Iterable[dict[str, Any]]) -> ApiError:
    """422 for what FastAPI refused before the endpoint ran (a query parameter, a form field),
    every field named (``query.view``)."""
    probs = []
    for e in errors:
        field = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "request"
        en = str(e.get("msg", "invalid"))
        zh = _VALIDATION_ZH.get(str(e.get("type")), "取值无效") + f"（{en}）"
        probs.append(problem(field, "invalid_parameter", en, zh, value=_short(e.get("input"))))
    names = ", ".join(p.field for p in probs)
    return ApiError(422, "invalid_parameter", f"invalid request parameter(s): {names}", f"请求参数无效：{names}", probs)


def _short(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int)):
        return v
    text = str(v)
    return text if len(text) <= 80 else text[:79] + "…"
