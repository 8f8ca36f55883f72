# tests/vm/lib.sh: helpers for tests that boot berth's real test guest
# (tests/vm/build-guest.sh) under QEMU/TCG through libvirt. Source it after
# tests/lib.sh. See tests/vm/README.md for the guest's conventions.
#
#   tcg_or_skip                   skip_all unless QEMU and libvirtd can run
#   guest_paths                   build/find the guest; export GUEST_DIR,
#                                 GUEST_KERNEL, GUEST_INITRD
#   guest_free_port               a free TCP port on 127.0.0.1
#   guest_domxml NAME [DIR=TAG]…  print a transient domain XML (env below)
#   guest_start NAME XMLFILE      virsh create; remembered for guest_cleanup
#   guest_wait_agent DOM [URI [TIMEOUT]]  wait for guest-ping
#   guest_exec DOM CMD [ARG]…     run in the guest: stdout/stderr relayed,
#                                 returns the exit status
#   guest_inw_log DOM             the watcher's log (/run/inw.log)
#   guest_log_wait DOM LOG PATTERN [TIMEOUT]  wait until a guest file
#                                 has a line matching PATTERN (20 s)
#   guest_inw_wait DOM PATTERN [TIMEOUT]  the same for /run/inw.log
#   guest_shutdown DOM [TIMEOUT]  agent shutdown, wait until it is gone
#   guest_cleanup                 destroy every domain guest_start made,
#                                 end the ssh forwards docker_guest_* made
#
# The Docker guest (issue 8; minutes to build cold, about a minute to boot):
#   docker_guest_paths            build/find it; export DOCKER_GUEST_DIR,
#                                 _KERNEL, _INITRD, _DISK (base), _KEY, _KARGS
#   docker_guest_domxml NAME OVERLAY SSHPORT [DIR=TAG]…  domain XML (2 of
#                                 max 3 vCPUs, 1 of max 2 GiB unless set)
#   docker_guest_ssh PORT CMD…    run CMD as root in the guest over ssh
#   docker_guest_wait_ssh PORT [TIMEOUT]
#   docker_guest_forward PORT SOCKET  forward the guest's docker.sock to the
#                                 host path SOCKET (background ssh -L)
#
# Environment: GUEST_URI (qemu:///system), and for guest_domxml GUEST_MEM
# and GUEST_MAXMEM (MiB, 512/512), GUEST_VCPUS/GUEST_MAXVCPUS (1/2),
# GUEST_FWD (hostfwd rules such as "tcp:127.0.0.1:8080-:80", space
# separated), GUEST_CONSOLE (serial log file), GUEST_CMDLINE (extra kernel
# arguments, e.g. berth.mount=TAG:/path), GUEST_KARGS (base kernel
# arguments), GUEST_DISK (a qcow2 as vda). guest_exec reads
# GUEST_EXEC_INPUT_FILE (sent as stdin) and GUEST_EXEC_TIMEOUT (30 s).

: "${BERTH_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${GUEST_URI:=qemu:///system}"
GUEST_STARTED=
GUEST_BG_PIDS=

guest_virsh() {
	virsh -q -c "$GUEST_URI" "$@"
}

