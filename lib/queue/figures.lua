-- figures: live numbers for operators.
-- ARGV: only the defaults.
-- Returns: {waiting, active, admittedLastMinute, admittedTotal, rateMilli, maxActive,
--   admitPerSec, activeMs, abandonMs, issued}.
-- Cost: O(log N) plus the admissions of the last minute (XRANGE over one minute of the log).
local now = now_ms()
local s = settings()
return reply({
  waiting = redis.call('ZCARD', K.waiting),
  active = redis.call('ZCARD', K.active),
  admittedLastMinute = #redis.call('XRANGE', K.admissions, tostring(now - 60000), '+'),
  admittedTotal = tonumber(redis.call('HGET', K.meta, 'admittedTotal') or 0),
  rateMilli = math.floor(current_rate(now) * 1000),
  maxActive = s.maxActive,
  admitPerSec = s.admitPerSec,
  activeMs = s.activeMs,
  abandonMs = s.abandonMs,
  issued = tonumber(redis.call('GET', K.seq) or 0),
})
