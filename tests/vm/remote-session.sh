#!/bin/sh
# remote-session: the remote-Mac arrangement (issue 15, item 7) rehearsed
# on this machine. A Mac runs libvirt as its user's session daemon
# (Homebrew's libvirt: qemu:///session, socket ~/.cache/libvirt/libvirt-sock,
# no XDG_RUNTIME_DIR) and is reached over SSH. Here the "Mac" is an
# unprivileged user (berthmac, made if missing) running `libvirtd` in
# session mode with a Mac-like environment, behind the tests' private sshd.
#
# From the client (this test's root shell, a private BERTH_HOME):
#   qemu+ssh://berthmac@127.0.0.1:PORT/session?socket=...&keyfile=...
#   lists, says how to make the missing storage pool, starts the small TCG
#   guest (its disk a volume in the Mac's pool, its console log beside
#   it), changes memory live, shows the dashboard at 80x24, stops it, grows
#   the disk through the pool, deletes it (the volume too).
# The other way round: berth run as berthmac inside `ssh -t` (the way one
# works on a Mac mini in a rack) manages the same session daemon locally
# with qemu:///session: the dashboard at 80x24, stop and start.
# Everything the test starts (daemons, guest, sshd, tmux) ends at exit.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root to create the test user berthmac"
tcg_or_skip
for c in setpriv sshd ssh ssh-keygen tmux nc python3; do
	command -v "$c" >/dev/null || [ -x "/usr/sbin/$c" ] ||
		skip_all "$c missing (tests/env/packages.debian)"
done
guest_paths 2>/dev/null || {
	not_ok "build the guest (tests/vm/build-guest.sh)"
	done_testing
	exit 1
}

# The "Mac": a user with a home, a shell and an unlocked account (sshd
# refuses a locked one); made once, kept (idempotent).
U=berthmac
if ! id "$U" >/dev/null 2>&1; then
	useradd -m -d /var/lib/berth-mac -s /bin/sh "$U" 2>/dev/null ||
		skip_all "cannot create the test user $U"
fi
usermod -p '*' "$U" 2>/dev/null
UH=$(getent passwd "$U" | cut -d: -f6)
[ -d "$UH" ] || { mkdir -p "$UH" && chown "$U:" "$UH"; }
G=$(id -g "$U")
SOCK=$UH/.cache/libvirt/libvirt-sock # Homebrew libvirt's on a Mac
BIN=$(cd "$(dirname "$BERTH")" && pwd)/$(basename "$BERTH")
DOM=berth-mac$$
POOLDIR=$UH/.local/share/libvirt/images

t_home
W=$T_HOME
chmod 755 "$W"
export HOME="$W/home" # the client's ssh known_hosts
mkdir -p "$HOME"

# as_user CMD...: CMD as the Mac's user in a Mac-like environment (a
# login's HOME and no XDG_RUNTIME_DIR: the session socket is then
# ~/.cache/libvirt/libvirt-sock, as on macOS).
as_user() {
	setpriv --reuid="$U" --regid="$G" --clear-groups \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$UH" USER="$U" \
		LOGNAME="$U" LANG=C "$@"
}
# An explicit socket: a plain qemu:///session would autospawn a daemon.
uvirsh() { as_user virsh -q -c "qemu:///session?socket=$SOCK" "$@"; }

# Leftovers of a run that was killed: its daemons (by their pid files in
# the user's home, still the user's libvirtd/virtlogd) and their state.
stale() {
	for f in "$UH/.cache/libvirt/libvirtd.pid" \
		"$UH/.cache/libvirt/virtlogd.pid"; do
		p=$(cat "$f" 2>/dev/null)
		case $(ps -o user=,comm= -p "${p:-0}" 2>/dev/null) in
		"$U libvirtd" | "$U virtlogd") t_kill "$p" && dead "$p" 50 ;;
		esac
	done
	for f in "$UH"/.cache/libvirt/qemu/run/berth-mac*.pid; do
		[ -f "$f" ] && t_kill "$(cat "$f")"
	done
	rm -rf "$UH/.cache/libvirt" "$UH/.config/libvirt" \
		"$UH/.local/share/libvirt" "$UH/bh" "$UH/.docker"
}

