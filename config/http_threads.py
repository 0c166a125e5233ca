"""HTTP under the ASGI server, through Django's WSGI handler on a pool of threads (a2wsgi).

Every view of the site is synchronous. Django's ASGI handler runs each request's synchronous
code in a thread and a context of its own, and crosses between the event loop and a thread for
each hook of each middleware that is not async-native (most of them): in process, ``GET
/api/v1/me/`` cost 8 ms of CPU that way against 2 ms through the WSGI handler
(``bench/bench_api.py`` measures the server as a whole). Here each request crosses once: the
loop reads the request's body, as Django's ASGI handler does (into memory, or a temporary file
past ``FILE_UPLOAD_MAX_MEMORY_SIZE``), so a client sending slowly holds no thread; then it hands
the request to one of ``WEB_THREADS`` long-lived threads, which runs Django's whole WSGI handler,
as a threaded WSGI server would, and streams the response back. The WebSockets (the live rooms)
stay on the loop, in Channels (``config.asgi``).

:func:`server_loop` is that loop, for code running in those threads that hands work to it
without waiting (``liveroom.broadcast`` sends to a room's viewers there).
"""

from __future__ import annotations

import asyncio
import tempfile

from a2wsgi import WSGIMiddleware
from django.conf import settings

_loop: asyncio.AbstractEventLoop | None = None
_BODY = "zhibo.body"  # the scope's key for the body read on the loop: (file, size)


def server_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop of this process's ASGI server, once it has served a request;
    None in any other process (a WSGI server, a worker, a command)."""
    loop = _loop
    return loop if loop is not None and loop.is_running() else None


async def _nothing_more() -> dict:
    return {"type": "http.request", "body": b"", "more_body": False}


class ThreadedHTTP:
    """The ASGI application for ``http`` scopes: ``wsgi_application`` on ``threads`` threads."""

    def __init__(self, wsgi_application, threads: int) -> None:
        def with_body(environ, start_response):
            # The body as the loop read it, with its length: Django's WSGI request reads
            # Content-Length bytes, so a body sent in chunks (without one) is read too.
            body, size = environ["asgi.scope"][_BODY]
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = body, str(size)
            return wsgi_application(environ, start_response)

        self._wsgi = WSGIMiddleware(with_body, workers=threads)

    async def __call__(self, scope, receive, send) -> None:
        global _loop
        if _loop is None or not _loop.is_running():
            _loop = asyncio.get_running_loop()
        max_size = settings.FILE_UPLOAD_MAX_MEMORY_SIZE
        with tempfile.SpooledTemporaryFile(max_size=max_size, mode="w+b") as body:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return  # the client left before it had sent its request
                body.write(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            size = body.tell()
            body.seek(0)
            await self._wsgi({**scope, _BODY: (body, size)}, _nothing_more, send)