# tcg_or_skip: the file is skipped (with the reason) only when QEMU or
# libvirtd truly cannot run here.
tcg_or_skip() {
	[ "$(uname -s)" = Linux ] || skip_all "the test guest needs a Linux host"
	command -v qemu-system-x86_64 >/dev/null ||
		skip_all "qemu-system-x86_64 missing (apt-get install qemu-system-x86)"
	command -v virsh >/dev/null ||
		skip_all "virsh missing (apt-get install libvirt-clients)"
	qemu-system-x86_64 -accel help 2>/dev/null | grep -qx tcg ||
		skip_all "this qemu-system-x86_64 has no TCG accelerator"
	if ! guest_virsh version >/dev/null 2>&1; then
		"$BERTH_SRCDIR/tests/env/services.sh" start >/dev/null 2>&1
		guest_virsh version >/dev/null 2>&1 ||
			skip_all "libvirtd does not answer at $GUEST_URI" \
				"(tests/env/services.sh start did not start it)"
	fi
	guest_virsh domcapabilities --virttype qemu --arch x86_64 \
		>/dev/null 2>&1 ||
		skip_all "libvirt at $GUEST_URI cannot run x86_64 TCG guests"
	# One guest-booting test at a time: make check runs tests in
	# parallel, and two TCG guests on a 2-core host starve each other
	# (seen: RCU stalls that hang the Docker guest's boot). The lock is
	# held until the test's shell exits (a holder that is gone is
	# noticed by its pid; no file descriptor leaks into berth's children).
	_lk=${TMPDIR:-/tmp}/berth-vm-tests.lock
	[ "$(cat "$_lk/pid" 2>/dev/null)" = "$$" ] && return 0
	while ! mkdir "$_lk" 2>/dev/null; do
		_lp=$(cat "$_lk/pid" 2>/dev/null)
		if [ -n "$_lp" ] && ! kill -0 "$_lp" 2>/dev/null; then
			rm -rf "$_lk"
			continue
		fi
		sleep 0.5
	done
	echo $$ >"$_lk/pid"
}

# guest_paths: build the guest if needed (about 10 s cold, instant warm).
guest_paths() {
	GUEST_DIR=$("$BERTH_SRCDIR/tests/vm/build-guest.sh") || return 1
	GUEST_KERNEL=$GUEST_DIR/vmlinux
	GUEST_INITRD=$GUEST_DIR/initrd.cpio
	export GUEST_DIR GUEST_KERNEL GUEST_INITRD
}

guest_free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Escape for XML attribute/text.
guest_xml_esc() {
	printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' \
		-e 's/>/\&gt;/g' -e "s/'/\&apos;/g" -e 's/"/\&quot;/g'
}

# Escape one string for JSON (control characters other than tab, CR and
# newline are not expected in test commands).
guest_json_esc() {
	printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' \
		-e 's/\t/\\t/g' -e 's/\r/\\r/g' |
		awk 'NR > 1 { printf "%s", "\\n" } { printf "%s", $0 }'
}

