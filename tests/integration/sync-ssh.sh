#!/bin/sh
# sync-ssh: a type: sync mount end to end through berth's own SSH
# transport. A private sshd (tests/env/sshd.sh) plays the guest; the
# mount's guest folder G is on this machine, watched by inw
# (tests/vm/inw.c) as a container would watch the guest's copy.
# `berth watch -f` (one ssh, the perl receiver):
#  - the first sync makes G the host folder S (bytes, modes, mtimes,
#    links), refuses a link out of it, and sync-status says watching;
#  - host changes raise native events in G: CREATE and CLOSE_WRITE for a
#    new file, CLOSE_WRITE for an append, DELETE for a removal;
#  - a restart with nothing changed sends no bytes;
#  - the ssh transport killed mid-burst loses nothing: after the
#    reconnect G is S again.
# Then the same mount two-way (sync: both, the default):
#  - guest writes (nested folders, 300 files, a link) come back to S
#    byte-identical, guest renames are renames on the host (inodes
#    kept, no bytes), and guest deletes delete on the host;
#  - host renames of a file and a folder are renames in G (MOVED_*);
#  - a file changed on both sides while berth was stopped is kept twice
#    (NAME.conflict-HOST-TIME on both sides), each side's other change
#    wins over the other's unchanged copy;
#  - a restart with nothing changed moves nothing either way.
# The profile refuses an unknown sync: value with its position.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

command -v ssh >/dev/null || skip_all "ssh client not installed"
command -v sshd >/dev/null || [ -x /usr/sbin/sshd ] ||
	skip_all "openssh-server not installed (tests/env/install-deps.sh)"
command -v perl >/dev/null || skip_all "perl not installed (the receiver)"
command -v cc >/dev/null || skip_all "no C compiler to build the watcher"

t_home
W=$T_HOME/w
S=$W/host
G=$W/guest
SSHD_DIR=$T_HOME/sshd
BG=
INW=
T_CLEANUP='[ -n "$BG" ] && kill $BG 2>/dev/null; [ -n "$INW" ] && kill $INW 2>/dev/null; "$BERTH_SRCDIR/tests/env/sshd.sh" stop "$SSHD_DIR" >/dev/null 2>&1'
trap 'exit 1' INT TERM HUP
export HOME=$T_HOME/home
mkdir -p "$HOME" "$S/src/deep" "$S/bin" "$G"
for i in 1 2 3 4 5; do echo "module $i" >"$S/src/deep/m$i.js"; done
printf '#!/bin/sh\necho hi\n' >"$S/bin/run.sh"
chmod 755 "$S/bin/run.sh"
echo secret >"$S/private.txt"
chmod 600 "$S/private.txt"
head -c 200000 /dev/urandom >"$S/blob.bin"
ln -s src/deep/m1.js "$S/link.js"
ln -s /etc/passwd "$S/escape"

cc -O2 -o "$W/inw" "$BERTH_SRCDIR/tests/vm/inw.c" ||
	skip_all "the watcher (tests/vm/inw.c) does not build"
"$W/inw" -r "$G" >"$W/inw.log" 2>&1 &
INW=$!

printf 'vm:\n  ssh_user: %s\n' "$(id -un)" >"$T_HOME/config/profiles/ss.yaml"
"$BERTH" -p ss socket key >"$W/berth.pub" 2>"$W/key.err"
check "berth socket key makes the profile's key" test -s "$W/berth.pub"
SSHD_PORT=$("$BERTH_SRCDIR/tests/env/sshd.sh" start "$SSHD_DIR" "$W/berth.pub") ||
	skip_all "the private sshd did not start"

# An unknown direction is refused at its line.
cat >"$T_HOME/config/profiles/both.yaml" <<EOF2
mounts:
  - host: $S
    type: sync
    sync: sideways
EOF2
like "sync: sideways is refused with file:line:col" \
	"$("$BERTH" profile validate "$T_HOME/config/profiles/both.yaml" 2>&1)" \
	'both\.yaml:4:11: .*sideways'

cat >"$T_HOME/config/profiles/ss.yaml" <<EOF2
vm:
  uri: test:///default
  domain: berth-no-such-domain
  ssh_user: $(id -un)
