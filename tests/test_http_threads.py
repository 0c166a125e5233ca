"""The web process's HTTP (config.http_threads): requests reach Django's WSGI handler on the
process's threads with their bodies, however the client sent them."""

import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.conf import settings

from config.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def _post(path: str, body: bytes, *, chunked: bool) -> dict:
    headers = [(b"host", b"testserver"), (b"content-type", b"application/json")]
    if chunked:  # no Content-Length: the body ends where the request does
        headers.append((b"transfer-encoding", b"chunked"))
    else:
        headers.append((b"content-length", str(len(body)).encode()))

    async def post():
        communicator = HttpCommunicator(application, "POST", path, body=body, headers=headers)
        response = await communicator.get_response(timeout=30)
        await communicator.wait(timeout=30)
        return response

    response = async_to_sync(post)()
    return {"status": response["status"], "body": json.loads(response["body"] or b"null")}


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_is_read_with_or_without_its_length(chunked):
    """Wrong credentials (401), not a form missing its fields (400): the body was read."""
    body = json.dumps({"username": "nobody", "password": "not-this-one"}).encode()
    response = _post("/api/v1/auth/token/", body, chunked=chunked)
    assert response["status"] == 401, response


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_over_the_limit_is_refused_as_too_large_either_way(chunked):
    body = json.dumps(
        {"username": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE, "password": "y"}
    ).encode()
    response = _post("/api/v1/auth/token/", body, chunked=chunked)
    assert response["status"] == 413 and response["body"]["code"] == "too_large", response


def test_a_client_sending_slowly_holds_no_thread():
    """A request whose body is still arriving waits on the loop, not on one of the threads:
    with a single thread, another request is served meanwhile."""
    from asgiref.testing import ApplicationCommunicator
    from django.core.wsgi import get_wsgi_application

    from config.http_threads import ThreadedHTTP

    app = ThreadedHTTP(get_wsgi_application(), threads=1)

    def scope(method: str, path: str) -> dict:
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"testserver"), (b"content-type", b"application/json")],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }

    async def response(communicator) -> int:
        """The status, once the whole response has been sent and the application is done."""
        start = await communicator.receive_output(timeout=10)
        while (await communicator.receive_output(timeout=10)).get("more_body"):
            pass
        await communicator.wait(timeout=10)
        return start["status"]

    async def both():
        slow = ApplicationCommunicator(app, scope("POST", "/api/v1/auth/token/"))
        await slow.send_input(
            {"type": "http.request", "body": b'{"username": "nob', "more_body": True}
        )
        quick = ApplicationCommunicator(app, scope("GET", "/api/v1/courses/"))
        await quick.send_input({"type": "http.request", "body": b"", "more_body": False})
        served = await response(quick)  # while the slow one has not finished sending
        await slow.send_input(
            {"type": "http.request", "body": b'ody", "password": "x-y-z"}', "more_body": False}
        )
        return served, await response(slow)

    assert async_to_sync(both)() == (200, 401)
