/**
 * The two Lua scripts of the Redis store (scale-anchors §1.4), the same arithmetic as arith.ts
 * and memory.ts. All state is integers below 2^53, written with %.0f so no number is ever
 * rounded by Lua's or Redis's number formatting; replies are integers only.
 *
 * Bucket hash fields per dimension f: L_f (level × P'), t_f (µs), p_f (the P' it is scaled by).
 * Reservation: its own key (same hash tag), value "deadline_µs|debit1,debit2,…", PX = ttl.
 *
 * ARGV common head: now ('' = Redis TIME), n dims.
 * Reply: { outcome, now, retry_after_µs, then per dim: level, P', µs_to_full, ok, wait_µs }.
 * Outcome codes: 1 allow, 2 deny, 3 too_large, 4 settled, 5 unknown, 6 expired.
 */

const COMMON = `
local function fmt(x) return string.format('%.0f', x) end
local function clock(arg)
  if arg ~= nil and arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local function gcd(a, b)
  while b ~= 0 do a, b = b, a % b end
  return a
end
-- dims: { field, cap, P(µs), size } → pp, cp, full; refill of stored (L, t, p) to now.
-- size = the bucket's capacity (= cap unless burst ≠ refill): refill cp per µs, full = size × pp.
local function params(cap, P, size)
  local g = gcd(cap, P)
  local pp = P / g
  return pp, cap / g, size * pp
end
local function refill(L, t, p, pp, cp, full, now)
  if L == false or L == nil or t == false or t == nil then return full, now end
  L = tonumber(L); t = tonumber(t)
  if p ~= false and p ~= nil then
    p = tonumber(p)
    if p ~= pp then L = math.floor((L / p) * pp) end
  end
  local el = now - t
  if el < 0 then el = 0 end
  if L < full then
    local ttf = math.ceil((full - L) / cp)
    if el > ttf then el = ttf end
    L = L + el * cp
    if L > full then L = full end
  elseif L > full then
    L = full
  end
  if t > now then return L, t end
  return L, now
end
local function tofull(L, cp, full)
  if L >= full then return 0 end
  return math.ceil((full - L) / cp)
end
`;

/**
 * KEYS: bucket hash, reservation key ('' id → none).
 * ARGV: now, n, res_ttl_µs ('' = no reservation), rejected_count (0/1), expire_margin_ms,
 *       then per dim 8: field, cap, P_µs, check, debit, is_tokens, is_requests, size.
 */
export const ADMIT_LUA = `${COMMON}
local now = clock(ARGV[1])
local n = tonumber(ARGV[2])
local resTtl = ARGV[3]
local rejectedCount = ARGV[4] == '1'
local margin = tonumber(ARGV[5])
local get = {}
for i = 1, n do
  local f = ARGV[5 + (i - 1) * 8 + 1]
  get[#get + 1] = 'L_' .. f
  get[#get + 1] = 't_' .. f
  get[#get + 1] = 'p_' .. f
end
local cur = redis.call('HMGET', KEYS[1], unpack(get))
local pps, cps, fulls, Ls, ts, waits, oks = {}, {}, {}, {}, {}, {}, {}
local tooLarge, deny, retry = false, false, 0
for i = 1, n do
  local b = 5 + (i - 1) * 8
  local cap, P = tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3])
  local pp, cp, full = params(cap, P, tonumber(ARGV[b + 8]))
  local L, t = refill(cur[(i - 1) * 3 + 1], cur[(i - 1) * 3 + 2], cur[(i - 1) * 3 + 3], pp, cp, full, now)
  pps[i], cps[i], fulls[i], Ls[i], ts[i] = pp, cp, full, L, t
  local need = tonumber(ARGV[b + 4]) * pp
  if ARGV[b + 6] == '1' and need > full then tooLarge = true end
  local w = 0
  oks[i] = 1
  if need > L then
    deny = true
    oks[i] = 0
    w = math.ceil((need - L) / cp)
    if w > retry then retry = w end
  end
  waits[i] = w
end
local outcome = 1
local write = false
if tooLarge or deny then
  if tooLarge then outcome = 3 else outcome = 2 end
  if rejectedCount then
    write = true
    for i = 1, n do
      local b = 5 + (i - 1) * 8
      if ARGV[b + 7] == '1' and Ls[i] > 0 then
        Ls[i] = Ls[i] - pps[i]
        if Ls[i] < 0 then Ls[i] = 0 end
      end
    end
  end
else
  write = true
  local debits = {}
  for i = 1, n do
    local b = 5 + (i - 1) * 8
    local d = tonumber(ARGV[b + 5])
    Ls[i] = Ls[i] - d * pps[i]
    debits[i] = fmt(d)
  end
  if resTtl ~= '' then
    local ttl = tonumber(resTtl)
    redis.call('SET', KEYS[2], fmt(now + ttl) .. '|' .. table.concat(debits, ','), 'PX', fmt(math.ceil(ttl / 1000) + margin))
  end
end
local reply = { outcome, now, retry }
local longest = 0
local set = {}
for i = 1, n do
  local f = ARGV[5 + (i - 1) * 8 + 1]
  local ttf = tofull(Ls[i], cps[i], fulls[i])
  if ttf > longest then longest = ttf end
  set[#set + 1] = 'L_' .. f; set[#set + 1] = fmt(Ls[i])
  set[#set + 1] = 't_' .. f; set[#set + 1] = fmt(ts[i])
  set[#set + 1] = 'p_' .. f; set[#set + 1] = fmt(pps[i])
  reply[#reply + 1] = Ls[i]; reply[#reply + 1] = pps[i]; reply[#reply + 1] = ttf
  reply[#reply + 1] = oks[i]; reply[#reply + 1] = waits[i]
end
if write then
  redis.call('HSET', KEYS[1], unpack(set))
  redis.call('PEXPIRE', KEYS[1], fmt(math.ceil(longest / 1000) + margin))
end
return reply
`;

/**
 * KEYS: bucket hash, reservation key.
 * ARGV: now, n, expire_margin_ms, then per dim 5: field, cap, P_µs, actual ('' = unchanged), size.
 */
export const SETTLE_LUA = `${COMMON}
local now = clock(ARGV[1])
local n = tonumber(ARGV[2])
local margin = tonumber(ARGV[3])
local get = {}
for i = 1, n do
  local f = ARGV[3 + (i - 1) * 5 + 1]
  get[#get + 1] = 'L_' .. f
  get[#get + 1] = 't_' .. f
  get[#get + 1] = 'p_' .. f
end
local cur = redis.call('HMGET', KEYS[1], unpack(get))
local pps, cps, fulls, Ls, ts = {}, {}, {}, {}, {}
for i = 1, n do
  local b = 3 + (i - 1) * 5
  local pp, cp, full = params(tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 5]))
  local L, t = refill(cur[(i - 1) * 3 + 1], cur[(i - 1) * 3 + 2], cur[(i - 1) * 3 + 3], pp, cp, full, now)
  pps[i], cps[i], fulls[i], Ls[i], ts[i] = pp, cp, full, L, t
end
local outcome = 5
local r = redis.call('GET', KEYS[2])
if r then
  redis.call('DEL', KEYS[2])
  local bar = string.find(r, '|', 1, true)
  local deadline = tonumber(string.sub(r, 1, bar - 1))
  if now > deadline then
    outcome = 6
  else
    outcome = 4
    local debits = {}
    for x in string.gmatch(string.sub(r, bar + 1), '[^,]+') do debits[#debits + 1] = tonumber(x) end
    local set = {}
    local longest = 0
    for i = 1, n do
      local b = 3 + (i - 1) * 5
      local f = ARGV[b + 1]
      local a = ARGV[b + 4]
      if a ~= '' then
        local delta = ((debits[i] or 0) - tonumber(a)) * pps[i]
        local L = Ls[i] + delta
        if delta > 0 and L > fulls[i] then L = fulls[i] end
        Ls[i] = L
      end
      local ttf = tofull(Ls[i], cps[i], fulls[i])
      if ttf > longest then longest = ttf end
      set[#set + 1] = 'L_' .. f; set[#set + 1] = fmt(Ls[i])
      set[#set + 1] = 't_' .. f; set[#set + 1] = fmt(ts[i])
      set[#set + 1] = 'p_' .. f; set[#set + 1] = fmt(pps[i])
    end
    redis.call('HSET', KEYS[1], unpack(set))
    redis.call('PEXPIRE', KEYS[1], fmt(math.ceil(longest / 1000) + margin))
  end
end
local reply = { outcome, now, 0 }
for i = 1, n do
  reply[#reply + 1] = Ls[i]; reply[#reply + 1] = pps[i]; reply[#reply + 1] = tofull(Ls[i], cps[i], fulls[i])
  reply[#reply + 1] = 1; reply[#reply + 1] = 0
end
return reply
`;
