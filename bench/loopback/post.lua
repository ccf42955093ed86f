-- POST a new User per request (unique userName), Entra ID's shape.
-- Usage: wrk -s post.lua ... (env TOKEN, SCIM_PATH)
local token = os.getenv("TOKEN")
local base = os.getenv("SCIM_PATH") or "/scim/v2"
local run = tostring(os.time()) .. "-" .. tostring(math.random(1, 1000000))
local n = 0
request = function()
  n = n + 1
  local name = string.format("wrk-%s-%d@example.com", run, n)
  local body = '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"' .. name ..
    '","active":true,"displayName":"Load Test","name":{"givenName":"Load","familyName":"Test"},' ..
    '"emails":[{"primary":true,"type":"work","value":"' .. name .. '"}],"externalId":"' .. run .. n .. '"}'
  return wrk.format("POST", base .. "/Users",
    {["Content-Type"] = "application/scim+json", ["Authorization"] = "Bearer " .. token}, body)
end
