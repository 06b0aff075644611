/**
 * The waiting room's Lua scripts. Every multi-key change of a concert's queue runs as
 * one of these scripts, so it is atomic; all keys of a concert share the hash tag
 * `{q:<concertId>}`, so the scripts also run on Redis Cluster.
 *
 * Keys (same order in every script, see keysFor() in keys.ts):
 *   KEYS[1]  seq       STRING  ticket counter; INCR gives strict FIFO order (no clocks)
 *   KEYS[2]  waiting   ZSET    tokenId -> seq                  (waiting users)
 *   KEYS[3]  seen      ZSET    tokenId -> last poll, ms        (waiting users, for abandonment)
 *   KEYS[4]  active    ZSET    tokenId -> active until, ms     (the active set)
 *   KEYS[5]  tokens    HASH    tokenId -> "seq|enteredMs|admittedMs|userId" (live tokens)
 *   KEYS[6]  users     HASH    userId  -> tokenId              (one place per user)
 *   KEYS[7]  ended     HASH    tokenId -> "reason|endedMs|userId" (recently ended, reported EXPIRED)
 *   KEYS[8]  endedAt   ZSET    tokenId -> ended, ms            (to forget ended tokens)
 *   KEYS[9]  meta      HASH    settings (maxActive, admitPerSec, activeMs, abandonMs),
 *                              the admission window (winSec, winCount), the slot-release rate
 *                              (relEwma, relAt, relStart),
 *                              admittedTotal
 *   KEYS[10] admissions STREAM  one entry per admission (seq, tokenId), capped; the audit
 *                              trail for FIFO checks and "admitted in the last minute"
 *
 * ARGV common to every script (defaults used when the concert has no override in meta):
 *   ARGV[1] maxActive  ARGV[2] admitPerSec  ARGV[3] activeMs  ARGV[4] abandonMs
 *   ARGV[5] endedRetentionMs
 * Script-specific arguments start at ARGV[6].
 *
 * Time is Redis server time (TIME), one clock for every caller. Each script is
 * O(log N) in the queue length plus O(k log N) for the k tokens it admits or ends.
 */

