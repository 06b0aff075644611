-- schedule: store the sale's schedule (at creation, and when an operator moves or ends
-- the sale), then move the lifecycle on as the other scripts would.
-- ARGV (named): A.opensAtMs, A.closesAtMs (0 = none), A.schedVer, A.totalSeats.
-- Returns: {phase}.
-- Cost: O(1), plus the draw work that is due.
local now = now_ms()
apply_schedule(A.opensAtMs, A.closesAtMs, A.schedVer, A.totalSeats)
local ph = phase(now)
if ph == 'SOLD_OUT' or ph == 'CLOSED' then expire_all() end
return reply({ phase = ph })
