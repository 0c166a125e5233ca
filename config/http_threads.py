"""HTTP under the ASGI server, through Django's WSGI handler on a pool of threads (a2wsgi).

Every view of the site is synchronous. Django's ASGI handler runs each request's synchronous
code in a thread and a context of its own, and crosses between the event loop and a thread for
each hook of each middleware that is not async-native (most of them): in process, ``GET
/api/v1/me/`` cost 8 ms of CPU that way against 2 ms through the WSGI handler
(``bench/bench_api.py`` measures the server as a whole). Here each request crosses once: the
loop hands it to one of ``WEB_THREADS`` long-lived threads, which runs Django's whole WSGI
handler, as a threaded WSGI server would, and streams the response back. The WebSockets (the
live rooms) stay on the loop, in Channels (``config.asgi``).

:func:`server_loop` is that loop, for code running in those threads that hands work to it
without waiting (``liveroom.broadcast`` sends to a room's viewers there).
"""

from __future__ import annotations

import asyncio
import io

from a2wsgi import WSGIMiddleware

_loop: asyncio.AbstractEventLoop | None = None


def server_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop of this process's ASGI server, once it has served a request;
    None in any other process (a WSGI server, a worker, a command)."""
    loop = _loop
    return loop if loop is not None and loop.is_running() else None


class ThreadedHTTP:
    """The ASGI application for ``http`` scopes: ``wsgi_application`` on ``threads`` threads."""

    def __init__(self, wsgi_application, threads: int, max_unsized_body: int) -> None:
        def sized(environ, start_response):
            # Django's WSGI request reads Content-Length bytes, so a body sent without one (in
            # chunks) would read as empty. Such a body is read here, up to one byte more than
            # the site reads (DATA_UPLOAD_MAX_MEMORY_SIZE, so that a longer one is still refused
            # as too large, 413), and given its length.
            if "CONTENT_LENGTH" not in environ and "chunked" in environ.get(
                "HTTP_TRANSFER_ENCODING", ""
            ).lower().replace(" ", "").split(","):
                body = environ["wsgi.input"].read(max_unsized_body + 1)
                environ["wsgi.input"] = io.BytesIO(body)
                environ["CONTENT_LENGTH"] = str(len(body))
            return wsgi_application(environ, start_response)

        self._wsgi = WSGIMiddleware(sized, workers=threads)

    async def __call__(self, scope, receive, send) -> None:
        global _loop
        if _loop is None or not _loop.is_running():
            _loop = asyncio.get_running_loop()
        await self._wsgi(scope, receive, send)
