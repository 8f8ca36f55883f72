#!/bin/sh
# sync-guest: a type: sync mount (two-way, sync: both, the default)
# against the real Docker guest (tests/vm/build-docker-guest.sh) under
# TCG. `berth watch -f` keeps the guest's own copy at /work/sync over one
# SSH connection:
#  - the first sync makes the copy identical to the host folder (bytes,
#    modes, links; a link out of the folder is refused) and sync-status
#    says watching;
#  - a container bind-mounting the copy hears host changes as native
#    events (tests/vm/inw.c: CREATE, CLOSE_WRITE, DELETE, MOVED_FROM and
#    MOVED_TO for a rename, CREATE|ISDIR for a new folder);
#  - a container writing 5,000 files in nested folders (as npm install
#    does) is mirrored on the host byte-identical, and its rename of the
#    folder is a rename on the host (the inode kept, no bytes);
#  - a file changed on both sides while berth was stopped is kept twice;
#  - a restart resumes and sends no bytes when nothing changed;
#  - the ssh transport killed mid-burst (2,000 files) loses nothing.
# The guest only accepts its cached key, which the test puts where berth
# keeps the profile's key. Slow (2-4 min); run it by hand under the VM lock:
#   flock /tmp/berth-vm.lock sh tests/vm/sync-guest.sh
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

tcg_or_skip
command -v ssh >/dev/null || skip_all "ssh missing (apt-get install openssh-client)"
docker_guest_paths || {
	not_ok "build the Docker guest (tests/vm/build-docker-guest.sh)"
	done_testing
	exit 1
}

W=$(mktemp -d "${TMPDIR:-/tmp}/berth-sync.XXXXXX")
DOM=berth-sync-$$
BG=
FWD=
export BERTH_HOME="$W/home" HOME="$W/h" DOCKER_CONFIG="$W/docker"
unset DOCKER_HOST DOCKER_CONTEXT
trap '[ -n "$BG" ] && kill $BG 2>/dev/null; [ -n "$FWD" ] && kill $FWD 2>/dev/null; guest_cleanup; rm -rf "$W"' EXIT
trap 'exit 1' INT TERM HUP
mkdir -p "$BERTH_HOME/config/profiles" "$HOME"
sp=$(guest_free_port)
S=$W/share
mkdir -p "$S/src/lib/deep" "$S/bin"
for i in $(seq 1 50); do echo "file $i" >"$S/src/lib/deep/f$i.js"; done
printf '#!/bin/sh\necho hi\n' >"$S/bin/run.sh"
chmod 755 "$S/bin/run.sh"
echo secret >"$S/private.txt"
chmod 600 "$S/private.txt"
head -c 3000000 /dev/urandom >"$S/big.bin"
ln -s src/lib/deep/f1.js "$S/link.js"
ln -s /etc/passwd "$S/escape"
cat >"$BERTH_HOME/config/profiles/sync.yaml" <<EOF
vm:
  ssh_port: $sp
  ssh_user: root
mounts:
  - host: $S
    guest: /work/sync
    type: sync
    watch: native
EOF
state=$BERTH_HOME/state/sync
mkdir -p "$state/ssh"
chmod 700 "$BERTH_HOME/state" "$state" "$state/ssh"
cp "$DOCKER_GUEST_KEY" "$state/ssh/id_ed25519"
cp "$DOCKER_GUEST_KEY.pub" "$state/ssh/id_ed25519.pub" 2>/dev/null ||
	ssh-keygen -y -f "$DOCKER_GUEST_KEY" >"$state/ssh/id_ed25519.pub"
chmod 600 "$state/ssh/id_ed25519"

field() {
	"$BERTH" -p sync mount sync-status --json 2>/dev/null |
		python3 -c 'import json, sys
v = json.load(sys.stdin)[0].get(sys.argv[1])
print("null" if v is None else v)' "$1" 2>/dev/null
}
wait_state() { # STATE TIMEOUT
	_end=$(($(date +%s) + $2))
	while [ "$(date +%s)" -lt "$_end" ]; do
		[ "$(field state)" = "$1" ] && return 0
		sleep 0.5
	done
	return 1
}
# A listing of a tree: type, mode, size, mtime, checksum or link target,
# path; the same script runs here and in the guest.
cat >"$W/listing.sh" <<'EOF'
cd "$1" && find . -mindepth 1 ! -name escape | LC_ALL=C sort | while read -r p; do
	if [ -L "$p" ]; then
		echo "l $(readlink "$p") $p"
	elif [ -d "$p" ]; then
		echo "d $(stat -c %a "$p") $p"
	else
		echo "f $(stat -c '%a %s %Y' "$p") $(md5sum <"$p" | cut -c1-32) $p"
	fi
done
EOF
listing() { sh "$W/listing.sh" "$1"; }
guest_listing() { docker_guest_ssh "$sp" sh -s /work/sync <"$W/listing.sh"; }
same() { # NAME
	listing "$S" >"$W/host.lst"
	guest_listing >"$W/guest.lst"
	if cmp -s "$W/host.lst" "$W/guest.lst"; then
		ok "$1"
	else
		not_ok "$1"
		diff "$W/host.lst" "$W/guest.lst" | head -10 | sed 's/^/# /'
	fi
}
start_watch() {
	"$BERTH" -p sync watch -f 1 native >"$W/watch.out" 2>"$W/watch.err" &
	BG=$!
}
stop_watch() { kill "$BG"; wait "$BG" 2>/dev/null; BG=; }

GUEST_CONSOLE=$W/console.log docker_guest_domxml "$DOM" "$W/overlay.qcow2" \
	"$sp" >"$W/dom.xml"
check "virsh create starts the guest" guest_start "$DOM" "$W/dom.xml"
if ! docker_guest_wait_ssh "$sp" 400; then
	not_ok "root ssh login within 400 s"
	tail -20 "$W/console.log" | sed 's/^/# console: /'
	done_testing
	exit 1
fi
ok "the guest answers ssh"

t0=$(date +%s)
start_watch
check "the first sync reaches watching" wait_state watching 300
echo "# first sync: $(($(date +%s) - t0)) s, $(field sent_bytes) bytes sent"
same "the guest's copy is the host folder (bytes, modes, mtimes, links)"
is "a link out of the folder is refused, not copied" "$(field refused)" 1
is "... and not in the guest" \
	"$(docker_guest_ssh "$sp" 'test -e /work/sync/escape -o -L /work/sync/escape && echo there' </dev/null)" ""
like "sync-status shows it" "$("$BERTH" -p sync mount sync-status)" \
	'watching +in step'

