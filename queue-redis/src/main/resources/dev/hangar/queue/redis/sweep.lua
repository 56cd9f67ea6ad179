-- A = how many due entries to look at
-- Drops the index entries of final jobs whose hash the retention expired; returns how many it
-- dropped and how many it looked at. ':finished' is scored by when each job's record expires; a
-- tenant's job is entered as 'id tenant' (see finalize).
local now = redisNowMs()
local removed, looked = 0, 0
for _, member in ipairs(redis.call('ZRANGEBYSCORE', P .. ':finished', '-inf', now, 'LIMIT', 0, tonumber(A[1]))) do
  looked = looked + 1
  local id, tenant = string.match(member, '^(%S+) (%S+)$')
  id = id or member
  if redis.call('EXISTS', jobKey(id)) == 0 then
    unindex(id, true)
    redis.call('ZREM', P .. ':finished', member)
    if tenant then redis.call('ZREM', tenantKey(tenant), id) end
    removed = removed + 1
  else
    -- not gone yet (the writer's clock ahead of Redis's, or an entry scored by when it finished, as
    -- before expiry was the score): scored again by when Redis will expire it, so that it does not
    -- stand in front of what is due
    local ttl = redis.call('PTTL', jobKey(id))
    if ttl < 0 then
      redis.call('ZREM', P .. ':finished', member) -- kept for good: nothing to sweep
    else
      redis.call('ZADD', P .. ':finished', int(now + ttl), member)
    end
  end
end
return {removed, looked}
