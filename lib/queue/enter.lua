-- enter: take a place in the queue, or return the place the user already has.
-- ARGV (named): A.userId; A.freshTokenId, A.freshEntryId (new random ids, used only if
--   the user has no live place); A.freshDraw (HMAC-SHA256(seed, freshEntryId) in hex,
--   the entry's place in the lottery when it joins the pre-queue); the schedule from the
--   catalog: A.opensAtMs, A.closesAtMs (0 = none), A.schedVer, A.totalSeats; the poll
--   schedule's A.pollRandom, A.waitMsPerPlace, A.pollMinFraction (tell_poll(), prelude).
-- Returns: token_status() plus created (0|1) and tokenId; or {status = SOLD_OUT | CLOSED}
--   with created 0 when the sale has ended (nothing is written then).
-- Before opensAt the entry joins the pre-queue (no position until the draw); from the
-- opening on it gets the next seq (FIFO, behind every pre-queued entry). Admits at once
-- when slots are free.
-- Cost: O(log N), plus the admission or draw work that is due.
local now = now_ms()
local s = settings()
apply_schedule(A.opensAtMs, A.closesAtMs, A.schedVer, A.totalSeats)
local ph = phase(now)
if ph == 'SOLD_OUT' or ph == 'CLOSED' then
  return reply({ status = ph, created = 0, tokenId = '' })
end
local token = redis.call('HGET', K.users, A.userId)
local created = 0
if token then
  local st = token_status(token, A.userId, now, s, true)
  if st.status == 'EXPIRED' or st.status == 'UNKNOWN' then token = nil end
end
if not token then
  token = A.freshTokenId
  local r = { seq = 0, entered = now, admitted = 0, entry = A.freshEntryId, draw = '', user = A.userId }
  if ph == 'PRE' then
    r.draw = A.freshDraw
    redis.call('ZADD', K.pre, 0, pre_member(r))
    redis.call('HSET', K.entries, r.entry, token)
  else
    r.seq = redis.call('INCR', K.seq)
    redis.call('ZADD', K.waiting, r.seq, token)
    redis.call('ZADD', K.seen, now, token)
  end
  redis.call('HSET', K.tokens, token, format_record(r))
  redis.call('HSET', K.users, A.userId, token)
  redis.call('HINCRBY', K.meta, 'enteredTotal', 1)
  created = 1
end
admit_if_needed(now, s)
local st = token_status(token, A.userId, now, s, true)
st.created = created
st.tokenId = token
return reply(tell_poll(st, s, token, A.pollRandom, A.waitMsPerPlace, A.pollMinFraction, true))