# guest_domxml NAME [HOSTDIR=TAG]...: the test-vm.md recipe as one
# transient domain: PVH kernel + initrd, one 9p share per argument, the
# agent channel, a balloon, slirp with GUEST_FWD port forwards.
# GUEST_DISCARD (default unmap; "none" leaves the attribute out, QEMU's
# ignore) and GUEST_BALLOON (attributes of <memballoon>, e.g.
# "freePageReporting='on'") let bench/reclaim compare both ways.
# GUEST_VIRTIOFS ("HOSTDIR=TAG ...") adds virtiofs shares (and the shared
# memory they need) for bench/mounts; the guest mounts them itself.
guest_domxml() {
	_n=$1
	shift
	_mem=${GUEST_MEM:-512}
	_max=${GUEST_MAXMEM:-$_mem}
	cat <<EOF
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$(guest_xml_esc "$_n")</name>
  <memory unit='MiB'>$_max</memory>
  <currentMemory unit='MiB'>$_mem</currentMemory>
  <vcpu placement='static' current='${GUEST_VCPUS:-1}'>${GUEST_MAXVCPUS:-2}</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$(guest_xml_esc "$GUEST_KERNEL")</kernel>
    <initrd>$(guest_xml_esc "$GUEST_INITRD")</initrd>
    <cmdline>$(guest_xml_esc "${GUEST_KARGS:-console=ttyS0 quiet} ${GUEST_CMDLINE:-}")</cmdline>
  </os>
  <features><acpi/><tcg><tb-cache unit='MiB'>128</tb-cache></tcg></features>
EOF
	[ -n "${GUEST_VIRTIOFS:-}" ] &&
		echo "  <memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>"
	cat <<EOF
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <controller type='usb' model='none'/>
EOF
	_disc=" discard='${GUEST_DISCARD:-unmap}'"
	[ "${GUEST_DISCARD:-}" = none ] && _disc=
	if [ -n "${GUEST_DISK:-}" ]; then
		cat <<EOF
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'$_disc/>
      <source file='$(guest_xml_esc "$GUEST_DISK")'/>
      <target dev='vda' bus='virtio'/>
    </disk>
EOF
	fi
	for _s in "$@"; do
		cat <<EOF
    <filesystem type='mount' accessmode='passthrough'>
      <source dir='$(guest_xml_esc "${_s%=*}")'/>
      <target dir='$(guest_xml_esc "${_s##*=}")'/>
    </filesystem>
EOF
	done
	for _s in ${GUEST_VIRTIOFS:-}; do
		cat <<EOF
    <filesystem type='mount' accessmode='passthrough'>
      <driver type='virtiofs'/>
      <source dir='$(guest_xml_esc "${_s%=*}")'/>
      <target dir='$(guest_xml_esc "${_s##*=}")'/>
    </filesystem>
EOF
	done
	if [ -n "${GUEST_CONSOLE:-}" ]; then
		echo "    <serial type='file'><source path='$(guest_xml_esc "$GUEST_CONSOLE")' append='off'/><target port='0'/></serial>"
	fi
	cat <<EOF
    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
    <memballoon model='virtio'${GUEST_BALLOON:+ $GUEST_BALLOON}><stats period='2'/></memballoon>
    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-netdev'/>
EOF
	_net=user,id=gnet0
	for _f in ${GUEST_FWD:-}; do
		_net="$_net,hostfwd=$_f"
	done
	cat <<EOF
    <qemu:arg value='$_net'/>
    <qemu:arg value='-device'/>
    <qemu:arg value='virtio-net-pci,netdev=gnet0,id=gnet0dev,bus=pci.0,addr=0x1e'/>
  </qemu:commandline>
</domain>
EOF
}

# guest_start NAME XMLFILE: create the transient domain.
guest_start() {
	guest_virsh create "$2" >/dev/null || return 1
	GUEST_STARTED="$GUEST_STARTED $1"
}

# guest_cleanup: destroy what guest_start made (for traps; never fails).
guest_cleanup() {
	for _d in $GUEST_STARTED; do
		guest_virsh destroy "$_d" >/dev/null 2>&1
	done
	GUEST_STARTED=
	for _p in $GUEST_BG_PIDS; do
		kill "$_p" 2>/dev/null
	done
	GUEST_BG_PIDS=
	return 0
}

