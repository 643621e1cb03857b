"""The Redis channel layer, with a connection pool that waits when it is full.

channels-redis builds redis-py's default async pool, which (redis-py 8) opens
at most 100 connections and raises `MaxConnectionsError` beyond: a thousand
websockets joining or leaving their groups at once failed, and every failed
`group_discard` left a stale member behind. This layer's pool is a
`BlockingConnectionPool`: `max_connections` caps it, and a command waits up to
`timeout` seconds for a free connection instead of failing.

Its connections skip the handshake commands an older server answers with an
error (`CLIENT SETINFO` before Redis 7.2, `CLIENT MAINT_NOTIFICATIONS` outside
Redis Enterprise). redis-py raises each such reply from a frame that keeps it
in a local (`raise response from None`): exception, traceback and frame form a
reference cycle, and the frame's `asyncio.timeout` holds the task that opened
the connection. That task was often a websocket consumer's, which then stayed
in memory after its close until a full garbage collection.
"""

from channels_redis.core import RedisChannelLayer  # type: ignore[import-untyped]  # ships no types
from redis.asyncio import BlockingConnectionPool
from redis.maint_notifications import MaintNotificationsConfig


class PooledRedisChannelLayer(RedisChannelLayer):
    """`channels_redis.core.RedisChannelLayer` whose hosts take `max_connections` and `timeout`."""

    def create_pool(self, index: int) -> BlockingConnectionPool:
        host = dict(self.hosts[index])
        return BlockingConnectionPool.from_url(
            host.pop("address"),
            driver_info=None,
            maint_notifications_config=MaintNotificationsConfig(enabled=False),
            **host,
        )