/** Shared definitions, prepended to every script. */
const PRELUDE = String.raw`
local K_SEQ, K_WAIT, K_SEEN, K_ACTIVE, K_TOKENS, K_USERS, K_ENDED, K_ENDED_AT, K_META, K_ADMISSIONS =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]

local RATE_TAU_MS = 30000       -- time constant of the slot-release rate average used for ETAs
local ADMISSION_LOG_LEN = 100000 -- admissions kept in the audit stream
local PRUNE_BATCH = 1000        -- tokens ended per script run at most (bounds script time)

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function settings()
  local m = redis.call('HMGET', K_META, 'maxActive', 'admitPerSec', 'activeMs', 'abandonMs')
  return {
    maxActive = tonumber(m[1] or ARGV[1]),
    admitPerSec = tonumber(m[2] or ARGV[2]),
    activeMs = tonumber(m[3] or ARGV[3]),
    abandonMs = tonumber(m[4] or ARGV[4]),
  }
end

-- "seq|enteredMs|admittedMs|userId" (admittedMs 0 while waiting; userId last, so it may
-- contain any character)
local function parse_record(rec)
  local seq, entered, admitted, user = string.match(rec, '^(%d+)|(%d+)|(%d+)|(.*)$')
  return tonumber(seq), tonumber(entered), user, tonumber(admitted)
end

-- The rate at which active slots free up (users leaving, paying, sessions ending), per
-- second, exponentially averaged over RATE_TAU_MS; with a waiting queue every freed slot
-- admits the next user, so this is the queue's throughput. Counting releases rather
-- than admissions keeps the burst that fills the empty active set at the opening out of
-- the estimate. Bias-corrected for the first RATE_TAU_MS after the first release.
local function decayed_releases(now)
  local e = redis.call('HMGET', K_META, 'relEwma', 'relAt', 'relStart')
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
  redis.call('HSET', K_META, 'relEwma', tostring(rate + 1000 / RATE_TAU_MS), 'relAt', now, 'relStart', start or now)
end

local function end_token(token, reason, now)
  local rec = redis.call('HGET', K_TOKENS, token)
  if not rec then return false end
  local _, _, user = parse_record(rec)
  redis.call('HDEL', K_TOKENS, token)
  if redis.call('HGET', K_USERS, user) == token then redis.call('HDEL', K_USERS, user) end
  redis.call('ZREM', K_WAIT, token)
  redis.call('ZREM', K_SEEN, token)
  if redis.call('ZREM', K_ACTIVE, token) == 1 then record_release(now) end
  redis.call('HSET', K_ENDED, token, reason .. '|' .. now .. '|' .. user)
  redis.call('ZADD', K_ENDED_AT, now, token)
  return true
end


-- Ends expired sessions, then admits the head of the queue into the free slots,
-- at most admitPerSec per wall-clock second. The active set can only grow here,
-- and only up to maxActive: that is the whole "never above the maximum" argument.
local function admit(now, s)
  local expired = redis.call('ZRANGEBYSCORE', K_ACTIVE, '-inf', now, 'LIMIT', 0, PRUNE_BATCH)
  for _, t in ipairs(expired) do end_token(t, 'SESSION_EXPIRED', now) end

  local free = s.maxActive - redis.call('ZCARD', K_ACTIVE)
  if free <= 0 then return 0 end
  local sec = math.floor(now / 1000)
  local w = redis.call('HMGET', K_META, 'winSec', 'winCount')
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
    local popped = redis.call('ZPOPMIN', K_WAIT, n - count)
    if #popped == 0 then break end
    for i = 1, #popped, 2 do
      local t = popped[i]
      local seen = tonumber(redis.call('ZSCORE', K_SEEN, t) or now)
      local rec = redis.call('HGET', K_TOKENS, t)
      if now - seen > s.abandonMs or not rec then
        skipped = skipped + 1
        end_token(t, 'ABANDONED', now)
      else
        local seq, entered, user = parse_record(rec)
        redis.call('HSET', K_TOKENS, t, seq .. '|' .. entered .. '|' .. now .. '|' .. user)
        redis.call('ZADD', K_ACTIVE, activeUntil, t)
        redis.call('ZREM', K_SEEN, t)
        redis.call('XADD', K_ADMISSIONS, 'MAXLEN', '~', ADMISSION_LOG_LEN, '*', 'seq', popped[i + 1], 'token', t)
        count = count + 1
      end
    end
  end
  if count == 0 then return 0 end
  redis.call('HSET', K_META, 'winSec', sec, 'winCount', used + count)
  redis.call('HINCRBY', K_META, 'admittedTotal', count)
  return count
end

-- Runs admit() only when it could change something; the common poll pays three O(1)/O(log N) reads.
local function admit_if_needed(now, s)
  local first = redis.call('ZRANGE', K_ACTIVE, 0, 0, 'WITHSCORES')
  local someoneExpired = first[2] ~= nil and tonumber(first[2]) <= now
  if someoneExpired or (redis.call('ZCARD', K_ACTIVE) < s.maxActive and redis.call('ZCARD', K_WAIT) > 0) then
    return admit(now, s)
  end
  return 0
end

-- Status of a token as a flat array:
--   {'ACTIVE', seq, activeUntilMs}
--   {'WAITING', seq, position, rateMilli, maxActive, activeMs, admitPerSec, abandonMs}
--   {'EXPIRED', reason}
--   {'UNKNOWN'}  or  {'FOREIGN'} (the token belongs to another user)
-- A waiting token's poll refreshes its last-seen time; a waiting user who was silent
-- longer than abandonMs loses the place here even before the admission run drops it.
local function token_status(token, user, now, s, touch)
  local rec = redis.call('HGET', K_TOKENS, token)
  if not rec then
    local ended = redis.call('HGET', K_ENDED, token)
    if not ended then return {'UNKNOWN'} end
    local reason, _, owner = string.match(ended, '^([^|]*)|(%d+)|(.*)$')
    if owner ~= user then return {'FOREIGN'} end
    return {'EXPIRED', reason}
  end
  local seq, _, owner = parse_record(rec)
  if owner ~= user then return {'FOREIGN'} end

  local activeUntil = redis.call('ZSCORE', K_ACTIVE, token)
  if activeUntil then
    if tonumber(activeUntil) > now then return {'ACTIVE', seq, tonumber(activeUntil)} end
    end_token(token, 'SESSION_EXPIRED', now)
    return {'EXPIRED', 'SESSION_EXPIRED'}
  end

  local rank = redis.call('ZRANK', K_WAIT, token)
  if not rank then
    end_token(token, 'LOST', now)
    return {'EXPIRED', 'LOST'}
  end
  local seen = tonumber(redis.call('ZSCORE', K_SEEN, token) or now)
  if now - seen > s.abandonMs then
    end_token(token, 'ABANDONED', now)
    return {'EXPIRED', 'ABANDONED'}
  end
  if touch then redis.call('ZADD', K_SEEN, 'XX', now, token) end
  return {'WAITING', seq, rank + 1, math.floor(current_rate(now) * 1000), s.maxActive, s.activeMs, s.admitPerSec, s.abandonMs}
end
`;

function script(body: string): string {
  return `${PRELUDE}\n${body}`;
}

/**
 * enter: take a place in the queue, or return the place the user already has.
 * ARGV[6] userId, ARGV[7] a fresh random tokenId (used only if the user has no live place).
 * Returns {created (0|1), tokenId, ...status}. Admits at once when slots are free.
 */
export const ENTER = script(String.raw`
local user, fresh = ARGV[6], ARGV[7]
local now = now_ms()
local s = settings()
local token = redis.call('HGET', K_USERS, user)
local created = 0
if token then
  local st = token_status(token, user, now, s, true)
  if st[1] == 'EXPIRED' or st[1] == 'UNKNOWN' then token = nil end
end
if not token then
  token = fresh
  local seq = redis.call('INCR', K_SEQ)
  redis.call('HSET', K_TOKENS, token, seq .. '|' .. now .. '|0|' .. user)
  redis.call('HSET', K_USERS, user, token)
  redis.call('ZADD', K_WAIT, seq, token)
  redis.call('ZADD', K_SEEN, now, token)
  created = 1
end
admit_if_needed(now, s)
local st = token_status(token, user, now, s, true)
local out = {created, token}
for _, v in ipairs(st) do out[#out + 1] = v end
return out
`);

