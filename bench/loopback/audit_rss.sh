#!/usr/bin/env bash
# Memory under the audit attack of the review: COUNT rejected PUTs, each with a 900 KB
# displayName and a changed userName (refused by the seed rules: 400 mutability), each audited.
# Prints the server's VmRSS before and after. Bounded by COUNT; the server is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=${COUNT:-2000}
export TOKEN=audit-token-0123456789abcdef0123456789abcdef
cargo build --release -q --example server
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
target/release/examples/server --listen 127.0.0.1:18380 --quiet --db memory --tenant "acme=env:TOKEN" \
    >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:18380/ && break; sleep 0.1; done
rss() { awk '/^VmRSS/ {print $2 " " $3}' "/proc/$server/status"; }
python3 - "$COUNT" "$TOKEN" <<'PY'
import http.client, json, sys
count, token = int(sys.argv[1]), sys.argv[2]
headers = {"Authorization": "Bearer " + token, "Content-Type": "application/scim+json"}
c = http.client.HTTPConnection("127.0.0.1", 18380)
c.request("POST", "/scim/v2/Users", json.dumps({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "ada@example.com"}), headers)
assert c.getresponse().status == 201
PY
before=$(rss)
python3 - "$COUNT" "$TOKEN" <<'PY'
import http.client, json, sys, collections
count, token = int(sys.argv[1]), sys.argv[2]
headers = {"Authorization": "Bearer " + token, "Content-Type": "application/scim+json"}
c = http.client.HTTPConnection("127.0.0.1", 18380)
c.request("GET", "/scim/v2/Users?filter=userName%20eq%20%22ada@example.com%22", headers=headers)
uid = json.loads(c.getresponse().read())["Resources"][0]["id"]
body = json.dumps({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "someone.else@example.com", "displayName": "x" * 900_000})
statuses = collections.Counter()
for _ in range(count):
    c.request("PUT", f"/scim/v2/Users/{uid}", body, headers)
    r = c.getresponse(); r.read(); statuses[r.status] += 1
print("answers:", dict(statuses))
PY
after=$(rss)
echo "VmRSS before: $before; after $COUNT rejected 900 KB PUTs: $after"