# guest_wait_agent DOM [URI [TIMEOUT]]: 0 once guest-ping answers.
guest_wait_agent() {
	_u=${2:-$GUEST_URI}
	_end=$(($(date +%s) + ${3:-60}))
	while [ "$(date +%s)" -lt "$_end" ]; do
		virsh -q -c "$_u" qemu-agent-command "$1" '{"execute":"guest-ping"}' \
			>/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# guest_exec DOM CMD [ARG]...: run CMD in the guest through the agent
# (guest-exec + guest-exec-status with captured output). Prints its stdout
# and stderr, returns its exit status (128+N for signal N, 124 on timeout,
# 125 when the agent refused).
guest_exec() {
	_dom=$1
	shift
	_j="{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"$(guest_json_esc "$1")\",\"capture-output\":true"
	shift
	_a=
	for _x in "$@"; do
		_a="$_a${_a:+,}\"$(guest_json_esc "$_x")\""
	done
	_j="$_j,\"arg\":[$_a]"
	if [ -n "${GUEST_EXEC_INPUT_FILE:-}" ]; then
		_j="$_j,\"input-data\":\"$(base64 -w0 <"$GUEST_EXEC_INPUT_FILE")\""
	fi
	_j="$_j}}"
	_r=$(guest_virsh qemu-agent-command "$_dom" "$_j") || return 125
	_pid=$(printf '%s' "$_r" | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
	[ -n "$_pid" ] || return 125
	_end=$(($(date +%s) + ${GUEST_EXEC_TIMEOUT:-30}))
	_s=0.01
	while :; do
		_r=$(guest_virsh qemu-agent-command "$_dom" \
			"{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$_pid}}") ||
			return 125
		case $_r in *'"exited":true'*) break ;; esac
		[ "$(date +%s)" -lt "$_end" ] || return 124
		sleep $_s
		_s=0.05
	done
	printf '%s' "$_r" | sed -n 's/.*"out-data":"\([^"]*\)".*/\1/p' | base64 -d
	printf '%s' "$_r" | sed -n 's/.*"err-data":"\([^"]*\)".*/\1/p' |
		base64 -d >&2
	_rc=$(printf '%s' "$_r" | sed -n 's/.*"exitcode":\([0-9]*\).*/\1/p')
	[ -n "$_rc" ] && return "$_rc"
	_rc=$(printf '%s' "$_r" | sed -n 's/.*"signal":\([0-9]*\).*/\1/p')
	return $((128 + ${_rc:-0}))
}

guest_inw_log() {
	guest_exec "$1" cat /run/inw.log
}

# guest_log_has DOM LOG PATTERN: the guest file LOG has a line matching
# the grep -E PATTERN.
guest_log_has() {
	guest_exec "$1" cat "$2" 2>/dev/null | grep -Eq -- "$3"
}

# guest_log_wait DOM LOG PATTERN [TIMEOUT]: 0 once it has (default 20 s).
guest_log_wait() {
	wait_until "${4:-20}" guest_log_has "$1" "$2" "$3"
}

# guest_inw_wait DOM PATTERN [TIMEOUT]: the same for /run/inw.log.
guest_inw_wait() {
	guest_log_wait "$1" /run/inw.log "$2" "${3:-20}"
}

# guest_shutdown DOM [TIMEOUT]: shut down through the agent (ACPI does
# nothing in this guest) and wait until the transient domain is gone.
guest_shutdown() {
	guest_virsh shutdown "$1" --mode agent >/dev/null || return 1
	_end=$(($(date +%s) + ${2:-30}))
	while [ "$(date +%s)" -lt "$_end" ]; do
		case $(guest_virsh domstate "$1" 2>/dev/null) in
		"" | "shut off") return 0 ;;
		esac
		sleep 0.1
	done
	return 1
}

# docker_guest_paths: build the Docker guest if needed (about 1-3 min cold
# with network access to the Debian mirror, instant warm).
docker_guest_paths() {
	DOCKER_GUEST_DIR=$("$BERTH_SRCDIR/tests/vm/build-docker-guest.sh") ||
		return 1
	DOCKER_GUEST_KERNEL=$DOCKER_GUEST_DIR/vmlinux
	[ -s "$DOCKER_GUEST_KERNEL" ] || DOCKER_GUEST_KERNEL=$DOCKER_GUEST_DIR/vmlinuz
	DOCKER_GUEST_INITRD=$DOCKER_GUEST_DIR/initrd.img
	DOCKER_GUEST_DISK=$DOCKER_GUEST_DIR/disk.qcow2
	DOCKER_GUEST_KEY=$DOCKER_GUEST_DIR/id_ed25519
	DOCKER_GUEST_KARGS=$(cat "$DOCKER_GUEST_DIR/cmdline")
	export DOCKER_GUEST_DIR DOCKER_GUEST_KERNEL DOCKER_GUEST_INITRD \
		DOCKER_GUEST_DISK DOCKER_GUEST_KEY DOCKER_GUEST_KARGS
}

