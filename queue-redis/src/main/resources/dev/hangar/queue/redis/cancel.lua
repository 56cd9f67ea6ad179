-- A = id, now
-- Returns {} if there is no such job, {1, job, change} if it changed, {0, job} if not. This call sent
-- again after its reply was lost answers as the first run did, with its change: its caller waits for
-- this process's listeners (its agent) to hear of it, as for any cancel.
local id = A[1]
local told = RID ~= '' and (P .. ':rid:' .. RID .. ':cancel') or nil
local j = redis.call('HMGET', jobKey(id), 'state', 'cancel', 'attempt', 'exitCode', 'error')
if not j[1] then return {} end
local change, view
if j[1] == 'QUEUED' then
  -- waiting to retry: its last attempt's result is said to be that (AttemptVerdict.cancelledWhileQueued)
  local err, code = j[5] or '', j[4] or ''
  if err ~= '' or code ~= '' then
    err = 'cancelled on request while waiting to retry; attempt ' .. (j[3] or '0') .. ': '
        .. (err ~= '' and err or ('exit code ' .. code))
  end
  change, view = transition(id, 'QUEUED', 'CANCELLED', {'cancel', 1, 'notBefore', '', 'finishedAt', A[2],
      'exitCode', '', 'error', err}, nil, true)
elseif not FINAL[j[1]] and j[2] ~= '1' then
  -- leased: its worker learns on its next renew, stops the job and finishes it CANCELLED
  redis.call('HSET', jobKey(id), 'cancel', 1)
  change = emit('job', id, {'cancel', 1, 'state', j[1]})
  view = job(id)
else
  local resent = told and redis.call('GET', told)
  if resent then return {1, job(id), resent} end
  return {0, job(id)}
end
if told then redis.call('SET', told, change, 'PX', RESEND_MS) end
return {1, view, change}
