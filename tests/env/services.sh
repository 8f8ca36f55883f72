#!/bin/sh
# Start (or stop) the services berth's tests talk to, when they are not
# already running: dockerd, and the others as their issues add them.
# Records what it started in $BERTH_SERVICES_STATE so `stop` ends only that.
# usage: services.sh start|stop
set -u
state=${BERTH_SERVICES_STATE:-/tmp/berth-services}
mkdir -p "$state"

log() { echo "services: $*"; }

wait_for() { # wait_for SECONDS CMD...
	_t=$1
	shift
	_i=0
	while [ "$_i" -lt "$((_t * 10))" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

docker_up() {
	curl -sf --unix-socket /var/run/docker.sock http://d/_ping
}

start_docker() {
	if docker_up; then
		log "dockerd already running"
		return 0
	fi
	command -v dockerd >/dev/null || { log "dockerd missing"; return 1; }
	log "starting dockerd"
	dockerd >"$state/dockerd.log" 2>&1 &
	echo $! >"$state/dockerd.pid"
	wait_for 60 docker_up || {
		log "dockerd did not come up; see $state/dockerd.log"
		tail -5 "$state/dockerd.log"
		return 1
	}
}

stop_pidfile() {
	[ -f "$state/$1.pid" ] || return 0
	kill "$(cat "$state/$1.pid")" 2>/dev/null
	rm -f "$state/$1.pid"
	log "stopped $1"
}

case "${1:-start}" in
start)
	rc=0
	start_docker || rc=1
	exit $rc
	;;
stop)
	stop_pidfile dockerd
	;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac
