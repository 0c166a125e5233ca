"""Django's Redis cache with one connection pool per process and server, and one client per pool.

Django keeps a cache object per thread and, under ASGI, per request (each request's synchronous
code runs in a thread of its own), and each object built its own connection pool: every request
served by the ASGI server opened a new connection to Redis, and left it to the garbage
collector. Here the pools are the process's, shared by every cache object of the same server and
options (a pool is safe to share between threads, and starts afresh in a forked process).

Django's ``RedisCacheClient`` also builds a new ``redis.Redis`` for every command, and with it
the client's table of response callbacks: about a tenth of a millisecond each time, more than a
``GET`` on loopback takes. A ``redis.Redis`` is safe to share between threads too, so one per
pool does the same.

Django's ``incr`` checks that the key exists, then increments it: two commands, and a key that
expires between them is created again by ``INCRBY`` with no expiry at all, a count that never
ends (a sign-in limit that would never lift). Here one script does both, atomically, in one
round trip.
"""

import threading

from django.core.cache.backends import redis as django_redis

# The process's connection pools, by server and options; their clients and the clients' scripts.
_pools: dict[tuple, object] = {}
_clients: dict[int, object] = {}
_scripts: dict[int, object] = {}
_lock = threading.Lock()


class RedisCacheClient(django_redis.RedisCacheClient):
    def _get_connection_pool(self, write):
        server = self._servers[self._get_connection_pool_index(write)]
        key = (server, self._pool_class, repr(sorted(self._pool_options.items())))
        pool = _pools.get(key)
        if pool is None:
            with _lock:
                pool = _pools.get(key)
                if pool is None:
                    pool = _pools[key] = self._pool_class.from_url(server, **self._pool_options)
        return pool

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = _clients.get(id(pool))
        if client is None:
            client = _clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client

    def incr(self, key, delta):
        client = self.get_client(key, write=True)
        script = _scripts.get(id(client))
        if script is None:
            script = _scripts.setdefault(id(client), client.register_script(_INCR_IF_EXISTS))
        value = script(keys=[key], args=[delta])
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value


_INCR_IF_EXISTS = """
if redis.call("EXISTS", KEYS[1]) == 1 then
    return redis.call("INCRBY", KEYS[1], ARGV[1])
end
return false
"""


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
