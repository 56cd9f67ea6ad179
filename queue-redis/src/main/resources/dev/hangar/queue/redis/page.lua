-- A = 'desc' | 'asc', bound (exclusive "(seq", or "+inf" / "-inf"), limit, spec bytes, tenant or ''
--     (every job), node or '' (every job), states... (none: every state)
-- Returns {next, jobs, gone}: up to limit jobs ordered by seq, from the union of the state indexes, or for
-- a tenant from its own index, each as HGETALL has it; the page also ends once its specs reach the
-- spec bytes. next is the seq to go on after (exclusive) if more jobs may follow, else ''. The
-- leased states share an index, and a tenant's index holds every state: a job found there is left
-- out unless its state was asked for. A node's jobs are those whose current attempt it holds, runs or ran,
-- found in the same indexes, their node read as their state is. A job whose hash the retention
-- removed (or Redis evicted) is passed over, and named in gone, for forget.lua to drop from the
-- indexes: this function writes nothing, so that Redis answers it while it refuses writes.
local desc, bound, limit, specBudget, tenant, node = A[1] == 'desc', A[2], tonumber(A[3]), tonumber(A[4]), A[5], A[6]
local keys, asked = {}, {}
for i = 7, #A do asked[A[i]] = true end
local anyState = #A < 7
local anyNode = node == ''
local filtered = not anyState or not anyNode
-- Jobs looked at in one call: a state filter on a tenant's list may match few of its many jobs,
-- and Redis serves no one else while the script runs. A page cut short says where to go on.
local EXAMINE_MAX = 5000
local FILTERED_ROUND = 100
if tenant ~= '' then
  keys[1] = tenantKey(tenant)
else
  for _, state in ipairs(STATE_INDEXES) do
    if anyState or asked[state] or (state == 'RUNNING' and (asked.SCHEDULED or asked.STARTING)) then
      keys[#keys + 1] = stateKey(state)
    end
  end
end

-- a job's HGETALL (or, if onlyWhether, true) if it is in a state asked for, on the node asked for;
-- false if not; nil if its hash is gone. With states or a node asked for, they are read first: an
-- index may hold many jobs of other states and nodes
local function wanted(id, onlyWhether)
  if filtered then
    local seen = redis.call('HMGET', jobKey(id), 'state', 'node')
    if not seen[1] then return nil end
    if not anyState and not asked[seen[1]] then return false end
    if not anyNode and seen[2] ~= node then return false end
  end
  if onlyWhether then
    -- with a filter, the read above found the hash
    if not filtered and redis.call('EXISTS', jobKey(id)) == 0 then return nil end
    return true
  end
  local found = redis.call('HGETALL', jobKey(id))
  if #found == 0 then return nil end
  return found
end

local function specBytes(fields)
  for i = 1, #fields, 2 do
    if fields[i] == 'spec' then return #fields[i + 1] end
  end
  return 0
end

local out, gone, bytes, examined, lastSeen, more = {}, {}, 0, 0, nil, false
local function full() return #out >= limit or bytes >= specBudget end
while not more do
  -- a full page looks for one more job only: whether another page follows
  local want = full() and 1 or limit - #out
  -- with a filter, many ids read may not match: a round reads more of them, so that there are fewer rounds
  if filtered then want = math.max(want, FILTERED_ROUND) end
  local candidates = {}
  for _, key in ipairs(keys) do
    local found
    if desc then
      found = redis.call('ZREVRANGEBYSCORE', key, bound, '-inf', 'WITHSCORES', 'LIMIT', 0, want)
    else
      found = redis.call('ZRANGEBYSCORE', key, bound, '+inf', 'WITHSCORES', 'LIMIT', 0, want)
    end
    for i = 1, #found, 2 do candidates[#candidates + 1] = {found[i], tonumber(found[i + 1])} end
  end
  if #candidates == 0 then break end
  table.sort(candidates, function(a, b) if desc then return a[2] > b[2] end return a[2] < b[2] end)
  local take = math.min(want, #candidates)
  for i = 1, take do
    local id = candidates[i][1]
    if examined >= EXAMINE_MAX then more = true; break end
    examined = examined + 1
    local found = wanted(id, full())
    if found == nil then
      gone[#gone + 1] = id
    elseif found then
      if full() then more = true; break end
      out[#out + 1] = found
      bytes = bytes + specBytes(found)
    end
    lastSeen = candidates[i][2]
  end
  bound = '(' .. int(candidates[take][2])
end
return {more and int(lastSeen) or '', out, gone}
