#!/usr/bin/env bash
# Fuzz the live API with schemathesis (v4): a server on a temporary SQLite database holding the demo council,
# an admin key, every route, checks not_a_server_error + response_schema_conformance (and the other defaults
# that judge the server, see CHECKS). Exits non-zero on any 5xx or schema violation.
#   scripts/schemathesis.sh [MAX_EXAMPLES_PER_OPERATION]     (default 20: about 3,700 requests)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
ST=${ST:-.venv/bin/schemathesis}
EXAMPLES=${1:-20}
WORK=$(mktemp -d)
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export DATABASE_URL="sqlite:///$WORK/fuzz.db" PLACEPLAN_RUN_WORKERS=1
SERVER_PID=""
cleanup() { if [[ -n "$SERVER_PID" ]]; then kill -TERM -- "-$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi; rm -rf "$WORK"; }
trap cleanup EXIT

KEY=$($PY - <<'PYEOF'
from sqlmodel import Session
from api import store
from api.auth import Role, create_user
from api.db import make_engine
from api.migrate import upgrade_to_head
from scenarios.demo import build_demo
engine = make_engine()
upgrade_to_head(engine)
with Session(engine) as session:
    key = create_user(session, "schemathesis", Role.ADMIN)[1]
    store.save_instance(session, build_demo("demo", 2026), "demo:demo:2026")
    session.commit()
print(key)
PYEOF
)

setsid $PY -m uvicorn api.main:create_app --factory --host 127.0.0.1 --port "$PORT" --log-level warning \
  >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$PORT/api/v1/health" >/dev/null && break
  sleep 0.5
done

CHECKS=not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance
COMMON=(-H "Authorization: Bearer $KEY" --checks "$CHECKS" --workers 1 --seed 2026 --request-timeout 60
        --generation-deterministic --continue-on-failure --suppress-health-check all)
STATUS=0
# Every route except the demo builder (each new seed builds a whole council, so it gets a few examples only) and
# key revocation: GET /me returns the caller's key id, and the stateful phase would follow that link to
# DELETE /keys/{key_id} and revoke the fuzzer's own key, leaving the rest of the run testing only 401s.
$ST run "http://127.0.0.1:$PORT/openapi.json" "${COMMON[@]}" -n "$EXAMPLES" --exclude-path /api/v1/demo \
  --exclude-path '/api/v1/keys/{key_id}' --report ndjson --report-ndjson-path "$WORK/main.ndjson" || STATUS=$?
$ST run "http://127.0.0.1:$PORT/openapi.json" "${COMMON[@]}" -n 3 --include-path /api/v1/demo \
  --phases examples,fuzzing --report ndjson --report-ndjson-path "$WORK/demo.ndjson" || STATUS=$?
# Last, key revocation on its own (it may revoke the fuzzer's key: nothing runs after it).
$ST run "http://127.0.0.1:$PORT/openapi.json" "${COMMON[@]}" -n "$EXAMPLES" --include-path '/api/v1/keys/{key_id}' \
  --report ndjson --report-ndjson-path "$WORK/keys.ndjson" || STATUS=$?

MIN_REQUESTS=${MIN_REQUESTS:-1000}
$PY - "$MIN_REQUESTS" "$WORK"/*.ndjson <<'PYEOF' || STATUS=1
import json, sys
minimum, paths = int(sys.argv[1]), sys.argv[2:]
requests = server_errors = 0
for path in paths:
    for line in open(path):
        event = json.loads(line).get("ScenarioFinished")
        for interaction in ((event or {}).get("recorder") or {}).get("interactions", {}).values():
            requests += 1
            response = interaction.get("response") or {}
            server_errors += int(response.get("status_code", 0) >= 500)
print(f"schemathesis: {requests} requests sent, {server_errors} answered 5xx (minimum wanted: {minimum})")
sys.exit(0 if requests >= minimum and server_errors == 0 else 1)
PYEOF
if grep -q "Traceback\|Internal Server Error\|unhandled error" "$WORK/server.log"; then
  echo "server log shows errors:"; grep -n -A5 "Traceback\|unhandled error" "$WORK/server.log" | head -60
  STATUS=1
fi
exit $STATUS
