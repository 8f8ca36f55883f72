#!/bin/sh
# tests/env/sshd.sh: a PRIVATE sshd on a loopback port for berth's socket
# tests: its own host key, config, authorized_keys and pid file, all in DIR.
# It plays the guest's sshd; the system sshd is neither used nor changed.
#
# usage: sshd.sh start DIR PUBKEY-FILE  prints the port (kept in DIR/port)
#        sshd.sh stop DIR               ends the daemon and its sessions
#        sshd.sh restart DIR            starts it again on the same port
# SSHD_FORCE_COMMAND=CMD makes every session run CMD (a hostile guest).
set -u
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || {
	echo "usage: $0 start|stop|restart DIR [PUBKEY-FILE]" >&2
	exit 2
}
sshd=$(command -v sshd || echo /usr/sbin/sshd)

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

write_config() { # write_config PORT
	cat >"$dir/sshd_config" <<EOF
Port $1
ListenAddress 127.0.0.1
HostKey $dir/host_ed25519
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowStreamLocalForwarding yes
AllowTcpForwarding local
X11Forwarding no
PrintMotd no
MaxStartups 100:30:200
LogLevel INFO
EOF
	# a hostile guest for the tests: every session runs this instead
	[ -n "${SSHD_FORCE_COMMAND:-}" ] &&
		echo "ForceCommand $SSHD_FORCE_COMMAND" >>"$dir/sshd_config"
	return 0
}

# run: start the daemon on DIR/port and wait until it listens.
run() {
	port=$(cat "$dir/port")
	write_config "$port"
	: >"$dir/sshd.log"
	"$sshd" -f "$dir/sshd_config" -E "$dir/sshd.log" || return 1
	i=0
	while [ $i -lt 50 ]; do
		grep -q "Server listening" "$dir/sshd.log" 2>/dev/null && return 0
		grep -q "fatal\|Bind to port" "$dir/sshd.log" 2>/dev/null && break
		sleep 0.1
		i=$((i + 1))
	done
	cat "$dir/sshd.log" >&2
	stop
	return 1
}

# stop: the listener and every session it forked (by pid, nothing broad).
# The listener is frozen first so a client that reconnects at once (berth
# does) cannot get a new session while the old ones are being ended.
stop() {
	[ -f "$dir/sshd.pid" ] || return 0
	pid=$(cat "$dir/sshd.pid")
	# kill 0 or -1 would reach the whole process group or every process
	case $pid in '' | *[!0-9]* | 0 | 1)
		rm -f "$dir/sshd.pid"
		return 0
		;;
	esac
	kill -STOP "$pid" 2>/dev/null
	rounds=0
	while [ $rounds -lt 5 ]; do
		kids=$(ps -o pid= --ppid "$pid" 2>/dev/null)
		all=$kids
		for k in $kids; do
			all="$all $(ps -o pid= --ppid "$k" 2>/dev/null)"
		done
		[ -n "$(echo $all)" ] || break
		kill $all 2>/dev/null
		sleep 0.1
		rounds=$((rounds + 1))
	done
	kill -KILL "$pid" 2>/dev/null
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	rm -f "$dir/sshd.pid"
}

case $cmd in
start)
	pub=${3:?need the public key file to authorize}
	mkdir -p "$dir/privsep"
	chmod 700 "$dir"
	[ -d /run/sshd ] || mkdir -p /run/sshd 2>/dev/null
	[ -f "$dir/host_ed25519" ] ||
		ssh-keygen -q -t ed25519 -N '' -C berth-test-sshd \
			-f "$dir/host_ed25519" || exit 1
	cp "$pub" "$dir/authorized_keys"
	chmod 600 "$dir/authorized_keys"
	tries=0
	while :; do
		free_port >"$dir/port"
		run && break
		tries=$((tries + 1))
		[ $tries -lt 3 ] || exit 1
	done
	cat "$dir/port"
	;;
stop)
	stop
	;;
restart)
	stop
	run || exit 1
	;;
*)
	echo "usage: $0 start|stop|restart DIR [PUBKEY-FILE]" >&2
	exit 2
	;;
esac
