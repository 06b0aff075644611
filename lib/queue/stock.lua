-- stock: the per-concert availability figure behind `seatsAvailable` and SOLD_OUT. Kept
-- after each committed change in DynamoDB (the only truth about seats) and reconciled
-- from it by the sweep; every operation is idempotent, so a retried or repeated call
-- changes nothing more.
-- ARGV (named): A.op, A.seat ("<date>#<seatNo>"), A.untilMs (hold expiry), A.payload
--   (reconcile: JSON {"total": n, "held": {"<seat>": expiryMs, ...}, "sold": ["<seat>", ...]}).
--   op = hold     the seat is held until A.untilMs
--        free     the hold ended (given back, expired, released)
--        sold     the seat was paid for; when every seat is sold the sale ends SOLD_OUT
--        reconcile replace the figure with the payload read from DynamoDB
-- Returns: {seatsAvailable (-1 = unknown), seatsSold, state ('' while on sale)}.
-- Cost: O(log S) for S seats; reconcile O(S).
local now = now_ms()
if A.op == 'hold' then
  redis.call('ZADD', K.held, A.untilMs, A.seat)
elseif A.op == 'free' then
  redis.call('ZREM', K.held, A.seat)
elseif A.op == 'sold' then
  redis.call('ZREM', K.held, A.seat)
  redis.call('SADD', K.sold, A.seat)
elseif A.op == 'reconcile' then
  local p = cjson.decode(A.payload)
  redis.call('DEL', K.held, K.sold)
  for seat, untilMs in pairs(p.held) do
    if tonumber(untilMs) > now then redis.call('ZADD', K.held, untilMs, seat) end
  end
  for _, seat in ipairs(p.sold) do redis.call('SADD', K.sold, seat) end
  redis.call('HSET', K.meta, 'totalSeats', p.total)
end
local total = tonumber(redis.call('HGET', K.meta, 'totalSeats') or 0)
local sold = redis.call('SCARD', K.sold)
if total > 0 and sold >= total then end_queue('SOLD_OUT', now) end
local state = redis.call('HGET', K.meta, 'state')
if state then expire_all() end
return reply({ seatsAvailable = seats_available(now) or -1, seatsSold = sold, state = state or '' })
