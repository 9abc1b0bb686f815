"""What an API handler (server/soap.py, server/vijson.py) is given and gives back: the
request as far as a handler reads it, and the answer that server/front.py sends."""

from __future__ import annotations

from collections.abc import Coroutine, Generator, Iterable
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

from starlette.types import Receive, Send


@dataclass(slots=True)
class ApiRequest:
    """One request to the API, as much of it as a handler reads."""

    method: str
    path: str
    raw_path: bytes
    headers: dict[bytes, bytes]  # lower-case names; the first of a repeated header, as Starlette's get()
    client: str
    body: bytes
    receive: Receive  # the live channel: a long poll ends early when the client goes away

    def header(self, name: bytes) -> str:
        value = self.headers.get(name)
        return value.decode("latin-1") if value is not None else ""


class Answer(NamedTuple):
    status: int
    body: bytes
    content_type: bytes | None  # None: no body (204)
    headers: list[tuple[bytes, bytes]] | None = None


def first_headers(pairs: Iterable[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    """A request's headers by (lower-case) name, the first of a repeated one (``ApiRequest.headers``)."""
    headers: dict[bytes, bytes] = {}
    for name, value in pairs:
        headers.setdefault(name, value)
    return headers


def answer_fields(answer: Answer) -> list[tuple[bytes, bytes]]:
    """The header fields of ``answer``: its own, then its body's type and length."""
    fields = [] if answer.headers is None else list(answer.headers)
    if answer.content_type is not None:
        fields.append((b"content-type", answer.content_type))
        fields.append((b"content-length", b"%d" % len(answer.body)))
    return fields


async def send_answer(send: Send, answer: Answer) -> None:
    await send({"type": "http.response.start", "status": answer.status, "headers": answer_fields(answer)})
    await send({"type": "http.response.body", "body": answer.body})


_R = TypeVar("_R")


class Resumed(Generic[_R]):
    """A coroutine that has already run to its first suspension (``waiting``: what it
    yielded), awaited from there on.  Handlers are stepped once where they are called,
    as most of them finish without waiting (server/direct.py, a long poll whose answer is
    ready); one that waits goes on in a task of this, which passes results and
    cancellation through."""

    def __init__(self, coro: Coroutine[Any, None, _R], waiting: Any) -> None:
        self.coro, self.waiting = coro, waiting

    def __await__(self) -> Generator[Any, None, _R]:
        waiting = self.waiting
        while True:
            try:
                yield waiting
            except BaseException as exc:  # cancellation (or a throw) goes to the coroutine
                try:
                    waiting = self.coro.throw(exc)
                except StopIteration as done:
                    return done.value  # type: ignore[no-any-return]
                continue
            try:
                waiting = self.coro.send(None)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
