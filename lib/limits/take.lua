-- take.lua: one request of a user against a per-minute limit, and for holds first the
-- user's count of holds that expired unpaid in that concert. One round trip, atomic.
--
-- The rate limit is GCRA (a token bucket kept as one number): KEYS[1] holds the
-- "theoretical arrival time" TAT in scaled units (ms * limit), so `limit` requests may
-- come at once and then one every window/limit ms; integer arithmetic only.
--
-- KEYS[1]  rate key      string, TAT in ms*limit; expires when the bucket is full again
-- KEYS[2]  unpaid key    (holds only) integer count of this user's unpaid expiries in the concert
-- ARGV[1]  limit         requests per window (>= 1)
-- ARGV[2]  windowMs      the window (60000)
-- ARGV[3]  unpaidLimit   (with KEYS[2]) expiries after which holding is refused
-- Returns  {0, 0}               allowed (and counted)
--          {1, retryAfterMs}    rate limited (nothing counted)
--          {2, count, pttlMs}   too many unpaid holds (nothing counted)
-- O(1).
if KEYS[2] then
  local unpaid = tonumber(redis.call('GET', KEYS[2]) or '0')
  if unpaid >= tonumber(ARGV[3]) then
    return {2, unpaid, redis.call('PTTL', KEYS[2])}
  end
end

local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = (tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)) * limit
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local nextTat = tat + window
if nextTat - now > window * limit then
  return {1, math.ceil((nextTat - window * limit - now) / limit)}
end
redis.call('SET', KEYS[1], string.format('%.0f', nextTat), 'PX', math.ceil((nextTat - now) / limit))
return {0, 0}
