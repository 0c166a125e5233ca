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
