-- figures: live numbers for operators.
-- ARGV: only the defaults.
-- Returns: {waiting, active, admittedLastMinute, admittedTotal, rateMilli, maxActive,
--   admitPerSec, activeMs, abandonMs, expectedMs, issued, phase, preQueued, openedAt,
--   seatsAvailable, seatsSold, seatsHeld, sessionsEnded, sessionMsTotal, pollsLimited}.
-- Cost: O(log N) plus the admissions of the last minute (XRANGE over one minute of the log).
local now = now_ms()
local s = settings()
local m = redis.call('HMGET', K.meta, 'state', 'opensAt', 'openedAt', 'preCount', 'admittedTotal', 'sesTotalN', 'sesTotalMs')
local free, held = seats_available(now)
local ph = m[1]
if not ph then
  if not m[2] or m[3] then ph = 'OPEN' elseif now < tonumber(m[2]) then ph = 'PRE' else ph = 'DRAWING' end
end
return reply({
  waiting = redis.call('ZCARD', K.waiting),
  active = redis.call('ZCARD', K.active),
  admittedLastMinute = #redis.call('XRANGE', K.admissions, tostring(now - 60000), '+'),
  admittedTotal = tonumber(m[5] or 0),
  rateMilli = math.floor(current_rate(now) * 1000),
  maxActive = s.maxActive,
  admitPerSec = s.admitPerSec,
  activeMs = s.activeMs,
  abandonMs = s.abandonMs,
  expectedMs = s.expectedMs,
  issued = tonumber(redis.call('GET', K.seq) or 0),
  phase = ph,
  preQueued = tonumber(m[4] or redis.call('ZCARD', K.pre)),
  openedAt = tonumber(m[3] or 0),
  seatsAvailable = free or -1,
  seatsSold = redis.call('SCARD', K.sold),
  seatsHeld = held,
  sessionsEnded = tonumber(m[6] or 0),
  sessionMsTotal = tonumber(m[7] or 0),
  pollsLimited = tonumber(redis.call('HGET', K.meta, 'pollsLimited') or 0),
})
