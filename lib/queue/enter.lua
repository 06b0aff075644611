-- enter: take a place in the queue, or return the place the user already has.
-- ARGV (named): A.userId, A.freshTokenId (a new random tokenId, used only if the user
--   has no live place)
-- Returns: token_status() plus created (0|1) and tokenId. Admits at once when slots are free.
-- Cost: O(log N), plus the admission work that is due.
local now = now_ms()
local s = settings()
local token = redis.call('HGET', K.users, A.userId)
local created = 0
if token then
  local st = token_status(token, A.userId, now, s, true)
  if st.status == 'EXPIRED' or st.status == 'UNKNOWN' then token = nil end
end
if not token then
  token = A.freshTokenId
  local seq = redis.call('INCR', K.seq)
  redis.call('HSET', K.tokens, token, format_record({ seq = seq, entered = now, admitted = 0, user = A.userId }))
  redis.call('HSET', K.users, A.userId, token)
  redis.call('ZADD', K.waiting, seq, token)
  redis.call('ZADD', K.seen, now, token)
  created = 1
end
admit_if_needed(now, s)
local st = token_status(token, A.userId, now, s, true)
st.created = created
st.tokenId = token
return reply(st)
