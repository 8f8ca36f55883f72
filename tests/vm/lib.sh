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
#   guest_inw_wait DOM PATTERN [TIMEOUT]  wait until the log matches
#   guest_shutdown DOM [TIMEOUT]  agent shutdown, wait until it is gone
#   guest_cleanup                 destroy every domain guest_start made
#
# Environment: GUEST_URI (qemu:///system), and for guest_domxml GUEST_MEM
# and GUEST_MAXMEM (MiB, 512/512), GUEST_VCPUS/GUEST_MAXVCPUS (1/2),
# GUEST_FWD (hostfwd rules such as "tcp:127.0.0.1:8080-:80", space
# separated), GUEST_CONSOLE (serial log file), GUEST_CMDLINE (extra kernel
# arguments, e.g. berth.mount=TAG:/path). guest_exec reads
# GUEST_EXEC_INPUT_FILE (sent as stdin) and GUEST_EXEC_TIMEOUT (30 s).

: "${BERTH_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${GUEST_URI:=qemu:///system}"
GUEST_STARTED=

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
    <cmdline>console=ttyS0 quiet $(guest_xml_esc "${GUEST_CMDLINE:-}")</cmdline>
  </os>
  <features><acpi/><tcg><tb-cache unit='MiB'>128</tb-cache></tcg></features>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <controller type='usb' model='none'/>
EOF
	for _s in "$@"; do
		cat <<EOF
    <filesystem type='mount' accessmode='passthrough'>
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
    <memballoon model='virtio'><stats period='2'/></memballoon>
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

# guest_inw_wait DOM PATTERN [TIMEOUT]: 0 once a log line matches the
# grep -E PATTERN.
guest_inw_wait() {
	_end=$(($(date +%s) + ${3:-20}))
	while [ "$(date +%s)" -lt "$_end" ]; do
		guest_inw_log "$1" 2>/dev/null | grep -Eq -- "$2" && return 0
		sleep 0.2
	done
	return 1
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