# docker_guest_domxml NAME OVERLAY SSHPORT [DIR=TAG]...: make OVERLAY (a
# qcow2 over the cached base) and print the domain XML; GUEST_FWD adds
# port forwards beside ssh.
docker_guest_domxml() {
	_n=$1
	_ov=$2
	_sp=$3
	shift 3
	qemu-img create -q -f qcow2 -F qcow2 -b "$DOCKER_GUEST_DISK" "$_ov" ||
		return 1
	GUEST_KERNEL=$DOCKER_GUEST_KERNEL GUEST_INITRD=$DOCKER_GUEST_INITRD \
		GUEST_KARGS=$DOCKER_GUEST_KARGS GUEST_DISK=$_ov \
		GUEST_MEM=${GUEST_MEM:-1024} GUEST_MAXMEM=${GUEST_MAXMEM:-2048} \
		GUEST_VCPUS=${GUEST_VCPUS:-2} GUEST_MAXVCPUS=${GUEST_MAXVCPUS:-3} \
		GUEST_FWD="tcp:127.0.0.1:$_sp-:22 ${GUEST_FWD:-}" \
		guest_domxml "$_n" "$@"
}

docker_guest_ssh() {
	_p=$1
	shift
	ssh -q -i "$DOCKER_GUEST_KEY" -p "$_p" -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o ConnectTimeout=5 -o LogLevel=ERROR root@127.0.0.1 "$@"
}

# docker_guest_wait_ssh PORT [TIMEOUT]: 0 once root can log in.
docker_guest_wait_ssh() {
	_end=$(($(date +%s) + ${2:-300}))
	while [ "$(date +%s)" -lt "$_end" ]; do
		docker_guest_ssh "$1" true </dev/null 2>/dev/null && return 0
		sleep 1
	done
	return 1
}

# docker_guest_forward PORT SOCKET: ssh -L SOCKET:/var/run/docker.sock in
# the background (ended by guest_cleanup); 0 once SOCKET exists.
docker_guest_forward() {
	rm -f "$2"
	ssh -q -N -i "$DOCKER_GUEST_KEY" -p "$1" -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o ExitOnForwardFailure=yes -o LogLevel=ERROR \
		-L "$2:/var/run/docker.sock" root@127.0.0.1 </dev/null 2>/dev/null &
	_fp=$!
	GUEST_BG_PIDS="$GUEST_BG_PIDS $_fp"
	_i=0
	while [ $_i -lt 100 ]; do
		[ -S "$2" ] && return 0
		kill -0 "$_fp" 2>/dev/null || return 1
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# poll_guest_init TAG: what the polling tests (poll-*.sh) share before
# they fill their share: the test guest (or a failed test), a private
# BERTH_HOME, W (a work folder), DOM (berth-TAG-PID), S (the host folder
# shared as share0), BG (a background berth to kill) and the cleanup of
# all of them.
poll_guest_init() {
	tcg_or_skip
	guest_paths 2>/dev/null || {
		not_ok "build the guest (tests/vm/build-guest.sh)"
		done_testing
		exit 1
	}
	t_home
	W=$(mktemp -d "${TMPDIR:-/tmp}/berth-$1.XXXXXX")
	DOM=berth-$1-$$
	BG=
	T_CLEANUP='[ -n "$BG" ] && kill $BG 2>/dev/null; guest_cleanup; rm -rf "$W"'
	trap 'exit 1' INT TERM HUP
	S=$W/share
	mkdir -p "$S"
}

# poll_guest_boot: start the guest with S as share0 and wait for its
# agent (else the test ends, with the console's last lines).
poll_guest_boot() {
	GUEST_CONSOLE=$W/console.log guest_domxml "$DOM" "$S=share0" >"$W/dom.xml"
	check "guest starts" guest_start "$DOM" "$W/dom.xml"
	if ! guest_wait_agent "$DOM" "$GUEST_URI" 120; then
		not_ok "agent answers within 120 s"
		sed 's/^/# console: /' "$W/console.log" | tail -20
		done_testing
		exit 1
	fi
}
