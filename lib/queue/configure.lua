-- configure: store per-concert settings and admit at once if the change opened slots.
-- ARGV (named): A.setMaxActive, A.setAdmitPerSec, A.setActiveMs, A.setAbandonMs,
--   A.setExpectedMs (the ETA's prior session length); an empty string leaves that
--   setting as it is.
-- Returns: {admitted}.
-- Cost: O(1) plus the admissions it makes.
local now = now_ms()
local changes = { maxActive = A.setMaxActive, admitPerSec = A.setAdmitPerSec, activeMs = A.setActiveMs, abandonMs = A.setAbandonMs, expectedMs = A.setExpectedMs }
for field, value in pairs(changes) do
  if value ~= '' then redis.call('HSET', K.meta, field, value) end
end
if redis.call('HGET', K.meta, 'state') then return reply({ admitted = 0 }) end
return reply({ admitted = admit(now, settings()) })
