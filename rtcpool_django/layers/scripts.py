"""The Lua scripts of ``rtcpool_django.layers``: each is one atomic round trip to Redis."""

from __future__ import annotations

import hashlib
from typing import Any

from redis import exceptions as redis_exceptions

# KEYS: distinct channel keys of one shard. ARGV: expiry, trim cutoff, then for each message
# (key number, capacity, score, payload). Returns the 1-based numbers of refused messages.
DELIVER_LUA = """
local expiry, cutoff = ARGV[1], ARGV[2]
local count, touched, refused = {}, {}, {}
for k = 1, #KEYS do
    redis.call('ZREMRANGEBYSCORE', KEYS[k], 0, cutoff)
    count[k] = redis.call('ZCARD', KEYS[k])
end
local n = 0
for i = 3, #ARGV, 4 do
    n = n + 1
    local k = tonumber(ARGV[i])
    if count[k] < tonumber(ARGV[i + 1]) then
        redis.call('ZADD', KEYS[k], ARGV[i + 2], ARGV[i + 3])
        count[k] = count[k] + 1
        touched[k] = true
    else
        refused[#refused + 1] = n
    end
end
for k in pairs(touched) do
    redis.call('EXPIRE', KEYS[k], expiry)
end
return refused
"""

# KEYS: queue, its $inflight backup, the id of the batch in the backup. ARGV: id of the last
# batch handed over, id for this batch, how many to pop, expiry. A backup whose id is not the
# one handed over was never seen by a receiver: it goes back into the queue first (with its
# scores, so in order). Returns the popped members and scores.
POP_BATCH_LUA = """
local current = redis.call('GET', KEYS[3])
if current and current ~= ARGV[1] then
    local backed = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
    for i = 1, #backed, 2 do
        redis.call('ZADD', KEYS[1], backed[i + 1], backed[i])
    end
end
redis.call('DEL', KEYS[2], KEYS[3])
local popped = redis.call('ZPOPMIN', KEYS[1], ARGV[3])
if #popped == 0 then
    return popped
end
for i = 1, #popped, 2 do
    redis.call('ZADD', KEYS[2], popped[i + 1], popped[i])
end
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('SET', KEYS[3], ARGV[2], 'EX', ARGV[4])
return popped
"""

# KEYS: a group. ARGV: cutoff. Drops expired members and returns the others.
GROUP_MEMBERS_LUA = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1)
"""


class _Script:
    """A Lua script run by EVALSHA, loaded by EVAL the first time a server lacks it."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    async def __call__(self, connection: Any, keys: list[Any], args: list[Any]) -> Any:
        try:
            return await connection.evalsha(self.sha, len(keys), *keys, *args)
        except redis_exceptions.NoScriptError:
            # Not run at all, so running it now cannot deliver twice.
            return await connection.eval(self.source, len(keys), *keys, *args)


DELIVER = _Script(DELIVER_LUA)
POP_BATCH = _Script(POP_BATCH_LUA)
GROUP_MEMBERS = _Script(GROUP_MEMBERS_LUA)
