-- A = tenant or '', then ids of jobs page.lua found gone (their hash past its retention, or evicted)
-- Drops each, if still gone, from the indexes; returns how many. Gone: almost always a final job, in
-- no ready set; only a job still indexed as QUEUED (its hash evicted) may be in one, and only then the
-- pass over every selector's set is due, which for each of a page of thousands would hold Redis meanwhile.
local tenant, dropped = A[1], 0
for i = 2, #A do
  local id = A[i]
  if redis.call('EXISTS', jobKey(id)) == 0 then
    unindex(id, redis.call('ZSCORE', stateKey('QUEUED'), id) == false)
    if tenant ~= '' then redis.call('ZREM', tenantKey(tenant), id) end
    dropped = dropped + 1
  end
end
return {dropped}
