-- A = this process's consumer of the group 'intake', how many entries to read, the most bytes an entry
--     may hold (its field names and values together), how long an entry must have been idle in another
--     consumer's hands to be taken over (ms), the most bytes of entries to return (a budget)
-- Reads entries of the submit stream for intake: first those this consumer read and did not finish,
-- then those another left idle that long (a process that died), then new ones. An entry larger than a
-- job may be is set aside here, before any server reads it (reading it would take the server's memory,
-- and, taken over, the next one's): it goes to the dead-letter stream with its size and its fields (a
-- value of more than 4096 bytes left out, saying its size; the first 64 fields) and leaves the stream.
-- An entry of more than 64 fields is set aside so too. Entries are read one at a time, and none more
-- once those to return hold the budget (at least one is read): a hundred entries each just under the
-- limit would otherwise take hundreds of MiB, here and in the server, at every read until that server
-- died of it, and then at the next server's.
-- Returns {how many it set aside, entry id, {name, value, ...}, entry id, {...}, ...}.
local consumer, count, most, idleMs, budget = A[1], tonumber(A[2]), tonumber(A[3]), A[4], tonumber(A[5])
local submit = P .. ':submit'
local KEPT_FIELDS, KEPT_BYTES = 64, 4096
-- why a bound on fields too: an entry of millions of empty fields is small, and the server reading it
-- would make objects, and an error, of each, until its memory ran out, at every read of it
local MOST_FIELDS = 64

local out, setAside, read, kept = {0}, 0, 0, 0
local function full()
  return read >= count or kept >= budget
end
local function take(id, fields)
  read = read + 1
  local size = 0
  for i = 1, #fields do size = size + #fields[i] end
  local reason
  if #fields > 2 * MOST_FIELDS then
    reason = 'entry: ' .. #fields / 2 .. ' fields, more than the ' .. MOST_FIELDS .. ' an entry may have (a job has '
        .. 'at most 15): set aside unread'
  elseif size > most then
    reason = 'entry: ' .. size .. ' bytes (its field names and values), more than the ' .. most
        .. ' a job may take: set aside unread'
  else
    out[#out + 1] = id
    out[#out + 1] = fields
    kept = kept + size
    return
  end
  local dead = {'source', id, 'reason', reason}
  local taken = {}
  for i = 1, math.min(#fields, 2 * KEPT_FIELDS), 2 do
    local name, value = string.sub(fields[i], 1, KEPT_BYTES), fields[i + 1]
    -- a name given again is kept as NAME#2, NAME#3: the next one the entry does not hold itself
    local named, time = name, 2
    while taken[named] do
      named, time = name .. '#' .. time, time + 1
    end
    taken[named] = true
    dead[#dead + 1] = 'entry.' .. named
    dead[#dead + 1] = #value <= KEPT_BYTES and value or '(' .. #value .. ' bytes, left out)'
  end
  if #fields > 2 * KEPT_FIELDS then
    dead[#dead + 1] = 'entryFieldsLeftOut'
    dead[#dead + 1] = tostring(#fields / 2 - KEPT_FIELDS)
  end
  redis.call('XADD', P .. ':dead', 'MAXLEN', '~', DEAD_MAX, '*', unpack(dead))
  redis.call('XACK', submit, 'intake', id)
  redis.call('XDEL', submit, id)
  setAside = setAside + 1
end

-- a stream's entries as XREADGROUP replies them, or none
local function entriesOf(reply)
  if not reply or not reply[1] then return {} end
  return reply[1][2]
end

-- first what this process read and could not finish (the queue failed partway): at once, not once it
-- counts as abandoned; an entry deleted while pending comes without fields: nothing to take in
local after = '0'
while not full() do
  local entry = entriesOf(redis.call('XREADGROUP', 'GROUP', 'intake', consumer, 'COUNT', 1, 'STREAMS', submit,
      after))[1]
  if not entry then break end
  after = entry[1]
  if entry[2] and #entry[2] > 0 then
    take(entry[1], entry[2])
  else
    redis.call('XACK', submit, 'intake', entry[1])
  end
end
local cursor = '0-0'
while not full() do
  local claimed = redis.call('XAUTOCLAIM', submit, 'intake', consumer, idleMs, cursor, 'COUNT', 1)
  local entry = claimed[2][1]
  if entry and entry[2] then take(entry[1], entry[2]) end
  cursor = claimed[1]
  if cursor == '0-0' then break end
end
while not full() do
  local entry = entriesOf(redis.call('XREADGROUP', 'GROUP', 'intake', consumer, 'COUNT', 1, 'STREAMS', submit,
      '>'))[1]
  if not entry then break end
  take(entry[1], entry[2])
end
if RID ~= '' then
  -- this call sent again after its reply was lost: the entries the first run set aside are counted too
  -- (those it read come again, as pending to this consumer)
  local counted = P .. ':rid:' .. RID .. ':setaside'
  setAside = setAside + tonumber(redis.call('GET', counted) or '0')
  if setAside > 0 then redis.call('SET', counted, setAside, 'PX', RESEND_MS) end
end
out[1] = setAside
return out