docker:
  ssh_host: 127.0.0.1
  ssh_port: $SSHD_PORT
mounts:
  - host: $S
    guest: $G
    type: sync
    sync: host-to-guest
    watch: native
EOF2

field() {
	"$BERTH" -p ss mount sync-status --json 2>/dev/null |
		python3 -c 'import json, sys
v = json.load(sys.stdin)[0].get(sys.argv[1])
print("null" if v is None else v)' "$1" 2>/dev/null
}
state_is() { [ "$(field state)" = "$1" ]; }
listing() { # types, modes, sizes, mtimes to the second, links; checksums
	(cd "$1" && find . -mindepth 1 ! -name escape \( -type l -printf 'l %l %p\n' \
		-o -type d -printf 'd %m %p\n' -o -printf 'f %m %s %Ts %p\n' \) |
		LC_ALL=C sort &&
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0r md5sum)
}
same() { [ "$(listing "$S")" = "$(listing "$G")" ]; }
show_diff() { diff "$W/s.lst" "$W/g.lst" | head -10 | sed 's/^/# /'; }
check_same() {
	if wait_until 20 same; then
		ok "$1"
	else
		not_ok "$1"
		listing "$S" >"$W/s.lst"
		listing "$G" >"$W/g.lst"
		show_diff
	fi
}
waitfor() { wait_until "${3:-20}" file_has "$1" "$2"; }

check "the guest's watcher is ready" waitfor "$W/inw.log" '^INW-READY$'
is "sync-status before: stopped" "$(field state)" stopped
"$BERTH" -p ss watch -f 1 native >"$W/watch.out" 2>"$W/watch.err" &
BG=$!
check "the first sync reaches watching" wait_until 60 state_is watching
check_same "the guest copy is the host folder (bytes, modes, mtimes, links)"
is "a link out of the folder is refused" "$(field refused)" 1
check "... not copied" test ! -e "$G/escape" -a ! -L "$G/escape"
like "... and is the last error" "$(field error)" 'escape: link to /etc/passwd leaves the folder'
is "everything was sent once" "$(field sent_bytes)" \
	"$(($(stat -c %s "$S/blob.bin") + 5 * 9 + 18 + 7))"
like "sync-status shows it in step" "$("$BERTH" -p ss mount sync-status)" \
	'1 +watching +in step +8 '

# Native events in the guest copy.
echo new >"$S/created.txt"
check "new file: CREATE in the guest copy" waitfor "$W/inw.log" \
	"^INW [0-9.]+ $G/created\\.txt CREATE"
check "... and CLOSE_WRITE" waitfor "$W/inw.log" \
	"^INW [0-9.]+ $G/created\\.txt CLOSE_WRITE"
n=$(grep -c "$G/src/deep/m2\\.js CLOSE_WRITE" "$W/inw.log")
echo more >>"$S/src/deep/m2.js"
check "append two folders down: CLOSE_WRITE" wait_until 20 sh -c \
	"[ \$(grep -c '$G/src/deep/m2\\.js CLOSE_WRITE' '$W/inw.log') -gt $n ]"
rm "$S/private.txt"
check "delete: DELETE in the guest copy" waitfor "$W/inw.log" \
	"^INW [0-9.]+ $G/private\\.txt DELETE"
mkdir "$S/newdir"
echo inner >"$S/newdir/inner.js"
check "a new folder and its file arrive" waitfor "$W/inw.log" \
	"^INW [0-9.]+ $G/newdir/inner\\.js CLOSE_WRITE"
check_same "after the changes the copy is the host folder"
like "the lag of the last batch is measured" "$(field lag_ms)" '^[0-9]+$'

# A restart resumes: nothing sent when nothing changed. A file copied in
# the second the host wrote it is sent once more at the first restart
# (it could have changed again in that second: git's "racy" rule), so
# restart twice.
restart() {
	kill $BG
	wait $BG 2>/dev/null
	"$BERTH" -p ss watch -f 1 native >"$W/watch.out" 2>"$W/watch.err" &
	BG=$!
	wait_until 60 state_is watching
}
check "the restarted sync reaches watching" restart
echo "# first restart: $(field sent_files) racy entries, $(field sent_bytes) bytes sent again"
check "the second one too" restart
is "a restart with nothing changed sends no bytes" "$(field sent_bytes)" 0
is "... and no entries" "$(field sent_files)" 0

