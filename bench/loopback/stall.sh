#!/usr/bin/env bash
# Does one tenant's large PATCH stall another tenant? A user with 15,000 emails in tenant
# "big"; four clients each send, ROUNDS times, a PATCH removing 15,000 email objects that match
# nothing (the attack review's request), while wrk measures tenant "small"'s
# GET /ServiceProviderConfig. Bounded: wrk runs DURATION, the PATCH loops ROUNDS times each,
# the server is stopped by its pid on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-10}
export BIG=big-token-0123456789abcdef0123456789abcdef SMALL=small-token-0123456789abcdef0123456789ab
cargo build --release -q --example server
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
target/release/examples/server --listen 127.0.0.1:18280 --quiet --db memory \
    --tenant "big=env:BIG" --tenant "small=env:SMALL" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:18280/ && break; sleep 0.1; done
python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
emails = [{"value": f"e{i}@example.com", "type": "work"} for i in range(15000)]
json.dump({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "big@example.com",
           "emails": emails}, open(f"{work}/user.json", "w"))
gone = [{"value": f"gone{i}@example.com", "type": "home"} for i in range(15000)]
json.dump({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
           "Operations": [{"op": "remove", "path": "emails", "value": gone}]}, open(f"{work}/patch.json", "w"))
PY
id=$(curl -s -X POST -H "Authorization: Bearer $BIG" -H 'Content-Type: application/scim+json' \
    --data-binary @"$work/user.json" http://127.0.0.1:18280/scim/v2/Users | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
baseline=$(wrk -t1 -c4 -d"$DURATION" --latency -H "Authorization: Bearer $SMALL" \
    http://127.0.0.1:18280/scim/v2/ServiceProviderConfig | awk '$1 == "99%" {print $2}')
patcher() {
    for _ in $(seq 1 "$ROUNDS"); do
        curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -X PATCH -H "Authorization: Bearer $BIG" \
            -H 'Content-Type: application/scim+json' --data-binary @"$work/patch.json" \
            "http://127.0.0.1:18280/scim/v2/Users/$id"
    done
}
patchers=()
for k in 1 2 3 4; do patcher >"$work/patch-$k.log" & patchers+=($!); done
loaded=$(wrk -t1 -c4 -d"$DURATION" --latency -H "Authorization: Bearer $SMALL" \
    http://127.0.0.1:18280/scim/v2/ServiceProviderConfig | awk '$1 == "99%" {print $2}')
wait "${patchers[@]}"
echo "other tenant's GET /ServiceProviderConfig p99: idle $baseline, during 4 x $ROUNDS large PATCHes $loaded"
echo "large PATCH answers (status, seconds):"
cat "$work"/patch-*.log | sort | uniq -c | sort -rn | head -5
python3 - "$work" <<'PY'
import glob, sys
times = sorted(float(l.split()[1]) for f in glob.glob(sys.argv[1] + "/patch-*.log") for l in open(f))
print(f"large PATCH: n={len(times)} median {times[len(times)//2]*1000:.0f} ms, max {times[-1]*1000:.0f} ms")
PY
