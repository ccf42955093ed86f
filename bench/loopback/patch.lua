-- PATCH the users whose ids are listed in IDS_FILE, round robin, with Entra ID's shape:
-- replace displayName and a work email's type-filtered value.
local token = os.getenv("TOKEN")
local base = os.getenv("SCIM_PATH") or "/scim/v2"
local ids = {}
for line in io.lines(os.getenv("IDS_FILE")) do ids[#ids + 1] = line end
local n = 0
request = function()
  n = n + 1
  local id = ids[(n % #ids) + 1]
  local body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[' ..
    '{"op":"Replace","path":"displayName","value":"Name ' .. n .. '"},' ..
    '{"op":"Replace","path":"title","value":"Title ' .. n .. '"}]}'
  return wrk.format("PATCH", base .. "/Users/" .. id,
    {["Content-Type"] = "application/scim+json", ["Authorization"] = "Bearer " .. token}, body)
end
