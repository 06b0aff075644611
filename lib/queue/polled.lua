-- polled: after an answer that told a waiting or pre-queued token when to poll next,
-- store the earliest poll the limit lets through (status.lua refuses sooner ones).
-- ARGV (named): A.tokenId, A.earliestMs.
-- Written only while the token is live (an ended token leaves nothing behind).
-- Returns: {stored (0|1)}. Cost: O(1).
if redis.call('HEXISTS', K.tokens, A.tokenId) == 0 then return reply({ stored = 0 }) end
redis.call('HSET', K.polls, A.tokenId, A.earliestMs)
return reply({ stored = 1 })
