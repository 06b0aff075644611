-- status: the poll.
-- ARGV (named): A.tokenId, A.userId, A.limit ('1' for a client's poll; '0' for the booking
--   endpoints' gate, which the poll limit does not apply to), A.pollRandom,
--   A.waitMsPerPlace, A.pollMinFraction (see tell_poll() in the prelude)
-- Returns: token_status(); or {status = RATE_LIMITED, retryAfterMs} when the caller's own
--   token is polled sooner than half the pollAfterMs it was last told (K.polls, written
--   by the script run that told it): such a poll does no admission and no heartbeat
--   work, and is counted (meta pollsLimited). A WAITING or PRE_QUEUE answer carries
--   pollAfterMs, and a client's poll stores the earliest next one it lets through.
-- Otherwise does the admission (and draw) work that is due, so a freed slot is refilled
-- by the next poll of anyone in the queue, not only by the timer.
-- Cost: O(log N), plus the admission work that is due.
local now = now_ms()
local s = settings()
local rec = redis.call('HGET', K.tokens, A.tokenId)
if rec and A.limit == '1' then
  local earliest = tonumber(redis.call('HGET', K.polls, A.tokenId) or 0)
  if now < earliest and parse_record(rec).user == A.userId then
    redis.call('HINCRBY', K.meta, 'pollsLimited', 1)
    return reply({ status = 'RATE_LIMITED', retryAfterMs = earliest - now })
  end
end
if rec then admit_if_needed(now, s) end
local st = token_status(A.tokenId, A.userId, now, s, true)
return reply(tell_poll(st, s, A.tokenId, A.pollRandom, A.waitMsPerPlace, A.pollMinFraction, A.limit == '1'))
