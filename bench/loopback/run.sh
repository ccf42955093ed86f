#!/usr/bin/env bash
# Loopback throughput, side by side in one run: the reference server with the provisioning
# policy (scimkit-server, seed product rules), the same dispatcher and policy served by bare
# hyper (examples/hyper_server.rs --policy), and bare hyper without any policy. The second
# against the third is the policy's own cost; the first against the third is what the attack
# review measured. Then the reference server on its default storage, a SQLite file, against
# the same server in memory: what durability costs. Bounded: every wrk run lasts DURATION; the
# servers are stopped by their pids on exit.
#
#   bench/loopback/run.sh                 # 1,000 users, 10 s per run, 16 connections
#   DURATION=5s ROUNDS=2 bench/loopback/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
here=bench/loopback
DURATION=${DURATION:-10s}
CONNS=${CONNS:-16}
USERS=${USERS:-1000}
ROUNDS=${ROUNDS:-1}
export TOKEN=bench-token-0123456789abcdef0123456789abcdef
cargo build --release -q --example server --example hyper_server
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

start() { # name port command...
    local name=$1 port=$2
    shift 2
    "$@" >"$work/$name.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
        sleep 0.1
    done
    echo "$name did not start:" >&2
    cat "$work/$name.log" >&2
    exit 1
}
start policy 18180 target/release/examples/server --listen 127.0.0.1:18180 \
    --tenant "default=env:TOKEN" --quiet --db memory
start sqlite 18183 target/release/examples/server --listen 127.0.0.1:18183 \
    --tenant "default=env:TOKEN" --quiet --db "sqlite:$work/bench.db"
start plain 18181 target/release/examples/hyper_server 127.0.0.1:18181 "$TOKEN"
start hyperpolicy 18182 target/release/examples/hyper_server 127.0.0.1:18182 "$TOKEN" --policy

seed() { # port → ids file; USERS users POSTed one by one
    python3 - "$1" "$USERS" "$work/ids-$1" <<'PY'
import json, os, sys, urllib.request
port, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ids = []
for i in range(n):
    body = json.dumps({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": f"user{i}@example.com", "active": True, "displayName": f"User {i}",
        "name": {"givenName": "User", "familyName": str(i)},
        "emails": [{"primary": True, "type": "work", "value": f"user{i}@example.com"}]}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/scim/v2/Users", data=body, method="POST",
        headers={"Content-Type": "application/scim+json", "Authorization": "Bearer " + os.environ["TOKEN"]})
    ids.append(json.load(urllib.request.urlopen(req))["id"])
open(out, "w").write("\n".join(ids) + "\n")
PY
}
seed 18180
seed 18181
seed 18182
seed 18183

measure() { # port scenario → "req/s p99"
    local port=$1 scenario=$2 url="http://127.0.0.1:$1/scim/v2"
    local args=(-t1 "-c$CONNS" "-d$DURATION" --latency)
    local out
    case $scenario in
        get) out=$(IDS_FILE="$work/ids-$port" wrk "${args[@]}" -s "$here/get.lua" "$url") ;;
        filter) out=$(wrk "${args[@]}" -H "Authorization: Bearer $TOKEN" \
            "$url/Users?filter=userName%20eq%20%22user500@example.com%22") ;;
        post) out=$(wrk "${args[@]}" -s "$here/post.lua" "$url") ;;
        patch) out=$(IDS_FILE="$work/ids-$port" wrk "${args[@]}" -s "$here/patch.lua" "$url") ;;
    esac
    if grep -q "Non-2xx" <<<"$out"; then
        echo "non-2xx answers from port $port, $scenario:" >&2
        echo "$out" >&2
        exit 1
    fi
    local rps p99
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    echo "$rps $p99"
}

share() { python3 -c "print(f'{$1 / $2 * 100:.0f} %')"; }
echo "| request | server + policy (req/s, p99) | hyper + policy | hyper, no policy | policy's share | server's share |"
echo "|---|---|---|---|---|---|"
for round in $(seq 1 "$ROUNDS"); do
    for scenario in get filter patch post; do
        read -r a ap < <(measure 18180 "$scenario")
        read -r h hp < <(measure 18182 "$scenario")
        read -r b bp < <(measure 18181 "$scenario")
        echo "| $scenario (round $round) | $a, $ap | $h, $hp | $b, $bp | $(share "$h" "$b") | $(share "$a" "$b") |"
    done
done
echo
echo "| request | server, memory (req/s, p99) | server, SQLite file | SQLite's share |"
echo "|---|---|---|---|"
for round in $(seq 1 "$ROUNDS"); do
    for scenario in get filter patch post; do
        read -r m mp < <(measure 18180 "$scenario")
        read -r s sp < <(measure 18183 "$scenario")
        echo "| $scenario (round $round) | $m, $mp | $s, $sp | $(share "$s" "$m") |"
    done
done