# Native events in a container bind-mounting the copy: tests/vm/inw.c,
# static, watches it there.
if command -v docker >/dev/null && cc -static -O2 -o "$W/inw" "$BERTH_SRCDIR/tests/vm/inw.c" &&
	docker_guest_ssh "$sp" 'cat >/root/inw && chmod 755 /root/inw' <"$W/inw"; then
	ssh -q -N -i "$DOCKER_GUEST_KEY" -p "$sp" -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-L "$W/docker.sock:/var/run/docker.sock" root@127.0.0.1 &
	FWD=$!
	i=0
	until [ -S "$W/docker.sock" ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
	export DOCKER_HOST="unix://$W/docker.sock"
	check "busybox image imported" "$BERTH_SRCDIR/tests/env/busybox-image.sh" berth-busybox:test
	cid=$(docker run -d -v /work/sync:/app -v /root/inw:/inw:ro \
		berth-busybox:test /inw -r /app)
	end=$(($(date +%s) + 60))
	until docker logs "$cid" 2>&1 | grep -q '^INW-READY$' ||
		[ "$(date +%s)" -ge "$end" ]; do sleep 1; done
	echo new >"$S/created.txt"
	sleep 2
	echo more >>"$S/created.txt"
	sleep 2
	mv "$S/created.txt" "$S/renamed.txt"
	sleep 2
	mkdir "$S/newdir"
	sleep 2
	rm "$S/private.txt"
	ev=
	end=$(($(date +%s) + 60))
	while [ "$(date +%s)" -lt "$end" ]; do
		ev=$(docker logs "$cid" 2>&1)
		printf '%s\n' "$ev" | grep -q ' /app/private\.txt DELETE' && break
		sleep 1
	done
	like "create: IN_CREATE in the container" "$ev" ' /app/created\.txt CREATE'
	like "write: IN_CLOSE_WRITE in the container" "$ev" ' /app/created\.txt CLOSE_WRITE'
	like "delete: IN_DELETE in the container" "$ev" ' /app/private\.txt DELETE'
	like "rename: IN_MOVED_FROM in the container" "$ev" ' /app/created\.txt MOVED_FROM'
	like "... and IN_MOVED_TO" "$ev" ' /app/renamed\.txt MOVED_TO'
	like "mkdir: IN_CREATE|IN_ISDIR in the container" "$ev" ' /app/newdir CREATE,ISDIR'
	# A container writes 5,000 files in 50 nested folders.
	t1=$(date +%s)
	docker run --rm -v /work/sync:/app berth-busybox:test sh -c '
		for d in $(seq 1 50); do
			mkdir -p /app/node_modules/p$d/lib
			for f in $(seq 1 100); do
				echo "module $d $f" >/app/node_modules/p$d/lib/f$f.js
			done
		done' >/dev/null 2>&1
	t2=$(date +%s)
	all_back() { [ "$(find "$S/node_modules" -type f 2>/dev/null | wc -l)" -eq 5000 ]; }
	check "5,000 files a container wrote reach the host" wait_until 600 all_back
	echo "# container wrote them in $((t2 - t1)) s; on the host $(($(date +%s) - t2)) s after"
	is "... nothing failed" "$(field failed)" 0
	sum='cd "$1" && find node_modules -type f | LC_ALL=C sort | xargs md5sum | md5sum'
	is "... byte-identical (one checksum of all of them on each side)" \
		"$(sh -c "$sum" sh "$S")" \
		"$(docker_guest_ssh "$sp" "sh -c '$sum' sh /work/sync" </dev/null)"
	# A container renames the folder: a rename on the host too.
	ino=$(stat -c %i "$S/node_modules")
	fb=$(field fetched_bytes)
	docker run --rm -v /work/sync:/app berth-busybox:test \
		mv /app/node_modules /app/node_modules.old >/dev/null 2>&1
	moved_back() { [ -d "$S/node_modules.old/p50/lib" ] && [ ! -e "$S/node_modules" ]; }
	check "a container's rename of the folder reaches the host" wait_until 120 moved_back
	is "... as a rename (the folder's inode kept)" "$(stat -c %i "$S/node_modules.old")" "$ino"
	is "... no bytes fetched for it" "$(field fetched_bytes)" "$fb"
	docker_guest_ssh "$sp" 'rm -rf /work/sync/node_modules.old' </dev/null
	gone_back() { [ ! -e "$S/node_modules.old" ]; }
	check "removed in the guest, they go from the host" wait_until 300 gone_back
	echo "# lag of the last batch: $(field lag_ms) ms"
	docker rm -f "$cid" >/dev/null 2>&1
	unset DOCKER_HOST
else
	skip "native events in a container" "no docker CLI or static cc on the host"
	echo new >"$S/renamed.txt"
	rm "$S/private.txt"
fi
sleep 3
same "after the changes the copy is still the host folder"

# Restart: resume sends nothing.
stop_watch
start_watch
check "the restarted sync reaches watching" wait_state watching 120
is "a restart with nothing changed sends no bytes" "$(field sent_bytes)" 0
is "... and no entries" "$(field sent_files)" 0
is "... and takes nothing from the guest" "$(field fetched)" 0

# Changed on both sides while stopped: both kept, on both sides.
stop_watch
echo "host side" >"$S/src/lib/deep/f2.js"
docker_guest_ssh "$sp" 'echo "guest side, longer" >/work/sync/src/lib/deep/f2.js' </dev/null
start_watch
check "after changes on both sides it reaches watching" wait_state watching 120
is "one conflict" "$(field conflicts)" 1
is "the host's copy keeps the name" "$(cat "$S/src/lib/deep/f2.js")" "host side"
is "the guest's is kept beside it" "$(cat "$S"/src/lib/deep/f2.js.conflict-* 2>/dev/null)" "guest side, longer"
sleep 3
same "... and the guest has both too"

# Kill the transport mid-burst.
mkdir -p "$S/burst"
for d in $(seq 1 20); do
	mkdir -p "$S/burst/d$d"
	for f in $(seq 1 100); do echo "burst $d $f" >"$S/burst/d$d/f$f"; done
done
killed=
end=$(($(date +%s) + 60))
while [ "$(date +%s)" -lt "$end" ]; do
	pid=$(pgrep -P "$BG" -x ssh | head -1)
	if [ -n "$pid" ] && [ "$(field sent_files)" -gt 0 ]; then
		kill "$pid" && killed=1
		break
	fi
	sleep 0.2
done
check "the ssh transport was killed mid-burst" test -n "$killed"
sleep 1
check "it reconnects and reaches watching" wait_state watching 180
is "it reconnected" "$(field connects)" 2
same "after the kill the copy is the host folder: nothing lost"
stop_watch
done_testing
