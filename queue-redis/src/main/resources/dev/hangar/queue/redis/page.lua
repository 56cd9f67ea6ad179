-- A = 'desc' | 'asc', bound (exclusive "(seq", or "+inf" / "-inf"), count, tenant or '' (every
--     job), states... (none: every state)
-- Returns up to count jobs ordered by seq: from the union of the state indexes, or for a tenant
-- from its own index. The leased states share an index, and a tenant's index holds every state: a
-- job found there is left out unless its state was asked for. A job whose hash the retention
-- removed is dropped from the indexes on the way.
local desc, bound, need, tenant = A[1] == 'desc', A[2], tonumber(A[3]), A[4]
local keys, asked = {}, {}
for i = 5, #A do asked[A[i]] = true end
local anyState = #A < 5
if tenant ~= '' then
  keys[1] = tenantKey(tenant)
else
  for _, state in ipairs(STATE_INDEXES) do
    if anyState or asked[state] or (state == 'RUNNING' and (asked.SCHEDULED or asked.STARTING)) then
      keys[#keys + 1] = stateKey(state)
    end
  end
end

-- a job's HGETALL if it is in a state asked for; false if not; nil if its hash is gone. With
-- states asked for, its state is read first: an index may hold many jobs of states not asked for
local function wanted(id)
  if not anyState then
    local state = redis.call('HGET', jobKey(id), 'state')
    if not state then return nil end
    if not asked[state] then return false end
  end
  local found = redis.call('HGETALL', jobKey(id))
  if #found == 0 then return nil end
  return found
end

local out = {}
while need > 0 do
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
    local found = wanted(candidates[i][1])
    if found == nil then
      unindex(candidates[i][1])
      if tenant ~= '' then redis.call('ZREM', keys[1], candidates[i][1]) end
    elseif found then
      out[#out + 1] = found
      need = need - 1
    end
  end
  bound = '(' .. int(candidates[take][2])
end
return out
