-- tick: the admission run. Drops abandoned waiters, forgets long-ended tokens (older
-- than A.endedRetentionMs), ends expired sessions and admits.
-- ARGV: only the defaults.
-- Returns: {admitted, abandoned, waiting, active}.
-- Cost: O(k log N) for the k tokens it ends or admits (at most PRUNE_BATCH of each kind).
local now = now_ms()
local s = settings()
local abandoned = redis.call('ZRANGEBYSCORE', K.seen, '-inf', now - s.abandonMs, 'LIMIT', 0, PRUNE_BATCH)
for _, t in ipairs(abandoned) do end_token(t, 'ABANDONED', now) end
local forgotten = redis.call('ZRANGEBYSCORE', K.endedAt, '-inf', now - tonumber(A.endedRetentionMs), 'LIMIT', 0, PRUNE_BATCH)
for _, t in ipairs(forgotten) do
  redis.call('HDEL', K.ended, t)
  redis.call('ZREM', K.endedAt, t)
end
local admitted = admit(now, s)
return reply({ admitted = admitted, abandoned = #abandoned, waiting = redis.call('ZCARD', K.waiting), active = redis.call('ZCARD', K.active) })
