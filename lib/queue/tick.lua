-- tick: the admission run. Applies the catalog's schedule, moves the lifecycle on (the
-- draw at the opening, the close), drops abandoned waiters, forgets long-ended tokens
-- (older than A.endedRetentionMs), ends expired sessions and admits. On an ended sale it
-- only makes sure every key expires.
-- ARGV (named): the schedule A.opensAtMs, A.closesAtMs, A.schedVer, A.totalSeats
--   (empty = keep the stored one).
-- Returns: {admitted, abandoned, entered, waiting, active, phase, sessionsEnded,
--   sessionMsTotal}. entered: the entries since the previous run, for the QueueEntered
--   metric (counted once per run, not by every entry; a run whose reply is lost loses
--   its count, so the metric may undercount but never counts an entry twice).
--   sessionsEnded, sessionMsTotal: plain totals for the deployment's history
--   (lib/queue/history.ts).
-- Cost: O(k log N) for the k tokens it ends, places or admits (bounded per kind).
local now = now_ms()
local s = settings()
apply_schedule(A.opensAtMs, A.closesAtMs, A.schedVer, A.totalSeats)
local ph = phase(now)
local counts = redis.call('HMGET', K.meta, 'enteredTotal', 'enteredReported')
local entered = tonumber(counts[1] or 0) - tonumber(counts[2] or 0)
if entered > 0 then redis.call('HSET', K.meta, 'enteredReported', counts[1]) end
if ph == 'SOLD_OUT' or ph == 'CLOSED' then
  expire_all()
  return reply({ admitted = 0, abandoned = 0, entered = entered, waiting = redis.call('ZCARD', K.waiting), active = redis.call('ZCARD', K.active), phase = ph })
end
local abandoned = redis.call('ZRANGEBYSCORE', K.seen, '-inf', now - s.abandonMs, 'LIMIT', 0, PRUNE_BATCH)
for _, t in ipairs(abandoned) do end_token(t, 'ABANDONED', now) end
local forgotten = redis.call('ZRANGEBYSCORE', K.endedAt, '-inf', now - tonumber(A.endedRetentionMs), 'LIMIT', 0, PRUNE_BATCH)
for _, t in ipairs(forgotten) do
  redis.call('HDEL', K.ended, t)
  redis.call('ZREM', K.endedAt, t)
end
redis.call('ZREMRANGEBYSCORE', K.held, '-inf', now)
local admitted = admit(now, s)
local totals = redis.call('HMGET', K.meta, 'sesTotalN', 'sesTotalMs')
return reply({
  admitted = admitted, abandoned = #abandoned, entered = entered, waiting = redis.call('ZCARD', K.waiting), active = redis.call('ZCARD', K.active),
  phase = phase(now), sessionsEnded = tonumber(totals[1] or 0), sessionMsTotal = tonumber(totals[2] or 0),
})
