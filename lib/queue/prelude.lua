-- Shared definitions of the waiting room's scripts, prepended to every one of them.
--
-- Before this prelude the loader (lib/queue/scripts.ts) binds, by name:
--   K.<key>  the concert's keys (all share the hash tag {q:<concertId>}, so every script
--            runs on Redis Cluster); the list is QUEUE_KEYS in lib/queue/keys.ts:
--     K.seq        STRING  ticket counter; INCR gives strict FIFO order (no clocks)
--     K.waiting    ZSET    tokenId -> seq                  (waiting users)
--     K.seen       ZSET    tokenId -> last poll, ms        (waiting users, for abandonment)
--     K.active     ZSET    tokenId -> active until, ms     (the active set)
--     K.tokens     HASH    tokenId -> "seq|enteredMs|admittedMs|userId" (live tokens)
--     K.users      HASH    userId  -> tokenId              (one place per user)
--     K.ended      HASH    tokenId -> "reason|endedMs|userId" (recently ended, reported EXPIRED)
--     K.endedAt    ZSET    tokenId -> ended, ms            (to forget ended tokens)
--     K.meta       HASH    settings (maxActive, admitPerSec, activeMs, abandonMs), the
--                          admission window (winSec, winCount), the slot-release rate
--                          (relEwma, relAt, relStart), admittedTotal
--     K.admissions STREAM  one entry per admission (seq, token), capped; the audit trail
--                          for FIFO checks and "admitted in the last minute"
--   A.<arg>  the arguments: first the defaults every script gets (used when the concert
--            has no override in K.meta): A.maxActive, A.admitPerSec, A.activeMs,
--            A.abandonMs, A.endedRetentionMs; then the script's own, named in its header.
--
-- Scripts reply with reply(t): a flat list of name/value pairs, decoded by name in one
-- place (lib/queue/replies.ts). Values are strings or integers (Redis truncates Lua
-- numbers to integers, so rates travel as thousandths).
--
-- Time is Redis server time (TIME), one clock for every caller. Each script is
-- O(log N) in the queue length plus O(k log N) for the k tokens it admits or ends.

local RATE_TAU_MS = 30000        -- time constant of the slot-release rate average used for ETAs
local ADMISSION_LOG_LEN = 100000 -- admissions kept in the audit stream
local PRUNE_BATCH = 1000         -- tokens ended per script run at most (bounds script time)

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
  local m = redis.call('HMGET', K.meta, 'maxActive', 'admitPerSec', 'activeMs', 'abandonMs')
  return {
    maxActive = tonumber(m[1] or A.maxActive),
    admitPerSec = tonumber(m[2] or A.admitPerSec),
    activeMs = tonumber(m[3] or A.activeMs),
    abandonMs = tonumber(m[4] or A.abandonMs),
  }
end

-- "seq|enteredMs|admittedMs|userId" (admittedMs 0 while waiting; userId last, so it may
-- contain any character)
local function parse_record(rec)
  local seq, entered, admitted, user = string.match(rec, '^(%d+)|(%d+)|(%d+)|(.*)$')
  return { seq = tonumber(seq), entered = tonumber(entered), admitted = tonumber(admitted), user = user }
end

local function format_record(r)
  return r.seq .. '|' .. r.entered .. '|' .. r.admitted .. '|' .. r.user
end

-- The rate at which active slots free up (users leaving, paying, sessions ending), per
-- second, exponentially averaged over RATE_TAU_MS; with a waiting queue every freed slot
-- admits the next user, so this is the queue's throughput. Counting releases rather
-- than admissions keeps the burst that fills the empty active set at the opening out of
-- the estimate. Bias-corrected for the first RATE_TAU_MS after the first release.
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

local function record_release(now)
  local rate, start = decayed_releases(now)
  redis.call('HSET', K.meta, 'relEwma', tostring(rate + 1000 / RATE_TAU_MS), 'relAt', now, 'relStart', start or now)
end

local function end_token(token, reason, now)
  local rec = redis.call('HGET', K.tokens, token)
  if not rec then return false end
  local user = parse_record(rec).user
  redis.call('HDEL', K.tokens, token)
  if redis.call('HGET', K.users, user) == token then redis.call('HDEL', K.users, user) end
  redis.call('ZREM', K.waiting, token)
  redis.call('ZREM', K.seen, token)
  if redis.call('ZREM', K.active, token) == 1 then record_release(now) end
  redis.call('HSET', K.ended, token, reason .. '|' .. now .. '|' .. user)
  redis.call('ZADD', K.endedAt, now, token)
  return true
end

-- Ends expired sessions, then admits the head of the queue into the free slots,
-- at most admitPerSec per wall-clock second. The active set can only grow here,
-- and only up to maxActive: that is the whole "never above the maximum" argument.
local function admit(now, s)
  local expired = redis.call('ZRANGEBYSCORE', K.active, '-inf', now, 'LIMIT', 0, PRUNE_BATCH)
  for _, t in ipairs(expired) do end_token(t, 'SESSION_EXPIRED', now) end

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
        end_token(t, 'ABANDONED', now)
      else
        local r = parse_record(rec)
        r.admitted = now
        redis.call('HSET', K.tokens, t, format_record(r))
        redis.call('ZADD', K.active, activeUntil, t)
        redis.call('ZREM', K.seen, t)
        redis.call('XADD', K.admissions, 'MAXLEN', '~', ADMISSION_LOG_LEN, '*', 'seq', popped[i + 1], 'token', t)
        count = count + 1
      end
    end
  end
  if count == 0 then return 0 end
  redis.call('HSET', K.meta, 'winSec', sec, 'winCount', used + count)
  redis.call('HINCRBY', K.meta, 'admittedTotal', count)
  return count
end

-- Runs admit() only when it could change something; the common poll pays three O(1)/O(log N) reads.
local function admit_if_needed(now, s)
  local first = redis.call('ZRANGE', K.active, 0, 0, 'WITHSCORES')
  local someoneExpired = first[2] ~= nil and tonumber(first[2]) <= now
  if someoneExpired or (redis.call('ZCARD', K.active) < s.maxActive and redis.call('ZCARD', K.waiting) > 0) then
    return admit(now, s)
  end
  return 0
end

-- Where a token stands, as a table with a `status`:
--   {status='ACTIVE', seq, activeUntil}
--   {status='WAITING', seq, position, rateMilli, maxActive, activeMs, admitPerSec, abandonMs}
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

  local activeUntil = redis.call('ZSCORE', K.active, token)
  if activeUntil then
    if tonumber(activeUntil) > now then return { status = 'ACTIVE', seq = r.seq, activeUntil = tonumber(activeUntil) } end
    end_token(token, 'SESSION_EXPIRED', now)
    return { status = 'EXPIRED', reason = 'SESSION_EXPIRED' }
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
  return {
    status = 'WAITING', seq = r.seq, position = rank + 1, rateMilli = math.floor(current_rate(now) * 1000),
    maxActive = s.maxActive, activeMs = s.activeMs, admitPerSec = s.admitPerSec, abandonMs = s.abandonMs,
  }
end
