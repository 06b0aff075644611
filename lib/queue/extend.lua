-- extend: keep an active session alive at least until A.untilMs, e.g. while the user
-- holds a seat. Never shortens a session, never revives an expired one, and never
-- stretches it past admission + session length + A.maxExtraMs (one hold's length), so
-- holding and releasing over and over cannot keep a slot forever.
-- ARGV (named): A.tokenId, A.untilMs, A.maxExtraMs
-- Returns: {activeUntil} the session's end (ms), or 0 when it is not active.
-- Cost: O(log N).
local now = now_ms()
local current = tonumber(redis.call('ZSCORE', K.active, A.tokenId) or 0)
if current <= now then return reply({ activeUntil = 0 }) end
local rec = redis.call('HGET', K.tokens, A.tokenId)
if not rec then return reply({ activeUntil = 0 }) end
local s = settings()
local untilMs = math.min(tonumber(A.untilMs), parse_record(rec).admitted + s.activeMs + tonumber(A.maxExtraMs))
if current < untilMs then
  redis.call('ZADD', K.active, untilMs, A.tokenId)
  return reply({ activeUntil = untilMs })
end
return reply({ activeUntil = current })
