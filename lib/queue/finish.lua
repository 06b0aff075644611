-- finish: end the caller's token (left the queue, or paid) and refill the slot at once.
-- ARGV (named): A.tokenId, A.userId, A.reason (LEFT, PAID)
-- Returns: {outcome, admitted} where outcome is ENDED, ALREADY_ENDED, UNKNOWN or FOREIGN.
-- Cost: O(log N) plus the admissions it makes.
local now = now_ms()
local s = settings()
local st = token_status(A.tokenId, A.userId, now, s, false)
local outcome = 'ENDED'
if st.status == 'UNKNOWN' or st.status == 'FOREIGN' then
  outcome = st.status
elseif st.status == 'EXPIRED' then
  outcome = 'ALREADY_ENDED'
else
  end_token(A.tokenId, A.reason, now)
end
return reply({ outcome = outcome, admitted = admit(now, s) })
