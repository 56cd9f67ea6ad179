-- The head of the queue's function library (LuaScripts): loaded once into Redis, where each script
-- file becomes one function of it that starts with setup(keys, args). KEYS[1] is the key prefix and a colon,
-- "{name}:": every key below starts with it, so all of them share one hash slot. ARGV[1..5] are the
-- backend's settings, ARGV[6] the call's id (RID); the script's own arguments follow and are read as
-- A[1], A[2], ...
local P, LEASES, CHANGES_MAX, RETENTION_MS, DEAD_MAX, HORIZON_MS, RESEND_MS, RID
local A = {}

-- Redis runs one function at a time, so the call's prefix and settings may live in these upvalues.
local function setup(keys, argv)
  P = string.sub(keys[1], 1, -2) -- the declared key is the prefix and a colon (see LuaScripts)
  LEASES = P .. ':leases'
  CHANGES_MAX = argv[1]
  RETENTION_MS = tonumber(argv[2])
  DEAD_MAX = argv[3]
  HORIZON_MS = tonumber(argv[4])
  RESEND_MS = argv[5]
  RID = argv[6]
  A = {}
  for i = 7, #argv do A[i - 6] = argv[i] end
end

-- A call is sent again when the connection drops before its reply came (the client reconnects and
-- resends what it had sent): it may have run. Each call has an id of its own, RID, unique to the
-- call and the same when resent. A script that changes a job records it in the job's field 'write',
-- so that a call sent again finds its own write and answers as it did, instead of doing it twice.
-- A call is sent again within the client's command timeout, so what tells it lasts RESEND_MS.
local function resent(written)
  return RID ~= '' and written == RID
end

-- names the job this call sent back to the queue (see settleJob)
local function settledKey()
  return P .. ':rid:' .. RID .. ':settled'
end

local GROUP = 'workers'
local FINAL = {SUCCEEDED = true, FAILED = true, TIMED_OUT = true, CANCELLED = true, DEAD = true}

