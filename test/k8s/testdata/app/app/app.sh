#!/bin/sh
# Says which version runs, as whom and with which arguments, then waits to be
# stopped. A live update changes /app/version; /app/crash makes it exit by
# itself with 7. On SIGTERM it exits with $APP_STOP_CODE.
v=$(cat /app/version)
echo "app $v started: pid $$ uid $(id -u) args $*"
if [ -e /app/crash ]; then
  echo "app $v pid $$: crashing"
  exit 7
fi
trap 'echo "app $v pid $$: stopping"; exit ${APP_STOP_CODE:-0}' TERM
while :; do
  sleep 1 &
  wait $!
done