/**
 * status: the poll. ARGV[6] tokenId, ARGV[7] userId. Returns token_status().
 * Also does the admission work that is due (expired sessions, free slots), so a freed
 * slot is refilled by the next poll of anyone in the queue, not only by the timer.
 */
export const STATUS = script(String.raw`
local token, user = ARGV[6], ARGV[7]
local now = now_ms()
local s = settings()
if redis.call('HEXISTS', K_TOKENS, token) == 1 then admit_if_needed(now, s) end
return token_status(token, user, now, s, true)
`);

/**
 * finish: end the caller's token (left the queue, or paid) and refill the slot at once.
 * ARGV[6] tokenId, ARGV[7] userId, ARGV[8] reason. Returns {outcome, admitted} where outcome
 * is 'ENDED', 'ALREADY_ENDED', 'UNKNOWN' or 'FOREIGN'.
 */
export const FINISH = script(String.raw`
local token, user, reason = ARGV[6], ARGV[7], ARGV[8]
local now = now_ms()
local s = settings()
local st = token_status(token, user, now, s, false)
local outcome = 'ENDED'
if st[1] == 'UNKNOWN' or st[1] == 'FOREIGN' then
  outcome = st[1]
elseif st[1] == 'EXPIRED' then
  outcome = 'ALREADY_ENDED'
else
  end_token(token, reason, now)
end
return {outcome, admit(now, s)}
`);

/**
 * extend: keep an active session alive at least until ARGV[7] (ms), e.g. while the user
 * holds a seat. Never shortens a session, never revives an expired one, and never
 * stretches it past admission + session length + ARGV[8] (one hold's length), so
 * holding and releasing over and over cannot keep a slot forever.
 * ARGV[6] tokenId, ARGV[7] untilMs, ARGV[8] maxExtraMs. Returns the session's end (ms) or 0.
 */
export const EXTEND = script(String.raw`
local token, untilMs, maxExtra = ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8])
local now = now_ms()
local current = tonumber(redis.call('ZSCORE', K_ACTIVE, token) or 0)
if current <= now then return 0 end
local rec = redis.call('HGET', K_TOKENS, token)
if not rec then return 0 end
local _, _, _, admitted = parse_record(rec)
local s = settings()
untilMs = math.min(untilMs, admitted + s.activeMs + maxExtra)
if current < untilMs then
  redis.call('ZADD', K_ACTIVE, untilMs, token)
  return untilMs
end
return current
`);

/**
 * tick: the admission run. Drops abandoned waiters, forgets long-ended tokens, ends
 * expired sessions and admits. Returns {admitted, abandoned, waiting, active}.
 */
export const TICK = script(String.raw`
local now = now_ms()
local s = settings()
local abandoned = redis.call('ZRANGEBYSCORE', K_SEEN, '-inf', now - s.abandonMs, 'LIMIT', 0, PRUNE_BATCH)
for _, t in ipairs(abandoned) do end_token(t, 'ABANDONED', now) end
local forgotten = redis.call('ZRANGEBYSCORE', K_ENDED_AT, '-inf', now - tonumber(ARGV[5]), 'LIMIT', 0, PRUNE_BATCH)
for _, t in ipairs(forgotten) do
  redis.call('HDEL', K_ENDED, t)
  redis.call('ZREM', K_ENDED_AT, t)
end
local admitted = admit(now, s)
return {admitted, #abandoned, redis.call('ZCARD', K_WAIT), redis.call('ZCARD', K_ACTIVE)}
`);

/**
 * figures: live numbers for operators. Returns {waiting, active, admittedLastMinute,
 * admittedTotal, rateMilli, maxActive, admitPerSec, activeMs, abandonMs, issued}.
 */
export const FIGURES = script(String.raw`
local now = now_ms()
local s = settings()
local lastMinute = #redis.call('XRANGE', K_ADMISSIONS, tostring(now - 60000), '+')
return {
  redis.call('ZCARD', K_WAIT), redis.call('ZCARD', K_ACTIVE), lastMinute,
  tonumber(redis.call('HGET', K_META, 'admittedTotal') or 0), math.floor(current_rate(now) * 1000),
  s.maxActive, s.admitPerSec, s.activeMs, s.abandonMs, tonumber(redis.call('GET', K_SEQ) or 0),
}
`);

/**
 * configure: store per-concert settings (ARGV[6..] field/value pairs) and admit at once
 * if the change opened slots. Returns the number admitted.
 */
export const CONFIGURE = script(String.raw`
local now = now_ms()
if #ARGV > 5 then redis.call('HSET', K_META, unpack(ARGV, 6)) end
return admit(now, settings())
`);
