-- draw: the published record of the pre-queue lottery, a page at a time.
-- ARGV (named): A.offset, A.limit
-- Returns: {openedAt (0 = not drawn yet), preQueued, entries (entryIds in drawn order,
--   joined with ','), next (offset of the next page, -1 at the end)}.
-- Before the draw the pre-queue's order is secret-dependent and still changing, so no
-- entries are listed.
-- Cost: O(log N + limit).
local m = redis.call('HMGET', K.meta, 'openedAt', 'preCount')
if not m[1] then
  return reply({ openedAt = 0, preQueued = redis.call('ZCARD', K.pre), entries = '', next = -1 })
end
local count = tonumber(m[2])
local offset = tonumber(A.offset)
local members = redis.call('ZRANGE', K.pre, offset, offset + tonumber(A.limit) - 1)
local ids = {}
for i, member in ipairs(members) do ids[i] = string.sub(member, 66) end
local nextOffset = offset + #members
if nextOffset >= count then nextOffset = -1 end
return reply({ openedAt = tonumber(m[1]), preQueued = count, entries = table.concat(ids, ','), next = nextOffset })
