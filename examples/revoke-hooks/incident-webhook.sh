#!/bin/sh
# loftyscan revoke hook: file a revocation request with your incident webhook.
#
#   loftyscan git . --revoke-hook 'LOFTYSCAN_WEBHOOK_URL=https://hooks.example.org/secrets sh examples/revoke-hooks/incident-webhook.sh'
#
# Reads loftyscan's JSON object on standard input, and POSTs the *redacted* finding (rule,
# redacted key, SHA-256, every location) with a revocation request to
# $LOFTYSCAN_WEBHOOK_URL. The raw key never leaves this script: it is not sent, not put on
# a command line, not logged. Exit 0 tells loftyscan the request was filed ("revoked");
# anything else is reported as failed. The first line printed is kept as the message.
# Needs: sh, python3, curl.
set -eu
: "${LOFTYSCAN_WEBHOOK_URL:?set LOFTYSCAN_WEBHOOK_URL to your incident webhook}"

body=$(python3 -c '
import json, sys
f = json.load(sys.stdin)
where = ", ".join(
    l["path"] + ":" + str(l["line"]) + ((" @ " + l["commit"][:12]) if l.get("commit") else "")
    for l in f["locations"])
print(json.dumps({
    "text": "Leaked " + f["rule_id"] + " " + f["redacted"] + " at " + where + ": please revoke it now.",
    "action": "revoke",
    "rule_id": f["rule_id"],
    "redacted": f["redacted"],
    "secret_sha256": f["secret_sha256"],
    "locations": f["locations"],
}))')

# The body goes through standard input (--data-binary @-), never the argument list.
printf '%s' "$body" | curl --fail --silent --show-error --max-time 20 \
    -H 'Content-Type: application/json' --data-binary @- "$LOFTYSCAN_WEBHOOK_URL" >/dev/null
echo "revocation requested via incident webhook"