DPID=
T_CLEANUP='cleanup'
cleanup() {
	for s in "$W"/tmux-*.sock; do
		[ -S "$s" ] && tmux -S "$s" kill-server 2>/dev/null
	done
	if [ -S "$SOCK" ]; then
		uvirsh destroy "$DOM" >/dev/null 2>&1
		uvirsh undefine "$DOM" >/dev/null 2>&1
	fi
	"$BERTH_SRCDIR/tests/env/sshd.sh" stop "$W/sshd" 2>/dev/null
	# the socket supervisor a local start on the Mac side leaves
	[ -d "$UH/bh/state" ] &&
		as_user env BERTH_HOME="$UH/bh" "$BIN" socket stop -p local >/dev/null 2>&1
	[ -n "$DPID" ] && t_kill "$DPID" && dead "$DPID" 50
	stale
}
trap 'exit 1' INT TERM HUP

stale
mkdir -p "$UH/bh/config/profiles"
chown -R "$U:" "$UH/bh"

# the session daemon, started the way `brew services start libvirt` does
as_user sh -c 'echo $$ >"$HOME/.berth-test-libvirtd.pid"; exec libvirtd' \
	>"$W/libvirtd.log" 2>&1 &
wait_until 20 uvirsh version ||
	skip_all "a session libvirtd does not start as $U here ($(tail -1 "$W/libvirtd.log"))"
DPID=$(cat "$UH/.berth-test-libvirtd.pid")
rm -f "$UH/.berth-test-libvirtd.pid"
ok "session libvirtd as $U (pid $DPID), socket $SOCK"

# the private sshd, letting the client's key in as the Mac's user (it
# reads authorized_keys as that user, so the folder is theirs)
ssh-keygen -q -t ed25519 -N '' -C berth-remote-test -f "$W/id"
mkdir -p "$W/sshd"
chown "$U" "$W/sshd"
PORT=$("$BERTH_SRCDIR/tests/env/sshd.sh" start "$W/sshd" "$W/id.pub") || {
	not_ok "the private sshd starts"
	done_testing
	exit 1
}
chown "$U" "$W/sshd/authorized_keys"
SSH="ssh -q -p $PORT -i $W/id -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null $U@127.0.0.1"

URI="qemu+ssh://$U@127.0.0.1:$PORT/session?socket=$SOCK&keyfile=$W/id&no_verify=1"
GUEST_URI=$URI
out=$(virsh -q -c "$URI" list --all --name 2>&1)
is "virsh reaches the session daemon over ssh" "$?:$out" "0:"

profile() { # profile NAME URI
	cat <<EOF
vm:
  uri: $2
  domain: $DOM
  kernel: $GUEST_KERNEL
  initrd: $GUEST_INITRD
  cmdline: console=ttyS0 quiet
  cpus: 1
  memory: 256MiB
  max_memory: 512MiB
  disk: 1GiB
  shutdown_timeout: 30s
EOF
}
profile mac "$URI" >"$BERTH_HOME/config/profiles/mac.yaml"
# a key the Mac does not know: ssh's refusal, not libvirt group advice
ssh-keygen -q -t ed25519 -N '' -f "$W/stranger"
profile stranger "$(echo "$URI" | sed "s|keyfile=$W/id|keyfile=$W/stranger|")" \
	>"$BERTH_HOME/config/profiles/stranger.yaml"
out=$("$BERTH" status -p stranger 2>&1)
like "a refused key: berth says to check keyfile=" "$out" \
	"Permission denied \\(publickey.*; the remote host refused the SSH key: check keyfile= in vm.uri"