-- Lua numbers are doubles: integers go back to Redis as plain digits, never as 1e+12
local function int(n) return string.format('%d', n) end
local function jobKey(id) return P .. ':job:' .. id end
-- a tenant's jobs by submit order, for its lists (a job of no tenant is in none)
local function tenantKey(tenant) return P .. ':tenant:' .. tenant end
local function logKey(id) return P .. ':log:' .. id end
-- The index of the jobs in a state, by seq. The three states of a leased job share one, LEASED,
-- so that a job moves between them without touching an index (counts.lua and page.lua tell them
-- apart by the job's state).
local LEASED = {SCHEDULED = true, STARTING = true, RUNNING = true}
local function stateKey(state)
  if LEASED[state] then return P .. ':state:LEASED' end
  return P .. ':state:' .. state
end
-- a state of each index, so that each index is named once
local STATE_INDEXES = {'QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED', 'DEAD'}

local function field(id, name)
  local value = redis.call('HGET', jobKey(id), name)
  if value then return value end
  return ''
end

-- the fields a Job shows (JobHash reads them); the others are the queue's own bookkeeping
local VIEW = {'id', 'spec', 'state', 'attempt', 'deliveries', 'submittedAt', 'scheduledAt', 'startingAt', 'runningAt',
    'finishedAt', 'node', 'runtime', 'selection', 'exitCode', 'error', 'truncated', 'cancel', 'sandboxReadyAt',
    'startPath', 'sandboxId', 'sandboxCreatedAt'}

-- the job as a Job shows it: field, value, ... of the fields of VIEW that are set ("" is unset)
local function job(id)
  local values = redis.call('HMGET', jobKey(id), unpack(VIEW))
  local out = {}
  for i = 1, #VIEW do
    local value = values[i]
    if value and value ~= '' then
      out[#out + 1] = VIEW[i]
      out[#out + 1] = value
    end
  end
  return out
end

-- A[from], A[from + 1], ..., A[to] (A[#A] if no to) as a list
local function rest(from, to)
  local out = {}
  for i = from, to or #A do out[#out + 1] = A[i] end
  return out
end

local function redisNowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The PEL delivery time that stands for a lease deadline (see LeaseDeadlines). Redis would quietly
-- clamp a time in the future to now, making a lease that never expires: a backend whose clock is
-- that far ahead of Redis's refuses to open (RedisQueueBackend.open), so no call need ask Redis.
local function deliveryTime(deadline)
  local time = deadline - HORIZON_MS
  if time < 1 then
    error({err = 'lease deadline ' .. int(deadline) .. ' is before the lease horizon: is the clock of this process far off?'})
  end
  return int(time)
end

-- Runs a command on the lease group (XCLAIM, XPENDING, XAUTOCLAIM), making the group first if it is gone: Redis
-- restarted without persistence or was flushed, and the group, made when the backend opened, went
-- with the rest. Without it every sweep and every agent's start would fail until a lease made it again.
local function inLeaseGroup(...)
  local ok, reply = pcall(redis.call, ...)
  if ok then return reply end
  local message = type(reply) == 'table' and reply.err or tostring(reply)
  -- Redis 7.0 gives pcall a string, which error() would make an ERR of: a table keeps its code
  if not string.find(message, 'NOGROUP', 1, true) then error(type(reply) == 'table' and reply or {err = reply}) end
  redis.call('XGROUP', 'CREATE', LEASES, GROUP, '0', 'MKSTREAM')
  return redis.call(...)
end

-- puts a lease entry into the consumer's PEL with this delivery time, making the group if it is gone
local function claim(entry, consumer, time)
  return inLeaseGroup('XCLAIM', LEASES, GROUP, consumer, 0, entry, 'TIME', time, 'FORCE', 'JUSTID')
end

local function dropLease(entry)
  redis.call('XACK', LEASES, GROUP, entry)
  redis.call('XDEL', LEASES, entry)
end

-- The jobs leased under these lease entries, which are gone from the lease stream while pending (an XTRIM or
-- XDEL by hand): found by their token among the leased jobs, a scan done only when such entries turn up.
-- Returns {entry = job id} for those found.
local function jobsLeasedUnder(entries)
  local wanted, found = {}, {}
  for _, entry in ipairs(entries) do wanted[entry] = true end
  if #entries == 0 then return found end
  for _, id in ipairs(redis.call('ZRANGE', P .. ':state:LEASED', 0, -1)) do
    local token = redis.call('HGET', jobKey(id), 'token')
    if token and wanted[token] then found[token] = id end
  end
  return found
end

-- due queued jobs: those that need GPUs apart, so that a backlog of them never hides from a node
-- without GPUs the jobs it could run (a lease looks at a bounded window of its ready set); and those
-- that select nodes by label apart again, a set per selector (its KEY=VALUE pairs, comma between
-- them) and GPU need, so that a node looks only at the jobs whose labels it has. selectors() names
-- each such set that holds a job, as 'sel:SELECTOR' or 'gpu:sel:SELECTOR' after P .. ':ready:'
local function selectors()
  return P .. ':selectors'
end
local function selectorSet(gpus, selector)
  return ((tonumber(gpus) or 0) > 0 and 'gpu:sel:' or 'sel:') .. selector
end
local function readyKey(gpus, selector)
  if selector and selector ~= '' then return P .. ':ready:' .. selectorSet(gpus, selector) end
  return (tonumber(gpus) or 0) > 0 and P .. ':ready:gpu' or P .. ':ready'
end

-- a due job into its ready set: higher priority first, then submit order
local function ready(id, priority, seq, gpus, selector)
  redis.call('ZADD', readyKey(gpus, selector), int((9 - tonumber(priority)) * 1e12 + tonumber(seq)), id)
  if selector and selector ~= '' then redis.call('SADD', selectors(), selectorSet(gpus, selector)) end
end

-- a job due again into its ready set; none for one whose hash is gone (evicted, or deleted by hand): a
-- finish and lease that came upon it would fail after its finish was written
local function makeReady(id)
  local v = redis.call('HMGET', jobKey(id), 'priority', 'seq', 'gpus', 'sel')
  if not v[1] then return end
  ready(id, v[1], v[2], v[3], v[4])
end

-- a job out of a selector's ready set (as selectors() names it); returns whether it was there
local function unready(id, set)
  local key = P .. ':ready:' .. set
  if redis.call('ZREM', key, id) == 0 then return false end
  if redis.call('ZCARD', key) == 0 then redis.call('SREM', selectors(), set) end
  return true
end

-- every index entry of a job whose hash is gone (retention); one that was final when it went (the
-- sweep's) is in no ready set
local function unindex(id, final)
  redis.call('ZREM', P .. ':finished', id)
  if not final then
    redis.call('ZREM', readyKey(0), id)
    redis.call('ZREM', readyKey(1), id)
    for _, set in ipairs(redis.call('SMEMBERS', selectors())) do unready(id, set) end
  end
  redis.call('ZREM', P .. ':delayed', id)
  for _, state in ipairs(STATE_INDEXES) do redis.call('ZREM', stateKey(state), id) end
end

-- fields of a job hash that are the queue's bookkeeping, not part of what a Job shows
local BOOKKEEPING = {token = true, worker = true, leaseMs = true, leaseUntil = true, notBefore = true,
    finishes = true, write = true}

-- Tells every listener, in every process, of a change: new output (kind 'log'), or a job's change
-- (kind 'job'), carrying the job's state and the fields of its view that changed, field, value, ...
-- (ChangeFeed applies them to the view it holds; a new job's entry carries its whole view and says
-- 'full'). Returns the id of the change entry.
local function emit(kind, id, delta)
  if kind == 'log' then
    return redis.call('XADD', P .. ':changes', 'MAXLEN', '~', CHANGES_MAX, '*', 'kind', kind, 'job', id)
  end
  return redis.call('XADD', P .. ':changes', 'MAXLEN', '~', CHANGES_MAX, '*', 'kind', kind, 'job', id, unpack(delta))
end

-- the value these fields (field, value, ...) give name, or nil
local function valueIn(fields, name)
  for i = 1, #fields, 2 do
    if fields[i] == name then return fields[i + 1] end
  end
  return nil
end

-- A job is about to reach its final state with these fields: it is counted once (the finishes
-- field goes into the fields). Returns what finalize needs of the job as it was: f, if the caller
-- read it already (FINISHING fields), or else read now.
local FINISHING = {'finishes', 'idem', 'logSeq', 'finishedAt', 'error', 'tenant'}
local function finishing(id, fields, f)
  f = f or redis.call('HMGET', jobKey(id), unpack(FINISHING))
  fields[#fields + 1] = 'finishes'
  fields[#fields + 1] = int((tonumber(f[1]) or 0) + 1)
  return f
end

-- The job reached its final state (with these fields, after finishing read it as f): it is kept
-- for the retention, and dead-lettered if DEAD.
local function finalize(id, state, fields, f)
  local key = jobKey(id)
  if RETENTION_MS > 0 then
    -- by when it expires, not when it finished: processes may keep jobs for different times, and
    -- the sweep takes what is due from the front. A tenant's job is entered as 'id tenant', so that
    -- the sweep knows which tenant's index to drop it from once its hash is gone
    local member = (f[6] and f[6] ~= '') and (id .. ' ' .. f[6]) or id
    redis.call('ZADD', P .. ':finished', int(tonumber(valueIn(fields, 'finishedAt') or f[4]) + RETENTION_MS), member)
    redis.call('PEXPIRE', key, RETENTION_MS)
    if f[3] and f[3] ~= '0' then redis.call('PEXPIRE', logKey(id), RETENTION_MS) end
    if f[2] and f[2] ~= '' then redis.call('PEXPIRE', P .. ':idem:' .. f[2], RETENTION_MS) end
  end
  if state == 'DEAD' then
    redis.call('XADD', P .. ':dead', 'MAXLEN', '~', DEAD_MAX, '*', 'job', id, 'error',
        valueIn(fields, 'error') or f[5] or '')
  end
end

-- Moves a job from one state to another and sets its fields, keeping every index up to date and
-- telling listeners what changed (see emit). Returns the id of the change entry and, if wantView,
-- the job's view as job() reads it. The caller may pass the job's seq, and the FINISHING fields
-- (finished), if it read them already.
local function transition(id, from, to, fields, seq, wantView, finished)
  local key = jobKey(id)
  local final = FINAL[to] and not FINAL[from]
  local was = final and finishing(id, fields, finished)
  fields[#fields + 1] = 'state'
  fields[#fields + 1] = to
  fields[#fields + 1] = 'write'
  fields[#fields + 1] = RID
  redis.call('HSET', key, unpack(fields))
  if stateKey(from) ~= stateKey(to) then
    seq = seq or redis.call('HGET', key, 'seq')
    redis.call('ZREM', stateKey(from), id)
    redis.call('ZADD', stateKey(to), seq, id)
  end
  if from == 'QUEUED' and to ~= 'QUEUED' then
    -- it was due, or waiting out a retry's backoff (a job that selects nodes: read its selector only then)
    if redis.call('ZREM', readyKey(0), id) == 0 and redis.call('ZREM', readyKey(1), id) == 0 then
      local v = redis.call('HMGET', key, 'sel', 'gpus')
      if not (v[1] and unready(id, selectorSet(v[2], v[1]))) then redis.call('ZREM', P .. ':delayed', id) end
    end
  elseif to == 'QUEUED' and from ~= 'QUEUED' then
    local notBefore = valueIn(fields, 'notBefore') or field(id, 'notBefore')
    if notBefore ~= '' then
      redis.call('ZADD', P .. ':delayed', notBefore, id)
    else
      makeReady(id)
    end
  end
  if final then finalize(id, to, fields, was) end
  local delta = {}
  for i = 1, #fields, 2 do
    if not BOOKKEEPING[fields[i]] then
      delta[#delta + 1] = fields[i]
      delta[#delta + 1] = fields[i + 1]
    end
  end
  local change = emit('job', id, delta)
  if wantView then return change, job(id) end
  return change
end

-- Moves a leased job one step on (advance.lua), e.g. SCHEDULED -> STARTING, setting these fields.
-- Returns {1, {}, change}, or {0} if the lease (token) is lost or the job is not in the from state.
local function advanceJob(id, token, from, to, fields)
  local j = redis.call('HMGET', jobKey(id), 'token', 'state', 'seq', 'write')
  if resent(j[4]) then return {1, {}} end
  if token == '' or j[1] ~= token or j[2] ~= from then return {0} end
  local change = transition(id, from, to, fields, j[3])
  return {1, {}, change}
end

-- Commits what Java decided (AttemptVerdict) for the job it read under this lease and ends the
-- lease (settle.lua says what the arguments are). Returns {1, job (if wantView, else empty), change};
-- {0} if the lease is lost; {-1} if the job is not as it was read, so the decision must be made again.
local function settleJob(id, token, states, cancel, to, owner, attempt, fields, wantView)
  local j = redis.call('HMGET', jobKey(id), 'token', 'state', 'cancel', 'attempt', 'seq', 'write', unpack(FINISHING))
  if resent(j[6]) then return {1, wantView and job(id) or {}} end
  if token == '' or j[1] ~= token then
    -- a job this call sent back to the queue may have been leased again (its 'write' is not this
    -- call's): a key says this call settled it
    if RID ~= '' and redis.call('GET', settledKey()) == id then return {1, wantView and job(id) or {}} end
    return {0}
  end
  if owner ~= '' then
    local pending = redis.call('XPENDING', LEASES, GROUP, token, token, 1)
    if #pending == 0 or pending[1][2] ~= owner then return {0} end
  end
  if not string.find(' ' .. states .. ' ', ' ' .. j[2] .. ' ', 1, true) or j[3] ~= cancel
      or (attempt ~= '' and j[4] ~= attempt) then
    return {-1}
  end
  dropLease(token)
  for _, name in ipairs({'token', 'worker', 'leaseMs', 'leaseUntil'}) do
    fields[#fields + 1] = name
    fields[#fields + 1] = ''
  end
  local change, view = transition(id, j[2], to, fields, j[5], wantView, {unpack(j, 7, 6 + #FINISHING)})
  if to == 'QUEUED' and RID ~= '' then redis.call('SET', settledKey(), id, 'PX', RESEND_MS) end
  return {1, view or {}, change}
end

-- Leases the most urgent QUEUED job that fits the request in A[at], A[at + 1], ...:
--   worker (its node's name), now, leaseMs, freeCpus, freeMemoryMb, freeGpus, scan, n, n runtimes, k, k kernel-boundary runtimes,
--   l, l runtimes that give a network, g, g runtimes that pass GPUs through, m, m images, r, r roots under
--   which it lets jobs mount, f, f pairs of a runtime and the least memory (MiB) a job needs to run on it,
--   s, s labels of its node as KEY=VALUE
-- Returns {1, job, change, token} for the job leased (the token is the lease entry id), {} if none fits.
local function leaseNext(at)
  local worker, now, leaseMs = A[at], tonumber(A[at + 1]), tonumber(A[at + 2])
  local freeCpus, freeMemory, freeGpus, scan = tonumber(A[at + 3]), tonumber(A[at + 4]), tonumber(A[at + 5]),
      tonumber(A[at + 6])
  local runtimes, kernel = {}, {}
  local nRuntimes = tonumber(A[at + 7])
  for i = 1, nRuntimes do runtimes[A[at + 7 + i]] = true end
  local kernelAt = at + 8 + nRuntimes
  local nKernel = tonumber(A[kernelAt])
  for i = 1, nKernel do kernel[A[kernelAt + i]] = true end
  local networkAt = kernelAt + nKernel + 1
  local network, passGpus, images = {}, {}, {}
  local nNetwork = tonumber(A[networkAt])
  for i = 1, nNetwork do network[A[networkAt + i]] = true end
  local gpuAt = networkAt + nNetwork + 1
  local nGpu = tonumber(A[gpuAt])
  for i = 1, nGpu do passGpus[A[gpuAt + i]] = true end
  local imagesAt = gpuAt + nGpu + 1
  local nImages = tonumber(A[imagesAt])
  for i = 1, nImages do images[A[imagesAt + i]] = true end
  local rootsAt = imagesAt + nImages + 1
  local roots, anyPath = {}, false
  local nRoots = tonumber(A[rootsAt])
  for i = 1, nRoots do
    roots[i] = A[rootsAt + i]
    if roots[i] == '/' then anyPath = true end
  end
  local floorsAt = rootsAt + nRoots + 1
  local floors, anyFloor = {}, false
  for i = 1, tonumber(A[floorsAt]) do
    floors[A[floorsAt + 2 * i - 1]] = tonumber(A[floorsAt + 2 * i])
    anyFloor = true
  end
  local labelsAt = floorsAt + 2 * tonumber(A[floorsAt]) + 1
  local labels = {}
  for i = 1, tonumber(A[labelsAt] or '0') do labels[A[labelsAt + i]] = true end

  local time = deliveryTime(now + leaseMs)

  -- sent again: the job this call leased, if it still holds that lease (see resent)
  local leasedBy = P .. ':rid:' .. RID
  if RID ~= '' then
    local earlier = redis.call('GET', leasedBy)
    if earlier then
      local j = redis.call('HMGET', jobKey(earlier), 'write', 'token')
      if resent(j[1]) and j[2] and j[2] ~= '' then return {1, job(earlier), '', j[2]} end
      return {}
    end
  end

  -- retries whose backoff is over are due again
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. ':delayed', '-inf', int(now), 'LIMIT', 0, 1000)) do
    redis.call('ZREM', P .. ':delayed', id)
    makeReady(id)
  end

  -- LeaseRequest.hasRuntimeFor: one runtime that is the pinned one (if any), behind a kernel boundary
  -- for untrusted code, able to give a network to a job that needs one (a job queued before the
  -- 'net' field was kept has none), able to pass GPUs through to a job that needs them, and whose
  -- memory floor the job's memory meets
  local function gives(name, untrusted, net, gpu, mem)
    return (not untrusted or kernel[name] == true) and (net ~= '1' or network[name] == true)
        and (not gpu or passGpus[name] == true) and mem >= (floors[name] or 0)
  end
  local function hasRuntimeFor(pin, untrusted, net, gpu, mem)
    if nRuntimes == 0 then return true end
    if pin ~= '' then return runtimes[pin] == true and gives(pin, untrusted, net, gpu, mem) end
    if not untrusted and net ~= '1' and not gpu and not anyFloor then return true end
    for name in pairs(runtimes) do
      if gives(name, untrusted, net, gpu, mem) then return true end
    end
    return false
  end

  -- LeaseRequest.hasImage (a job queued before the 'image' field was kept has none)
  local function hasImage(image)
    return nImages == 0 or not image or image == '' or images[image] == true
  end

  -- LeaseRequest.hasMountsFor: each host path (NUL between them) under one of the roots
  local function hasMountsFor(paths)
    if anyPath or not paths or paths == '' then return true end
    local from = 1
    while true do
      local stop = string.find(paths, '\0', from, true)
      local path = string.sub(paths, from, (stop or 0) - 1)
      local under = false
      for _, root in ipairs(roots) do
        if path == root or string.sub(path, 1, #root + 1) == root .. '/' then under = true; break end
      end
      if not under then return false end
      if not stop then return true end
      from = stop + 1
    end
  end

  -- LeaseRequest.hasLabelsFor: each KEY=VALUE of the job's selector (comma between them) one of the node's
  local function hasLabelsFor(selector)
    if not selector or selector == '' then return true end
    for pair in string.gmatch(selector, '[^,]+') do
      if not labels[pair] then return false end
    end
    return true
  end

  -- the most urgent job of a ready set that fits, looked for a page at a time (usually the first
  -- one does) among its first `limit`; returns its id, fields and score, and how many it looked at
  local PAGE = 16
  local function firstFitting(readySet, limit)
    local start, looked = 0, 0
    while looked < limit do
      -- one first: usually it fits
      local asked = math.min(looked == 0 and 1 or PAGE, limit - looked)
      local ids = redis.call('ZRANGE', readySet, start, start + asked - 1, 'WITHSCORES')
      local gone = 0
      for i = 1, #ids, 2 do
        local id = ids[i]
        looked = looked + 1
        local j = redis.call('HMGET', jobKey(id), 'cpus', 'mem', 'gpus', 'pin', 'untrusted', 'seq', 'attempt', 'deliveries',
            'net', 'image', 'mounts', 'state', 'sel')
        if not j[1] then
          unindex(id)
          gone = gone + 1
        elseif j[12] ~= 'QUEUED' then
          -- never so while every path keeps the ready sets true; if one did not, no second lease comes of it
          redis.call('ZREM', readySet, id)
          gone = gone + 1
        elseif tonumber(j[1]) <= freeCpus and tonumber(j[2]) <= freeMemory and tonumber(j[3]) <= freeGpus
            and hasRuntimeFor(j[4], j[5] == '1', j[9], tonumber(j[3]) > 0, tonumber(j[2])) and hasImage(j[10])
            and hasMountsFor(j[11]) and hasLabelsFor(j[13]) then
          return id, j, tonumber(ids[i + 1]), looked
        end
      end
      if #ids / 2 < asked then return nil, nil, nil, looked end
      -- a job unindexed on the way moved the rest up by one
      start = start + #ids / 2 - gone
    end
    return nil, nil, nil, looked
  end

  -- the sets hold different jobs: the most urgent of those that fit
  local picked, chosen, score
  local function consider(readySet, limit)
    local id, j, s, looked = firstFitting(readySet, limit)
    if id and (not picked or s < score) then picked, chosen, score = id, j, s end
    return looked
  end
  consider(readyKey(0), scan)
  if freeGpus > 0 then consider(readyKey(1), scan) end
  if next(labels) then
    -- the sets of the selectors whose labels the node has, looked at `scan` jobs in all
    local left = scan
    for _, set in ipairs(redis.call('SMEMBERS', selectors())) do
      local selector, gpu = string.match(set, '^sel:(.*)$'), false
      if not selector then selector, gpu = string.match(set, '^gpu:sel:(.*)$'), true end
      if selector and left > 0 and (not gpu or freeGpus > 0) and hasLabelsFor(selector) then
        left = left - consider(P .. ':ready:' .. set, left)
      end
    end
  end
  if not picked then return {} end

  local entry = redis.call('XADD', LEASES, '*', 'job', picked, 'worker', worker)
  claim(entry, worker, time)
  -- the worker is its node (LeaseRequest.workerId): the job names it from its lease on
  local fields = {'token', entry, 'worker', worker, 'leaseMs', int(leaseMs), 'leaseUntil', int(now + leaseMs),
      'scheduledAt', int(now), 'attempt', int(tonumber(chosen[7]) + 1), 'deliveries', int(tonumber(chosen[8]) + 1),
      'node', worker}
  if chosen[8] ~= '0' then
    -- a new delivery: what the previous one left (result, timings) is cleared
    for _, name in ipairs({'notBefore', 'startingAt', 'runningAt', 'sandboxReadyAt', 'startPath', 'sandboxId',
        'sandboxCreatedAt', 'finishedAt', 'runtime', 'selection', 'exitCode', 'error'}) do
      fields[#fields + 1] = name
      fields[#fields + 1] = ''
    end
    fields[#fields + 1] = 'truncated'
    fields[#fields + 1] = '0'
  end
  local change, view = transition(picked, 'QUEUED', 'SCHEDULED', fields, chosen[6], true)
  -- which job this call leased, should the call be sent again
  if RID ~= '' then redis.call('SET', leasedBy, picked, 'PX', RESEND_MS) end
  return {1, view, change, entry}
end
