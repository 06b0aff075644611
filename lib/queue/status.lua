-- status: the poll.
-- ARGV (named): A.tokenId, A.userId
-- Returns: token_status().
-- Also does the admission (and draw) work that is due, so a freed slot is refilled by
-- the next poll of anyone in the queue, not only by the timer.
-- Cost: O(log N), plus the admission work that is due.
local now = now_ms()
local s = settings()
if redis.call('HEXISTS', K.tokens, A.tokenId) == 1 then admit_if_needed(now, s) end
return reply(token_status(A.tokenId, A.userId, now, s, true))
