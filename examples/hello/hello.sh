#!/bin/sh
# Greets every second until it is asked to stop.
trap 'echo "hello: pid $$ stopping"; exit 0' TERM INT
echo "hello, $1: version 1, pid $$"
while :; do
  sleep 1 &
  wait $!
done