profile local qemu:///session >"$UH/bh/config/profiles/local.yaml"
chown "$U:" "$UH/bh/config/profiles/local.yaml"

jget() {
	printf '%s' "$1" | python3 -c 'import json,sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k] if isinstance(v, dict) else None
print("null" if v is None else str(v).lower() if isinstance(v, bool) else v)' "$2"
}

out=$("$BERTH" list 2>&1)
like "berth list reaches the remote daemon" "$out" "^mac +not created +1 +256MiB +1GiB +qemu\+ssh://$U@"

# A session daemon has no storage pool until someone makes one: berth
# says how (it used to make the disk in its own state folder here, which
# the remote QEMU cannot open, or on a real remote host, does not have).
out=$("$BERTH" start -p mac 2>&1)
like "no pool on the remote host: berth says how to make one" "$out" \
	"has no storage pool 'default' for $DOM's disk; make one on that host: \`virsh pool-define-as default dir"
check "... and made no local disk" test ! -e "$BERTH_HOME/state/mac/disk.raw"
uvirsh pool-define-as default dir --target "$POOLDIR" >/dev/null &&
	uvirsh pool-build default >/dev/null && uvirsh pool-start default >/dev/null
check "the Mac's user makes the pool as told" eval "uvirsh pool-info default >/dev/null"

t=$(date +%s)
out=$("$BERTH" start -p mac 2>&1)
is "berth start over qemu+ssh" "$out" "$DOM: running"
xml=$(uvirsh dumpxml "$DOM" 2>&1)
like "a TCG domain" "$xml" "<domain type='qemu'"
like "its disk is a volume in the remote pool" "$xml" "<source file='$POOLDIR/$DOM.raw'"
like "its console log is beside it, on the remote side" "$xml" "<source path='$POOLDIR/$DOM.console.log'"
is "the disk belongs to the Mac's user" "$(stat -c %U "$POOLDIR/$DOM.raw" 2>&1)" "$U"
if guest_wait_agent "$DOM" "$URI" 120; then
	ok "the guest agent answers over qemu+ssh ($(($(date +%s) - t)) s)"
else
	not_ok "the guest agent answers within 120 s"
	tail -5 "$POOLDIR/$DOM.console.log" 2>/dev/null | sed 's/^/# console: /'
fi
out=$("$BERTH" status -p mac --json 2>/dev/null)
is "status: running, tcg, 1 GiB disk" \
	"$(jget "$out" state) $(jget "$out" accel) $(jget "$out" disk.capacity_bytes)" \
	"running tcg 1073741824"
like "berth list shows it running" "$("$BERTH" list 2>&1)" "^mac +running +1 +256MiB"

out=$("$BERTH" set -p mac --memory 384MiB 2>&1)
is "set --memory applies live over ssh" "$out" "memory 384MiB: applied"
bal() { uvirsh dommemstat "$DOM" 2>/dev/null | sed -n 's/^actual //p'; }
bal_is() { [ "$(bal)" = "$1" ]; }
wait_until 20 bal_is 393216
is "the guest's balloon reaches 384MiB" "$(bal)" 393216

# The dashboard on the client, 80x24: the VM pane shows the guest running
# and the URI without its query (keyfile, socket: the domain stays in view).
tmux_run() { # tmux_run N CMD: a new tmux server N, 80x24; CMD's status in exit-N
	tmux -S "$W/tmux-$1.sock" -f /dev/null new-session -d -x 80 -y 24 \
		"$2; echo \$? >$W/exit-$1; sleep 600" \; set -g status off \
		\; set -g window-size manual
}
cap() { tmux -S "$W/tmux-$1.sock" capture-pane -p 2>/dev/null; }
screen_has() { cap "$1" | grep -Eq -- "$2"; }
tmux_run 1 "env TERM=screen-256color LANG=C.UTF-8 BERTH_HOME=$BERTH_HOME HOME=$HOME '$BIN' -p mac 2>$W/dash1.err"
check "dashboard over qemu+ssh: the VM pane shows the guest running" \
	wait_until 30 screen_has 1 '^ running .*accel tcg'
like "the pane names the remote session and the domain" "$(cap 1)" \
	"qemu\+ssh://$U@127\.0\.0\.1:$PORT/session · $DOM"
cap 1 | sed 's/^/# client: /'
tmux -S "$W/tmux-1.sock" send-keys q
check "q quits it" wait_until 10 test -s "$W/exit-1"
is "... with status 0" "$(cat "$W/exit-1" 2>/dev/null)" 0
# the guest's SSH port is on the Mac's loopback, not this machine's
out=$("$BERTH" status -p mac --json 2>/dev/null)
is "no SSH target (so no socket forward) for a remote domain" "$(jget "$out" ssh)" null

out=$("$BERTH" stop -p mac 2>&1)
is "berth stop over qemu+ssh" "$out" "$DOM: stopped"
is "libvirt says shut off" "$(uvirsh domstate "$DOM" 2>&1)" "shut off"
out=$("$BERTH" set -p mac --disk 2GiB 2>&1)
is "set --disk on the stopped VM grows the remote volume" "$out" "disk 2GiB: applied"
is "the volume is 2 GiB" "$(stat -c %s "$POOLDIR/$DOM.raw" 2>&1)" 2147483648

# ssh -t hands the Mac side a terminal of the client's size
tmux_run 3 "$SSH -t 'stty size'"
check "ssh -t gives the Mac side an 80x24 terminal" wait_until 10 screen_has 3 '^24 80'

# The other way round: on the "Mac", inside ssh -t, berth manages the
# session daemon locally (qemu:///session, found at ~/.cache/libvirt).
UENV="env BERTH_HOME=$UH/bh BERTH_DATADIR=$BERTH_DATADIR LANG=C.UTF-8 ASAN_OPTIONS=${ASAN_OPTIONS:-} UBSAN_OPTIONS=${UBSAN_OPTIONS:-}"
out=$($SSH "$UENV $BIN start -p local" 2>&1 </dev/null)
is "berth start as the Mac's user, locally" "$out" "$DOM: running"
out=$("$BERTH" status -p mac --json 2>/dev/null)
is "the client sees it running" "$(jget "$out" state)" running
tmux_run 2 "$SSH -t '$UENV $BIN -p local' 2>$W/dash2.err"
check "dashboard in ssh -t on the Mac side: the guest running" \
	wait_until 30 screen_has 2 '^ running .*accel tcg'
like "... through the local session daemon" "$(cap 2)" "qemu:///session · $DOM"
cap 2 | sed 's/^/# mac: /'
tmux -S "$W/tmux-2.sock" send-keys q
check "q quits it" wait_until 10 test -s "$W/exit-2"
is "... with status 0" "$(cat "$W/exit-2" 2>/dev/null)" 0
guest_wait_agent "$DOM" "$URI" 120 || true
out=$($SSH "$UENV $BIN stop -p local" 2>&1 </dev/null)
is "berth stop as the Mac's user, locally" "$out" "$DOM: stopped"

out=$("$BERTH" delete -p mac --yes 2>&1)
is "berth delete over qemu+ssh" "$?" 0
check "the domain is gone" eval "! uvirsh dominfo '$DOM' >/dev/null 2>&1"
check "its volume is gone" test ! -e "$POOLDIR/$DOM.raw"

# No daemon at the socket: the error says where it looked and what to run.
t_kill "$DPID" && dead "$DPID" 50
DPID=
out=$("$BERTH" status -p mac 2>&1)
like "no session daemon: berth names the remote socket and the fix" "$out" \
	"no libvirt daemon listens at $SOCK on that host: start it there as $U \\(macOS: brew services start libvirt\\)"

done_testing
