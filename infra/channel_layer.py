"""The Redis channel layer, with a connection pool that waits when it is full.

channels-redis builds redis-py's default async pool, which (redis-py 8) opens
at most 100 connections and raises `MaxConnectionsError` beyond: a thousand
websockets joining or leaving their groups at once failed, and every failed
`group_discard` left a stale member behind. This layer's pool is a
`BlockingConnectionPool`: `max_connections` caps it, and a command waits up to
`timeout` seconds for a free connection instead of failing.
"""

from channels_redis.core import RedisChannelLayer  # type: ignore[import-untyped]  # ships no types
from redis.asyncio import BlockingConnectionPool


class PooledRedisChannelLayer(RedisChannelLayer):
    """`channels_redis.core.RedisChannelLayer` whose hosts take `max_connections` and `timeout`."""

    def create_pool(self, index: int) -> BlockingConnectionPool:
        host = dict(self.hosts[index])
        return BlockingConnectionPool.from_url(host.pop("address"), **host)
