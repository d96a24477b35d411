#!/bin/sh
# loftyscan revoke hook: append every live key found to an audit log (JSON lines).
#
#   loftyscan dir . --revoke-hook 'LOFTYSCAN_AUDIT_LOG=/var/log/loftyscan.jsonl sh /opt/loftyscan/examples/revoke-hooks/audit-log.sh'
#
# The hook runs in the scanned root, so name it (and the log) by absolute paths. The log
# defaults to $XDG_STATE_HOME/loftyscan/audit.jsonl (~/.local/state/...): outside the
# scanned work tree, where it would otherwise be picked up (and maybe committed).
#
# Each line records the time, the rule, the redacted key, its SHA-256 (to match against
# your key inventory) and every location; never the raw key. It revokes nothing itself:
# it exits 1 so loftyscan reports the key as not revoked ("failed") with the message
# below, and the finding stays a live one until someone revokes it. To log and revoke,
# hand the same input to both (printf is a shell builtin, so the key is on no command line):
#   --revoke-hook 'in=$(cat); printf %s "$in" | sh /opt/loftyscan/examples/revoke-hooks/audit-log.sh; printf %s "$in" | /opt/bin/your-revoke-command'
# Needs: sh, python3.
set -eu
log=${LOFTYSCAN_AUDIT_LOG:-${XDG_STATE_HOME:-$HOME/.local/state}/loftyscan/audit.jsonl}
mkdir -p "$(dirname "$log")"
python3 -c '
import datetime, json, sys
f = json.load(sys.stdin)
entry = {
    "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "rule_id": f["rule_id"],
    "redacted": f["redacted"],
    "secret_sha256": f["secret_sha256"],
    "locations": f["locations"],
}
with open(sys.argv[1], "a") as out:
    out.write(json.dumps(entry, sort_keys=True) + "\n")
' "$log"
echo "recorded in audit log $log; revoke the key by hand"
exit 1