# Kill the transport mid-burst.
mkdir "$S/burst"
i=0
while [ $i -lt 40 ]; do
	mkdir "$S/burst/d$i"
	head -c 50000 /dev/urandom >"$S/burst/d$i/big"
	j=0
	while [ $j -lt 50 ]; do
		echo "f $i $j" >"$S/burst/d$i/f$j"
		j=$((j + 1))
	done
	i=$((i + 1))
done
killed=
end=$(($(date +%s) + 30))
while [ "$(date +%s)" -lt "$end" ]; do
	pid=$(pgrep -P "$BG" -x ssh | head -1)
	if [ -n "$pid" ] && [ "$(field sent_files)" -gt 0 ]; then
		kill "$pid" && killed=1
		break
	fi
	sleep 0.05
done
check "the ssh transport was killed mid-burst" test -n "$killed"
echo "# killed after $(field sent_files) entries"
# (one-way, a dead connection is found at the next send: the burst may
# have been all sent when the kill landed, so one more change)
echo after >"$S/after-kill.txt"
# (a reconnect may itself fail and be tried again 3 s later on a loaded
# machine: at least one more connect, not exactly one)
reconnected() { [ "$(field connects)" -ge 2 ] && state_is watching; }
check "it reconnects and reaches watching" wait_until 60 reconnected
echo "# connects: $(field connects)"
check_same "after the kill the copy is the host folder: nothing lost"
kill $BG
wait $BG 2>/dev/null
BG=
is "sync-status after: stopped" "$(field state)" stopped

# Two-way: the same mount with sync: both (the default).
sed -i '/^    sync: host-to-guest$/d' "$T_HOME/config/profiles/ss.yaml"
like "sync-status says both ways" "$("$BERTH" -p ss mount sync-status --json)" '"direction": "both"'
"$BERTH" -p ss watch -f 1 native >"$W/watch.out" 2>"$W/watch.err" &
BG=$!
check "two-way: the first sync reaches watching" wait_until 60 state_is watching
check_same "two-way: the copies agree (no conflict from the one-way copy)"
is "... no conflicts" "$(field conflicts)" 0
f0=$(field files)
i=0
while [ $i -lt 30 ]; do
	mkdir -p "$G/out/pkg$i/lib"
	j=0
	while [ $j -lt 10 ]; do
		echo "built $i $j" >"$G/out/pkg$i/lib/f$j.js"
		j=$((j + 1))
	done
	i=$((i + 1))
done
head -c 300000 /dev/urandom >"$G/out/bundle.bin"
chmod 755 "$G/out/pkg1/lib/f1.js"
ln -s pkg1/lib/f1.js "$G/out/main.js"
check_same "guest writes (300 files in nested folders, a link) arrive on the host byte-identical"
fetched_some() { [ "$(field fetched)" -ge 300 ]; }
check "... counted as taken from the guest" fetched_some
files_counted() { [ "$(field files)" -ge $((f0 + 301)) ]; }
check "... and in the folder's file count (was $f0)" wait_until 20 files_counted
sent=$(field sent_files)
sleep 1
is "... and none was sent back to the guest" "$(field sent_files)" "$sent"
# Host renames are renames in the guest copy.
mv "$S/src/deep/m2.js" "$S/src/deep/moved.js"
mv "$S/newdir" "$S/newdir2"
check "a host file rename: MOVED_FROM in the guest copy" waitfor "$W/inw.log" \
	"^INW [0-9.]+ $G/src/deep/m2\\.js MOVED_FROM"
check "... and MOVED_TO" waitfor "$W/inw.log" \
	"^INW [0-9.]+ $G/src/deep/moved\\.js MOVED_TO"
check "a host folder rename: MOVED_TO,ISDIR" waitfor "$W/inw.log" \
	"^INW [0-9.]+ $G/newdir2 MOVED_TO,ISDIR"
