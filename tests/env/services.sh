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

# libvirtd (issue 3): qemu:///system with virtlogd, QEMU running as root
# without relabelling (test settings). The test qemu.conf lives in the
# state dir and is bind-mounted over /etc/libvirt/qemu.conf inside a
# private mount namespace that only this libvirtd sees; /etc is not
# edited. Without unshare/mount rights it falls back to appending a
# marked block to /etc/libvirt/qemu.conf once (and says so).
libvirt_up() {
	virsh -q -c qemu:///system version
}

libvirt_conf() {
	cat <<'EOF2'
# berth test settings (tests/env/services.sh)
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
EOF2
}

start_libvirt() {
	if libvirt_up >/dev/null 2>&1; then
		log "libvirtd already running"
		return 0
	fi
	command -v libvirtd >/dev/null || { log "libvirtd missing"; return 1; }
	mkdir -p /var/log/libvirt /var/run/libvirt /var/lib/libvirt/qemu \
		/var/cache/libvirt/qemu "$state/libvirt"
	id libvirt-qemu >/dev/null 2>&1 ||
		useradd -r -M -s /usr/sbin/nologin libvirt-qemu 2>/dev/null
	if ! pgrep -x virtlogd >/dev/null 2>&1; then
		virtlogd >"$state/virtlogd.log" 2>&1 &
		echo $! >"$state/virtlogd.pid"
	fi
	libvirt_conf >"$state/libvirt/qemu.conf"
	if unshare -m --propagation private true 2>/dev/null; then
		log "starting libvirtd (test qemu.conf from $state/libvirt)"
		unshare -m --propagation private -- sh -c '
			mount --bind "$1" /etc/libvirt/qemu.conf || exit 1
			exec libvirtd' sh "$state/libvirt/qemu.conf" \
			>"$state/libvirtd.log" 2>&1 &
	else
		if ! grep -q 'berth test settings' /etc/libvirt/qemu.conf; then
			log "no mount namespace here: appending the test" \
				"settings to /etc/libvirt/qemu.conf"
			libvirt_conf >>/etc/libvirt/qemu.conf
		fi
		log "starting libvirtd"
		libvirtd >"$state/libvirtd.log" 2>&1 &
	fi
	echo $! >"$state/libvirtd.pid"
	wait_for 30 libvirt_up || {
		log "libvirtd did not come up; see $state/libvirtd.log"
		tail -5 "$state/libvirtd.log"
		return 1
	}
}

# Restart the libvirtd this script started (tests of reconnects).
restart_libvirt() {
	[ -f "$state/libvirtd.pid" ] || { log "libvirtd not started here"; return 1; }
	_p=$(cat "$state/libvirtd.pid")
	pid_ok "$_p" && kill "$_p" 2>/dev/null
	wait_for 20 sh -c "! kill -0 $_p 2>/dev/null"
	rm -f "$state/libvirtd.pid"
	start_libvirt
}

# pid_ok PID: a number above 1 (kill 0 or -1 would reach far more).
pid_ok() {
	case $1 in '' | *[!0-9]* | 0 | 1) return 1 ;; esac
}

stop_pidfile() {
	[ -f "$state/$1.pid" ] || return 0
	_p=$(cat "$state/$1.pid")
	pid_ok "$_p" && kill "$_p" 2>/dev/null
	rm -f "$state/$1.pid"
	log "stopped $1"
}

case "${1:-start}" in
start)
	rc=0
	start_docker || rc=1
	start_libvirt || rc=1
	exit $rc
	;;
stop)
	stop_pidfile dockerd
	stop_pidfile libvirtd
	stop_pidfile virtlogd
	;;
restart-libvirtd)
	restart_libvirt
	;;
*)
	echo "usage: $0 start|stop|restart-libvirtd" >&2
	exit 2
	;;
esac
