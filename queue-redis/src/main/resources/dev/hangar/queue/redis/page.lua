-- A = 'desc' | 'asc', bound (exclusive "(seq", or "+inf" / "-inf"), count, tenant or '' (every
--     job), states... (none: every state)
-- Returns up to count jobs from the union of the state indexes, ordered by seq. The leased states
-- share an index: a job found there is left out unless its state was asked for. A job whose hash
-- the retention removed is dropped from the indexes on the way. With a tenant, the jobs of others
-- are passed over, at most SCAN_AT_MOST of them in one call (Redis serves no one else meanwhile):
-- then the reply ends with {'scanned', seq}, the seq to go on from.
local SCAN_AT_MOST = 5000
local desc, bound, need, tenant = A[1] == 'desc', A[2], tonumber(A[3]), A[4]
local keys, asked = {}, {}
for i = 5, #A do asked[A[i]] = true end
local anyState = #A < 5
for _, state in ipairs(STATE_INDEXES) do
  if anyState or asked[state] or (state == 'RUNNING' and (asked.SCHEDULED or asked.STARTING)) then
    keys[#keys + 1] = stateKey(state)
  end
end

-- a job's HGETALL if it is in a state asked for and is the tenant's; false if not; nil if its hash
-- is gone. With states or a tenant asked for, those are read first: the shared leased index may
-- hold many jobs of states not asked for, and the indexes many jobs of other tenants
local function wanted(id)
  if not anyState or tenant ~= '' then
    local found = redis.call('HMGET', jobKey(id), 'state', 'tenant')
    if not found[1] then return nil end
    if not anyState and not asked[found[1]] then return false end
    if tenant ~= '' and found[2] ~= tenant then return false end
  end
  local found = redis.call('HGETALL', jobKey(id))
  if #found == 0 then return nil end
  return found
end

local out, scanned = {}, 0
while need > 0 do
  if scanned >= SCAN_AT_MOST then
    out[#out + 1] = {'scanned', string.sub(bound, 2)}
    break
  end
  local candidates = {}
  for _, key in ipairs(keys) do
    local found
    if desc then
      found = redis.call('ZREVRANGEBYSCORE', key, bound, '-inf', 'WITHSCORES', 'LIMIT', 0, need)
    else
      found = redis.call('ZRANGEBYSCORE', key, bound, '+inf', 'WITHSCORES', 'LIMIT', 0, need)
    end
    for i = 1, #found, 2 do candidates[#candidates + 1] = {found[i], tonumber(found[i + 1])} end
  end
  if #candidates == 0 then break end
  table.sort(candidates, function(a, b) if desc then return a[2] > b[2] end return a[2] < b[2] end)
  local take = math.min(need, #candidates)
  for i = 1, take do
    scanned = scanned + 1
    local found = wanted(candidates[i][1])
    if found == nil then
      unindex(candidates[i][1])
    elseif found then
      out[#out + 1] = found
      need = need - 1
    end
  end
  bound = '(' .. int(candidates[take][2])
end
return out
