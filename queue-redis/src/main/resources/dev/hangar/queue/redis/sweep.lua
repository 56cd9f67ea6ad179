-- A = how many of the oldest final jobs to look at
-- Drops the index entries of final jobs whose hash the retention expired; returns how many.
local removed = 0
for _, id in ipairs(redis.call('ZRANGE', P .. ':finished', 0, tonumber(A[1]) - 1)) do
  if redis.call('EXISTS', jobKey(id)) == 0 then
    unindex(id)
    removed = removed + 1
  end
end
return {removed}
