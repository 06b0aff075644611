-- Shared definitions of the waiting room's scripts, prepended to every one of them.
--
-- Before this prelude the loader (lib/queue/scripts.ts) binds, by name:
--   K.<key>  the concert's keys (all share the hash tag {q:<concertId>}, so every script
--            runs on Redis Cluster); the list is QUEUE_KEYS in lib/queue/keys.ts:
--     K.seq        STRING  ticket counter; INCR gives strict FIFO order (no clocks)
--     K.waiting    ZSET    tokenId -> seq                  (waiting users, placed)
--     K.seen       ZSET    tokenId -> last poll, ms        (waiting users, for abandonment)
--     K.active     ZSET    tokenId -> active until, ms     (the active set)
--     K.tokens     HASH    tokenId -> "seq|enteredMs|admittedMs|entryId|draw|userId"
--                          (live tokens; seq 0 = pre-queued, not placed yet; draw is the
--                          entry's HMAC for the lottery, '' for entries after the opening)
--     K.users      HASH    userId  -> tokenId              (one place per user)
--     K.ended      HASH    tokenId -> "reason|endedMs|userId" (recently ended, reported EXPIRED)
--     K.endedAt    ZSET    tokenId -> ended, ms            (to forget ended tokens)
--     K.meta       HASH    settings (maxActive, admitPerSec, activeMs, abandonMs,
--                          expectedMs), the schedule (opensAt, closesAt, schedVer,
--                          totalSeats), the draw (openedAt, preCount, preBase, preDone,
--                          draws), the end (state SOLD_OUT|CLOSED, endedAt), the admission
--                          window (winSec, winCount), the slot-release rate (relEwma, relAt,
--                          relStart), session and queue statistics for ETAs (ses*, q*),
--                          admittedTotal, enteredTotal (entries ever) and enteredReported
--                          (the part of it the admission runs have counted as a metric)
--     K.admissions STREAM  one entry per admission (seq, token), trimmed by time; the
--                          audit trail for FIFO checks and "admitted in the last minute"
--     K.pre        ZSET    "<draw>:<entryId>", all score 0, so ordered by the draw (the
--                          HMAC, 64 hex digits): the pre-queue, frozen at the opening as
--                          the published record of the lottery
--     K.entries    HASH    entryId -> tokenId (pre-queued entries, to place them)
--     K.held       ZSET    "<date>#<seatNo>" -> hold expiry, ms (seats held now)
--     K.sold       SET     "<date>#<seatNo>"  (seats paid for)
--     K.polls      HASH    tokenId -> earliest next poll, ms (the poll limit: half the
--                          pollAfterMs the token was last told, written by the same
--                          script that told it; see tell_poll() and status.lua)
--   A.<arg>  the arguments: first the defaults every script gets (used when the concert
--            has no override in K.meta): A.maxActive, A.admitPerSec, A.activeMs,
--            A.abandonMs, A.endedRetentionMs, A.expectedMs; then the script's own, named
--            in its header.
--   POLL     the poll schedule's constants (POLL_SCHEDULE in lib/queue/estimates.ts):
--            POLL.tierUpTo, POLL.tierMs, POLL.minMs, POLL.scarceMs, POLL.openingSpreadMs,
--            POLL.preQueueMaxMs.
--
-- Lifecycle (phase()): PRE (before opensAt: entries go to the pre-queue, nobody is
-- admitted) -> DRAWING (opensAt passed: the pre-queue is placed in draw order, in
-- batches, by whichever script runs first; entries arriving now queue behind all of it;
-- admissions wait) -> OPEN (FIFO admissions) -> SOLD_OUT (every seat paid) or CLOSED
-- (closesAt passed). An ended queue admits nobody and all its keys expire after
-- A.endedRetentionMs.
--
-- Scripts reply with reply(t): a flat list of name/value pairs, decoded by name in one
-- place (lib/queue/replies.ts). Values are strings or integers (Redis truncates Lua
-- numbers to integers, so fractions travel as strings).
--
-- Time is Redis server time (TIME), one clock for every caller. Each script is
-- O(log N) in the queue length plus O(k log N) for the k tokens it admits, places or ends.

local RATE_TAU_MS = 5000           -- time constant of the slot-release rate average (an opening changes pace within seconds)
local SESSION_TAU_MS = 15000       -- time constant of the session-length statistics (ETAs; sessions shorten as seats run out)
local STATS_TAU_MS = 60000         -- time constant of the queue statistics (admitted vs dropped, ETAs)
local ADMISSION_LOG_MS = 3600000   -- admissions kept in the audit stream (trimmed by time)
local PRUNE_BATCH = 1000           -- tokens ended per script run at most (bounds script time)
local DRAW_BATCH = 2000            -- pre-queued entries placed per script run at most

local function reply(t)
  local out = {}
  for name, value in pairs(t) do
    out[#out + 1] = name
    out[#out + 1] = value
  end
  return out
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function settings()
  local m = redis.call('HMGET', K.meta, 'maxActive', 'admitPerSec', 'activeMs', 'abandonMs', 'expectedMs')
  return {
    maxActive = tonumber(m[1] or A.maxActive),
    admitPerSec = tonumber(m[2] or A.admitPerSec),
    activeMs = tonumber(m[3] or A.activeMs),
    abandonMs = tonumber(m[4] or A.abandonMs),
    -- The ETA prior: the concert's own, else its session length setting, else the default.
    expectedMs = tonumber(m[5] or m[3] or A.expectedMs),
    -- Whether the prior is the concert's own: set by an admin, or written when the concert
    -- was created from the deployment's history or its QUEUE_EXPECTED_SESSION_SECONDS
    -- (create-concert.ts). A queue without one (a concert created before that was written)
    -- gets the default weighed as a stand-in, even where an operator set the default.
    priorSet = m[5] and 1 or 0,
  }
end

-- "seq|enteredMs|admittedMs|entryId|draw|userId" (admittedMs 0 while waiting; userId
-- last, so it may contain any character)
local function parse_record(rec)
  local seq, entered, admitted, entry, draw, user = string.match(rec, '^(%d+)|(%d+)|(%d+)|([^|]*)|([^|]*)|(.*)$')
  return { seq = tonumber(seq), entered = tonumber(entered), admitted = tonumber(admitted), entry = entry, draw = draw, user = user }
end

local function format_record(r)
  return r.seq .. '|' .. r.entered .. '|' .. r.admitted .. '|' .. r.entry .. '|' .. r.draw .. '|' .. r.user
end

-- Exponentially decayed sums in K.meta: every field in `fields` decays with `tau` (ms)
-- since `atField`, then gets its increment. Used for the ETA statistics.
local function decayed(fields, atField, now, tau)
  local vals = redis.call('HMGET', K.meta, atField, unpack(fields))
  local at = tonumber(vals[1])
  local factor = 1
  if at then factor = math.exp(-math.max(0, now - at) / tau) end
  local out = {}
  for i, f in ipairs(fields) do out[f] = (tonumber(vals[i + 1]) or 0) * factor end
  return out
end

local function add_decayed(incr, atField, now, tau)
  local fields = {}
  for f in pairs(incr) do fields[#fields + 1] = f end
  local cur = decayed(fields, atField, now, tau)
  local args = { atField, now }
  for _, f in ipairs(fields) do
    args[#args + 1] = f
    args[#args + 1] = tostring(cur[f] + incr[f])
  end
  redis.call('HSET', K.meta, unpack(args))
end

-- The rate at which active slots free up (users leaving, paying, sessions ending), per
-- second, exponentially averaged over RATE_TAU_MS (an operator's figure). Bias-corrected
-- for the first RATE_TAU_MS after the first release.
local function decayed_releases(now)
  local e = redis.call('HMGET', K.meta, 'relEwma', 'relAt', 'relStart')
  local rate, at, start = tonumber(e[1]), tonumber(e[2]), tonumber(e[3])
  if not rate or not at or not start then return 0, nil end
  return rate * math.exp(-(now - at) / RATE_TAU_MS), start
end

local function current_rate(now)
  local rate, start = decayed_releases(now)
  if not start then return 0 end
  return rate / (1 - math.exp(-math.max(now - start, 1000) / RATE_TAU_MS))
end

local function record_release(now, sessionMs)
  local rate, start = decayed_releases(now)
  redis.call('HSET', K.meta, 'relEwma', tostring(rate + 1000 / RATE_TAU_MS), 'relAt', now, 'relStart', start or now)
  -- Session lengths (decayed count, sum, sum of squares, in seconds) for the ETA, and
  -- plain totals for the deployment's history (lib/queue/history.ts).
  local sec = sessionMs / 1000
  add_decayed({ sesN = 1, sesSum = sec, sesSq = sec * sec }, 'sesAt', now, SESSION_TAU_MS)
  redis.call('HINCRBY', K.meta, 'sesTotalN', 1)
  redis.call('HINCRBY', K.meta, 'sesTotalMs', math.floor(sessionMs))
end

local function pre_member(r)
  return r.draw .. ':' .. r.entry
end

-- Every key of the concert's queue gets the retention as its time to live (keys that
-- already have one keep it): Redis memory for an ended sale returns to zero.
local function expire_all()
  for _, key in pairs(K) do
    if redis.call('PTTL', key) == -1 then redis.call('PEXPIRE', key, A.endedRetentionMs) end
  end
end

local function end_token(token, reason, now)
  local rec = redis.call('HGET', K.tokens, token)
  if not rec then return false end
  local r = parse_record(rec)
  redis.call('HDEL', K.tokens, token)
  if redis.call('HGET', K.users, r.user) == token then redis.call('HDEL', K.users, r.user) end
  if r.seq == 0 and not redis.call('HGET', K.meta, 'openedAt') then
    -- Left the pre-queue before the draw: not part of it.
    redis.call('ZREM', K.pre, pre_member(r))
    redis.call('HDEL', K.entries, r.entry)
  end
  if redis.call('ZREM', K.waiting, token) == 1 then add_decayed({ qDrop = 1 }, 'qAt', now, STATS_TAU_MS) end
  redis.call('ZREM', K.seen, token)
  redis.call('HDEL', K.polls, token)
  if redis.call('ZREM', K.active, token) == 1 then
    record_release(now, now - r.admitted)
    local base = tonumber(redis.call('HGET', K.meta, 'statBase') or r.admitted)
    redis.call('HINCRBY', K.meta, 'actSum', base - r.admitted)
  end
  redis.call('HSET', K.ended, token, reason .. '|' .. now .. '|' .. r.user)
  redis.call('ZADD', K.endedAt, now, token)
  -- After the end of the sale, keys written now (a session ending) expire like the rest.
  if redis.call('HEXISTS', K.meta, 'state') == 1 then expire_all() end
  return true
end

local function end_queue(state, now)
  if redis.call('HSETNX', K.meta, 'state', state) == 1 then redis.call('HSET', K.meta, 'endedAt', now) end
  expire_all()
end

-- The schedule, from the catalog: accepted only when its version is not older than the
-- one stored (a cached copy elsewhere cannot undo an operator's change). Empty = not sent.
local function apply_schedule(opensAt, closesAt, ver, totalSeats)
  if opensAt == nil or opensAt == '' then return end
  local stored = tonumber(redis.call('HGET', K.meta, 'schedVer') or -1)
  if tonumber(ver) < stored then return end
  redis.call('HSET', K.meta, 'opensAt', opensAt, 'closesAt', closesAt, 'schedVer', ver, 'totalSeats', totalSeats)
end

-- One step of the draw: at the first call past opensAt the pre-queue is frozen and seq
-- numbers preBase+1 .. preBase+N are reserved for it (later entries INCR past them);
-- each call places up to DRAW_BATCH entries, in draw order, into the waiting queue.
-- Returns true when every pre-queued entry is placed.
local function draw_step(now)
  local m = redis.call('HMGET', K.meta, 'openedAt', 'preCount', 'preDone', 'preBase')
  local count, done, base
  if not m[1] then
    count = redis.call('ZCARD', K.pre)
    base = tonumber(redis.call('GET', K.seq) or 0)
    done = 0
    redis.call('SET', K.seq, base + count)
    redis.call('HSET', K.meta, 'openedAt', now, 'preCount', count, 'preDone', 0, 'preBase', base)
    redis.call('HINCRBY', K.meta, 'draws', 1)
  else
    count, done, base = tonumber(m[2]), tonumber(m[3]), tonumber(m[4])
  end
  if done >= count then return true end
  local batch = redis.call('ZRANGE', K.pre, done, done + DRAW_BATCH - 1)
  for i, member in ipairs(batch) do
    local entry = string.sub(member, 66)
    local token = redis.call('HGET', K.entries, entry)
    local rec = token and redis.call('HGET', K.tokens, token)
    if rec then
      local r = parse_record(rec)
      if r.seq == 0 then
        r.seq = base + done + i
        redis.call('HSET', K.tokens, token, format_record(r))
        redis.call('ZADD', K.waiting, r.seq, token)
        redis.call('ZADD', K.seen, now, token)
      end
    end
  end
  done = done + #batch
  redis.call('HSET', K.meta, 'preDone', done)
  return done >= count
end

-- Where the sale stands: 'PRE', 'DRAWING', 'OPEN', 'SOLD_OUT' or 'CLOSED'. Moves the
-- lifecycle on (the draw, the close) when its time has come.
local function phase(now)
  local m = redis.call('HMGET', K.meta, 'state', 'opensAt', 'closesAt', 'openedAt', 'preCount', 'preDone')
  if m[1] then return m[1] end
  local closesAt = tonumber(m[3] or 0)
  if closesAt > 0 and now >= closesAt then
    end_queue('CLOSED', now)
    return 'CLOSED'
  end
  -- No schedule (a queue used without a sale, or before the catalog sent it): open, and
  -- nothing to draw; the draw waits for a known opening.
  if not m[2] then return 'OPEN' end
  if now < tonumber(m[2]) then return 'PRE' end
  if m[4] and tonumber(m[6]) >= tonumber(m[5]) then return 'OPEN' end
  if draw_step(now) then return 'OPEN' end
  return 'DRAWING'
end

-- Seats free now: total minus paid minus held by an unexpired hold (nil when unknown);
-- and the seats held by an unexpired hold.
local function seats_available(now)
  local held = redis.call('ZCOUNT', K.held, '(' .. now, '+inf')
  local total = tonumber(redis.call('HGET', K.meta, 'totalSeats') or 0)
  if total <= 0 then return nil, held end
  local free = total - redis.call('SCARD', K.sold) - held
  return math.max(0, free), held
end

-- Ends expired sessions, then admits the head of the queue into the free slots,
-- at most admitPerSec per wall-clock second. The active set can only grow here,
-- and only up to maxActive: that is the whole "never above the maximum" argument.
-- Nobody is admitted before the draw is complete or after the sale ended.
local function admit(now, s)
  local expired = redis.call('ZRANGEBYSCORE', K.active, '-inf', now, 'LIMIT', 0, PRUNE_BATCH)
  for _, t in ipairs(expired) do end_token(t, 'SESSION_EXPIRED', now) end
  if phase(now) ~= 'OPEN' then return 0 end

  local free = s.maxActive - redis.call('ZCARD', K.active)
  if free <= 0 then return 0 end
  local sec = math.floor(now / 1000)
  local w = redis.call('HMGET', K.meta, 'winSec', 'winCount')
  local used = 0
  if tonumber(w[1]) == sec then used = tonumber(w[2]) or 0 end
  local n = math.min(free, s.admitPerSec - used, PRUNE_BATCH)
  if n <= 0 then return 0 end

  -- Pop the head of the queue; a waiter silent for longer than abandonMs is dropped
  -- instead of admitted (the tick may not have pruned them yet), and the next one tried.
  local count = 0
  local activeUntil = now + s.activeMs
  local skipped = 0
  while count < n and skipped < PRUNE_BATCH do
    local popped = redis.call('ZPOPMIN', K.waiting, n - count)
    if #popped == 0 then break end
    for i = 1, #popped, 2 do
      local t = popped[i]
      local seen = tonumber(redis.call('ZSCORE', K.seen, t) or now)
      local rec = redis.call('HGET', K.tokens, t)
      if now - seen > s.abandonMs or not rec then
        skipped = skipped + 1
        if rec then add_decayed({ qDrop = 1 }, 'qAt', now, STATS_TAU_MS) end
        end_token(t, 'ABANDONED', now)
      else
        local r = parse_record(rec)
        r.admitted = now
        redis.call('HSET', K.tokens, t, format_record(r))
        redis.call('ZADD', K.active, activeUntil, t)
        redis.call('ZREM', K.seen, t)
        redis.call('HDEL', K.polls, t)
        redis.call('XADD', K.admissions, 'MINID', '~', now - ADMISSION_LOG_MS, '*', 'seq', popped[i + 1], 'token', t)
        count = count + 1
      end
    end
  end
  if count == 0 then return 0 end
  add_decayed({ qAdm = count }, 'qAt', now, STATS_TAU_MS)
  -- Sum of the admission times of active sessions (ms past statBase): their exposure so far.
  redis.call('HSETNX', K.meta, 'statBase', now)
  local base = tonumber(redis.call('HGET', K.meta, 'statBase'))
  redis.call('HINCRBY', K.meta, 'actSum', count * (now - base))
  redis.call('HSET', K.meta, 'winSec', sec, 'winCount', used + count)
  redis.call('HINCRBY', K.meta, 'admittedTotal', count)
  return count
end

-- Runs admit() only when it could change something; the common poll pays a few O(1)/O(log N) reads.
local function admit_if_needed(now, s)
  local first = redis.call('ZRANGE', K.active, 0, 0, 'WITHSCORES')
  local someoneExpired = first[2] ~= nil and tonumber(first[2]) <= now
  if someoneExpired or (redis.call('ZCARD', K.active) < s.maxActive and redis.call('ZCARD', K.waiting) > 0) then
    return admit(now, s)
  end
  return 0
end

-- What the ETA needs (lib/queue/estimates.ts), as strings: decayed session statistics,
-- queue departures (admitted vs dropped), the active sessions, and the settings.
local function eta_inputs(now, s, t)
  local ses = decayed({ 'sesN', 'sesSum', 'sesSq' }, 'sesAt', now, SESSION_TAU_MS)
  local q = decayed({ 'qAdm', 'qDrop' }, 'qAt', now, STATS_TAU_MS)
  t.sesN = tostring(ses.sesN)
  t.sesSum = tostring(ses.sesSum)
  t.sesSq = tostring(ses.sesSq)
  local m = redis.call('HMGET', K.meta, 'statBase', 'actSum')
  local actN = redis.call('ZCARD', K.active)
  local actExpo = 0
  if m[1] then actExpo = (actN * (now - tonumber(m[1])) - tonumber(m[2] or 0)) / 1000 end
  t.actExpo = tostring(math.max(0, actExpo))
  t.actN = actN
  t.qAdm = tostring(q.qAdm)
  t.qDrop = tostring(q.qDrop)
  t.maxActive = s.maxActive
  t.activeMs = s.activeMs
  t.admitPerSec = s.admitPerSec
  t.abandonMs = s.abandonMs
  t.expectedMs = s.expectedMs
  t.priorSet = s.priorSet
  t.rateMilli = math.floor(current_rate(now) * 1000)
  return t
end

-- Where a token stands, as a table with a `status`:
--   {status='ACTIVE', seq, activeUntil}
--   {status='WAITING', seq, position, seatsAvailable?, now, + eta_inputs}
--   {status='PRE_QUEUE', entryId, opensAt, now, drawing (0|1)}
--   {status='SOLD_OUT'} | {status='CLOSED'} (the sale ended; active users of a closed
--     sale stay ACTIVE until their session ends, to pay for what they hold)
--   {status='EXPIRED', reason}
--   {status='UNKNOWN'}  or  {status='FOREIGN'} (the token belongs to another user)
-- A waiting token's poll (touch) refreshes its last-seen time; a waiting user who was
-- silent longer than abandonMs loses the place here even before the admission run drops it.
local function token_status(token, user, now, s, touch)
  local rec = redis.call('HGET', K.tokens, token)
  if not rec then
    local ended = redis.call('HGET', K.ended, token)
    if not ended then return { status = 'UNKNOWN' } end
    local reason, _, owner = string.match(ended, '^([^|]*)|(%d+)|(.*)$')
    if owner ~= user then return { status = 'FOREIGN' } end
    return { status = 'EXPIRED', reason = reason }
  end
  local r = parse_record(rec)
  if r.user ~= user then return { status = 'FOREIGN' } end

  local ph = phase(now)
  if ph == 'SOLD_OUT' then return { status = 'SOLD_OUT', entryId = r.entry } end

  local activeUntil = redis.call('ZSCORE', K.active, token)
  if activeUntil then
    if tonumber(activeUntil) > now then return { status = 'ACTIVE', seq = r.seq, activeUntil = tonumber(activeUntil), entryId = r.entry } end
    end_token(token, 'SESSION_EXPIRED', now)
    return { status = 'EXPIRED', reason = 'SESSION_EXPIRED' }
  end
  if ph == 'CLOSED' then return { status = 'CLOSED', entryId = r.entry } end

  if r.seq == 0 then
    return {
      status = 'PRE_QUEUE', entryId = r.entry, now = now,
      opensAt = tonumber(redis.call('HGET', K.meta, 'opensAt') or now), drawing = (ph == 'DRAWING') and 1 or 0,
    }
  end

  local rank = redis.call('ZRANK', K.waiting, token)
  if not rank then
    end_token(token, 'LOST', now)
    return { status = 'EXPIRED', reason = 'LOST' }
  end
  local seen = tonumber(redis.call('ZSCORE', K.seen, token) or now)
  if now - seen > s.abandonMs then
    end_token(token, 'ABANDONED', now)
    return { status = 'EXPIRED', reason = 'ABANDONED' }
  end
  if touch then redis.call('ZADD', K.seen, 'XX', now, token) end
  local position = rank + 1
  if ph == 'DRAWING' then
    -- Pre-queued entries not placed yet are all ahead of anyone placed after them.
    local m = redis.call('HMGET', K.meta, 'preCount', 'preDone')
    if tonumber(m[1] or 0) > tonumber(m[2] or 0) and r.draw == '' then position = position + tonumber(m[1]) - tonumber(m[2]) end
  end
  local free, held = seats_available(now)
  return eta_inputs(now, s, {
    status = 'WAITING', seq = r.seq, position = position, now = now, entryId = r.entry,
    seatsAvailable = free or -1, heldN = held,
  })
end

-- When a waiting or pre-queued token polls next (the policy is described beside
-- POLL_SCHEDULE in lib/queue/estimates.ts). t: a WAITING or PRE_QUEUE token_status();
-- random: uniform in [0, 1) from the caller (scripts have no randomness of their own);
-- waitMsPerPlace: the caller's latest expected wait per place for this concert, 0 = none.
local function poll_after(t, s, random, waitMsPerPlace)
  if t.status == 'WAITING' then
    local tier = POLL.tierMs[#POLL.tierMs]
    for i, upTo in ipairs(POLL.tierUpTo) do
      if t.position <= upTo then tier = POLL.tierMs[i] break end
    end
    local base = math.min(tier, s.abandonMs / 3)
    if waitMsPerPlace > 0 then base = math.min(base, t.position * waitMsPerPlace / 2) end
    if t.seatsAvailable >= 0 and t.seatsAvailable < t.position then base = math.min(base, POLL.scarceMs) end
    base = math.max(POLL.minMs, base)
    return math.floor(base * (0.9 + 0.2 * random) + 0.5)
  end
  local untilOpen = t.opensAt - t.now
  if t.drawing == 1 or untilOpen <= 0 then return math.floor(500 + 1000 * random + 0.5) end
  if untilOpen > 120000 then return math.floor(math.min(untilOpen - 60000, POLL.preQueueMaxMs) * (0.9 + 0.1 * random) + 0.5) end
  return math.floor(untilOpen + 100 + POLL.openingSpreadMs * random + 0.5)
end

-- Adds pollAfterMs to a WAITING or PRE_QUEUE status and, when `remember` and the poll
-- limit is on (fraction > 0), stores the earliest next poll it lets through for `token`
-- (now + fraction x pollAfterMs) in this same script: the limit costs no round trip.
local function tell_poll(t, s, token, random, waitMsPerPlace, fraction, remember)
  if t.status ~= 'WAITING' and t.status ~= 'PRE_QUEUE' then return t end
  t.pollAfterMs = poll_after(t, s, tonumber(random) or 0.5, tonumber(waitMsPerPlace) or 0)
  local f = tonumber(fraction) or 0
  if remember and f > 0 then redis.call('HSET', K.polls, token, t.now + math.floor(t.pollAfterMs * f)) end
  return t
end
