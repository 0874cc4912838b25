#!/bin/sh
# Prints the messages in /app/messages, then a tick every second, until it is
# asked to stop. Edit a message, add or delete one: a live update syncs the
# folder and restarts the script, which reads the messages afresh.
set -eu
version=1
echo "ticker version $version, pid $$, greeting: ${GREETING:-none}"
count=0
for f in /app/messages/*.txt; do
  [ -e "$f" ] || continue
  echo "message $(basename "$f" .txt): $(cat "$f")"
  count=$((count + 1))
done
echo "ticker pid $$: $count messages"
trap 'echo "ticker pid $$: stopping"; exit 0' TERM INT
n=0
while :; do
  n=$((n + 1))
  sleep 1 &
  wait $! || true
  echo "tick $n"
done
