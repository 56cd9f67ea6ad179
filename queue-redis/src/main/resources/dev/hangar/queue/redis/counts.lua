-- A = states; returns how many jobs are in each. The leased states share an index: they are told
-- apart by reading the state of each job in it (a cluster has as many as it runs at once).
local out, leased = {}, nil
for i = 1, #A do
  if LEASED[A[i]] then
    if not leased then
      leased = {}
      for _, id in ipairs(redis.call('ZRANGE', stateKey('RUNNING'), 0, -1)) do
        local state = redis.call('HGET', jobKey(id), 'state')
        if state then leased[state] = (leased[state] or 0) + 1 end
      end
    end
    out[i] = leased[A[i]] or 0
  else
    out[i] = redis.call('ZCARD', stateKey(A[i]))
  end
end
return out
