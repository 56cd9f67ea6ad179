-- A = entries to look at, the most bytes an entry may hold (its field names and values together)
-- Sets aside, before any server reads them, the submit entries larger than a job may be: the entries
-- after the intake group's last delivered one, and those read but not finished (a server that read one
-- may have died of it, and the next to take it over would too). Each goes to the dead-letter stream
-- with its size, its fields (each value of more than 4096 bytes left out, saying its size, the first
-- 64 fields) and leaves the submit stream. Returns {how many it set aside}.
local looks, most = tonumber(A[1]), tonumber(A[2])
local submit = P .. ':submit'
if redis.call('EXISTS', submit) == 0 then return {0} end
local KEPT_FIELDS, KEPT_BYTES = 64, 4096

local setAside = 0
local function screen(id, fields, pending)
  local size = 0
  for i = 1, #fields do size = size + #fields[i] end
  if size <= most then return end
  local dead = {'source', id, 'reason', 'entry: ' .. size .. ' bytes (its field names and values), more than the '
      .. most .. ' a job may take: set aside unread'}
  for i = 1, math.min(#fields, 2 * KEPT_FIELDS), 2 do
    local name, value = fields[i], fields[i + 1]
    dead[#dead + 1] = 'entry.' .. (#name <= KEPT_BYTES and name or string.sub(name, 1, KEPT_BYTES))
    dead[#dead + 1] = #value <= KEPT_BYTES and value or '(' .. #value .. ' bytes, left out)'
  end
  if #fields > 2 * KEPT_FIELDS then
    dead[#dead + 1] = 'entryFieldsLeftOut'
    dead[#dead + 1] = tostring(#fields / 2 - KEPT_FIELDS)
  end
  redis.call('XADD', P .. ':dead', 'MAXLEN', '~', DEAD_MAX, '*', unpack(dead))
  if pending then redis.call('XACK', submit, 'intake', id) end
  redis.call('XDEL', submit, id)
  setAside = setAside + 1
end

-- the group as it stands: none yet, and every entry is new
local last, hasGroup = '0-0', false
for _, group in ipairs(redis.call('XINFO', 'GROUPS', submit)) do
  local info = {}
  for i = 1, #group, 2 do info[group[i]] = group[i + 1] end
  if info['name'] == 'intake' then last, hasGroup = info['last-delivered-id'], true end
end
if hasGroup then
  for _, p in ipairs(redis.call('XPENDING', submit, 'intake', '-', '+', looks)) do
    local entry = redis.call('XRANGE', submit, p[1], p[1])[1]
    if entry then screen(entry[1], entry[2], true) end -- one deleted while pending has no entry left
  end
end
for _, entry in ipairs(redis.call('XRANGE', submit, '(' .. last, '+', 'COUNT', looks)) do
  screen(entry[1], entry[2], false)
end
return {setAside}
