-- POST a new User per request (unique userName), in the shape of Microsoft Entra ID's documented
-- create request (schemas with the enterprise extension, externalId, meta.resourceType, empty
-- roles): https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups
-- Usage: wrk -s post.lua ... (env TOKEN, SCIM_PATH)
local token = os.getenv("TOKEN")
local base = os.getenv("SCIM_PATH") or "/scim/v2"
local run = tostring(os.time()) .. "-" .. tostring(math.random(1, 1000000))
local n = 0
request = function()
  n = n + 1
  local name = string.format("wrk-%s-%d@example.com", run, n)
  local body = '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",' ..
    '"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],' ..
    '"externalId":"' .. run .. "-" .. n .. '","userName":"' .. name .. '","active":true,' ..
    '"emails":[{"primary":true,"type":"work","value":"' .. name .. '"}],' ..
    '"meta":{"resourceType":"User"},' ..
    '"name":{"formatted":"Load Test","familyName":"Test","givenName":"Load"},"roles":[]}'
  return wrk.format("POST", base .. "/Users",
    {["Content-Type"] = "application/scim+json", ["Authorization"] = "Bearer " .. token}, body)
end
