-- A = how many due entries to look at
-- Drops the index entries of final jobs whose hash the retention expired; returns how many it
-- dropped and how many it looked at. ':finished' is scored by when each job's record expires.
local now = redisNowMs()
local removed, looked = 0, 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. ':finished', '-inf', now, 'LIMIT', 0, tonumber(A[1]))) do
  looked = looked + 1
  if redis.call('EXISTS', jobKey(id)) == 0 then
    unindex(id)
    removed = removed + 1
  else
    -- not gone yet (the writer's clock ahead of Redis's, or an entry scored by when it finished, as
    -- before expiry was the score): scored again by when Redis will expire it, so that it does not
    -- stand in front of what is due
    local ttl = redis.call('PTTL', jobKey(id))
    if ttl < 0 then
      redis.call('ZREM', P .. ':finished', id) -- kept for good: nothing to sweep
    else
      redis.call('ZADD', P .. ':finished', int(now + ttl), id)
    end
  end
end
return {removed, looked}
