#!/bin/sh
# loftyscan push protection for GitHub Enterprise Server: a pre-receive hook script.
# 1. Build a pre-receive hook environment holding the static loftyscan binary at
#    /usr/local/bin/loftyscan (see README.md next to this file), upload it under
#    Site admin > Settings > Hooks > Manage environments.
# 2. Commit this script to an admin-only repository, then Site admin > Settings > Hooks >
#    Add pre-receive hook: choose the environment, this script, and enforcement.
# GitHub Enterprise Server passes GITHUB_USER_LOGIN (the pusher, recorded in the audit
# line) and kills a hook after 5 seconds; a typical push takes loftyscan milliseconds.
#
# Server-side settings: edit them here (the script lives in an admin-only repository).
LOFTYSCAN=/usr/local/bin/loftyscan
REMEDIATION='Questions? Ask the security team in #security.'
# yes: `git push -o loftyscan.skip` accepts a push with a key and logs it (GitHub
# Enterprise Server passes push options to pre-receive hooks).
ALLOW_BYPASS=no
# The hook environment is discarded after each run: leave empty to log bypasses on
# stderr only (shown to the pusher and kept in the hook's delivery log), or point it at a
# mounted, persistent path.
AUDIT_LOG=

set -- git --pre-receive --no-progress --remediation "$REMEDIATION"
if [ "$ALLOW_BYPASS" = yes ]; then set -- "$@" --allow-bypass; fi
if [ -n "$AUDIT_LOG" ]; then set -- "$@" --audit-log "$AUDIT_LOG"; fi
exec "$LOFTYSCAN" "$@"
