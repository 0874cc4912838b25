#!/bin/sh
# Prints its version once, then waits; exits 0 at once on SIGTERM.
trap 'exit 0' TERM INT
echo "bench app: version 1, pid $$"
while :; do
  sleep 1 &
  wait $!
done
