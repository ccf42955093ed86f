-- GET the users whose ids are listed in IDS_FILE, round robin.
local token = os.getenv("TOKEN")
local base = os.getenv("SCIM_PATH") or "/scim/v2"
local ids = {}
for line in io.lines(os.getenv("IDS_FILE")) do ids[#ids + 1] = line end
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", base .. "/Users/" .. ids[(n % #ids) + 1],
    {["Authorization"] = "Bearer " .. token})
end