like "... counted as renames" "$("$BERTH" -p ss mount sync-status --json)" '"renamed": 2'
# Guest renames are renames on the host: the same inodes, no bytes.
ino_b=$(stat -c %i "$S/out/bundle.bin")
ino_d=$(stat -c %i "$S/out/pkg2")
fb=$(field fetched_bytes)
mv "$G/out/bundle.bin" "$G/out/bundle.js"
mv "$G/out/pkg2" "$G/out/pkg2b"
moved_back() { [ -e "$S/out/bundle.js" ] && [ -e "$S/out/pkg2b/lib/f9.js" ] &&
	[ ! -e "$S/out/bundle.bin" ] && [ ! -e "$S/out/pkg2" ]; }
check "a guest rename of a file and a folder reaches the host" wait_until 20 moved_back
is "... as a rename of the file (its inode kept)" "$(stat -c %i "$S/out/bundle.js")" "$ino_b"
is "... and of the folder" "$(stat -c %i "$S/out/pkg2b")" "$ino_d"
is "... no bytes fetched for them" "$(field fetched_bytes)" "$fb"
like "... counted as renames" "$("$BERTH" -p ss mount sync-status --json)" '"renamed": 4'
check_same "... and the copies agree"
rm -r "$G/out/pkg7" "$G/blob.bin"
gone() { [ ! -e "$S/out/pkg7" ] && [ ! -e "$S/blob.bin" ]; }
check "guest deletes delete on the host" wait_until 20 gone
check_same "... and the copies agree"

# Two-way, the transport killed mid-burst (the host writing, the guest
# writing): nothing lost, no conflict from a file cut short.
mkdir "$S/burst2" "$G/gburst"
i=0
while [ $i -lt 20 ]; do
	head -c 40000 /dev/urandom >"$S/burst2/big$i"
	j=0
	while [ $j -lt 40 ]; do
		echo "h $i $j" >"$S/burst2/f$i-$j"
		echo "g $i $j" >"$G/gburst/f$i-$j"
		j=$((j + 1))
	done
	i=$((i + 1))
done
c0=$(field connects)
killed=
end=$(($(date +%s) + 30))
while [ "$(date +%s)" -lt "$end" ]; do
	pid=$(pgrep -P "$BG" -x ssh | head -1)
	if [ -n "$pid" ]; then
		kill "$pid" && killed=1
		break
	fi
	sleep 0.05
done
check "two-way: the ssh transport was killed mid-burst" test -n "$killed"
reconnected2() { [ "$(field connects)" -gt "$c0" ] && state_is watching; }
check "... it reconnects" wait_until 60 reconnected2
check_same "... and both bursts are on both sides: nothing lost"
is "... and no conflict" "$(field conflicts)" 0

# Changes while berth is stopped: one on each side, one on both.
kill $BG
wait $BG 2>/dev/null
BG=
echo "host edit" >"$S/src/deep/m3.js"
echo "guest edit" >"$G/src/deep/m4.js"
echo "host side of it" >"$S/src/deep/m5.js"
echo "the guest side of it" >"$G/src/deep/m5.js"
"$BERTH" -p ss watch -f 1 native >"$W/watch.out" 2>"$W/watch.err" &
BG=$!
check "restarted two-way sync reaches watching" wait_until 60 state_is watching
is "the host's edit reached the guest" "$(cat "$G/src/deep/m3.js")" "host edit"
is "the guest's edit reached the host" "$(cat "$S/src/deep/m4.js")" "guest edit"
is "changed on both: the host's copy keeps the name" "$(cat "$S/src/deep/m5.js")" "host side of it"
conflict_copy() { ls "$S/src/deep/" | grep -q '^m5\.js\.conflict-'; }
check "... and the guest's is kept beside it" wait_until 20 conflict_copy
is "... with the guest's bytes" "$(cat "$S"/src/deep/m5.js.conflict-*)" "the guest side of it"
is "one conflict counted" "$(field conflicts)" 1
like "sync-status names it" "$("$BERTH" -p ss mount sync-status)" 'last conflict: .*m5\.js\.conflict-'
check_same "... and the copies agree"
check "the next restart reaches watching" restart
is "a restart with nothing changed sends nothing" "$(field sent_bytes)" 0
is "... and takes nothing" "$(field fetched)" 0
is "... and finds no conflict" "$(field conflicts)" 0
kill $BG
wait $BG 2>/dev/null
BG=
done_testing
