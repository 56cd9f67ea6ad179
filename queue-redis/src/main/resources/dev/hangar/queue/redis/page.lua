-- A = 'desc' | 'asc', bound (exclusive "(seq", or "+inf" / "-inf"), count, states... (none: every state)
-- Returns up to count jobs from the union of the state indexes, ordered by seq. The leased states
-- share an index: a job found there is left out unless its state was asked for. A job whose hash
-- the retention removed is dropped from the indexes on the way.
local desc, bound, need = A[1] == 'desc', A[2], tonumber(A[3])
local keys, asked = {}, {}
for i = 4, #A do asked[A[i]] = true end
for _, state in ipairs(STATE_INDEXES) do
  if #A < 4 or asked[state] or (state == 'RUNNING' and (asked.SCHEDULED or asked.STARTING)) then
    keys[#keys + 1] = stateKey(state)
  end
end

-- a job's HGETALL if it is in a state asked for; false if not; nil if its hash is gone. With
-- states asked for, its state is read first: the shared leased index may hold many not asked for
local function wanted(id)
  if #A >= 4 then
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
    elseif found then
      out[#out + 1] = found
      need = need - 1
    end
  end
  bound = '(' .. int(candidates[take][2])
end
return out
