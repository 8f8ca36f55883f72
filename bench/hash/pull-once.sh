#!/bin/sh
# bench/hash/pull-once.sh BERTH: one `berth image pull` of the bench
# profile from an empty cache ($BERTH_HOME as run.sh set it up).
rm -rf "$BERTH_HOME/cache"
exec "$1" -p bench image pull >/dev/null
