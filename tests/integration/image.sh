#!/bin/sh
# image.sh: berth's image download (backend/image/image.c) through `berth image
# pull|list|rm|prune`, against a loopback HTTP server that misbehaves on
# purpose (tests/integration/image-httpd.py): a whole download, a
# checksum from vm.image_sha256 and from SHA256SUMS, a mismatch (deleted,
# said so), 404, a connection cut halfway and a stalled server (the
# .part is kept and the next pull resumes with Range), a server that
# ignores Range, a slow server, a full disk (tmpfs; the .part deleted),
# the cache used offline, file:// and plain
# paths.
. "$(dirname "$0")/../lib.sh"

command -v python3 >/dev/null || skip_all "python3 missing (the test's HTTP server)"
t_home
W=$T_HOME/w
mkdir -p "$W/srv"
T_CLEANUP='[ -n "${SRV:-}" ] && kill "$SRV" 2>/dev/null'
# A 3 MiB "image" with a qcow2-ish start; content is random so a wrong
# resume cannot pass the checksum by luck.
head -c 3145728 /dev/urandom >"$W/srv/img.qcow2"
cp "$W/srv/img.qcow2" "$W/srv/other.qcow2"
head -c 100 /dev/urandom >>"$W/srv/other.qcow2"
good=$(sha256sum <"$W/srv/img.qcow2" | cut -c1-64)
other=$(sha256sum <"$W/srv/other.qcow2" | cut -c1-64)
printf '%s  img.qcow2\n%s *other.qcow2\n' "$good" "$good" >"$W/srv/SHA256SUMS"

python3 "$BERTH_SRCDIR/tests/integration/image-httpd.py" "$W/srv" "$W/port" &
SRV=$!
i=0
while [ ! -s "$W/port" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
PORT=$(cat "$W/port")
U=http://127.0.0.1:$PORT
CACHE=$T_HOME/cache/berth/images
[ -d "$T_HOME/cache" ] || CACHE=$T_HOME/cache/images

prof() { # prof NAME IMAGE [SHA]
	{
		echo "vm:"
		echo "  image: $2"
		[ -n "${3:-}" ] && echo "  image_sha256: $3"
	} >"$T_HOME/config/profiles/$1.yaml"
}
pull() { # pull PROFILE -> stdout path, stderr in $W/err
	"$BERTH" -p "$1" image pull 2>"$W/err"
}

prof p1 "$U/ok/img.qcow2" "$good"
out=$(pull p1)
rc=$?
is "pull of a good image exits 0" "$rc" 0
case $out in
"$T_HOME"/cache/*/img.qcow2 | "$T_HOME"/cache/*-img.qcow2) ok "pull prints the cached path under the cache dir" ;;
*) not_ok "pull prints the cached path under the cache dir (got '$out')" ;;
esac
CACHE=$(dirname "$out")
is "cached file is the server's file" "$(sha256sum <"$out" | cut -c1-64)" "$good"
is "no .part left after a complete download" "$(ls "$CACHE" | grep -c '\.part$')" 0
is "nothing on stderr when piped (no progress bar)" "$(cat "$W/err")" ""

# Offline: stop the server, the cached image is used.
kill "$SRV"
wait "$SRV" 2>/dev/null
out2=$(pull p1)
is "offline: the cached image is used without the network" "$?:$out2" "0:$out"
python3 "$BERTH_SRCDIR/tests/integration/image-httpd.py" "$W/srv" "$W/port2" &
SRV=$!
i=0
while [ ! -s "$W/port2" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
PORT=$(cat "$W/port2")
U=http://127.0.0.1:$PORT

# Offline with nothing cached: a clear one-line error.
prof off "http://127.0.0.1:1/ok/img.qcow2" "$good"
pull off >/dev/null
is "unreachable server exits 1" "$?" 1
like "unreachable server: one line naming the URL" "$(cat "$W/err")" \
	'^berth: http://127\.0\.0\.1:1/ok/img\.qcow2: .*(refused|connect).*$'

# Checksum mismatch.
prof bad "$U/ok/other.qcow2" "$good"
pull bad >/dev/null
is "checksum mismatch exits 1" "$?" 1
like "mismatch is named and the download deleted" "$(cat "$W/err")" \
	"checksum mismatch .*expected sha256 $good, got $other; the download was deleted"
is "mismatch leaves no file in the cache" "$(ls "$CACHE" | grep -c other)" 0

# SHA256SUMS beside the image: good file verified, bad one refused.
cp "$W/srv/img.qcow2" "$W/srv/sumsok.qcow2"
cp "$W/srv/other.qcow2" "$W/srv/sumsbad.qcow2"
printf '%s  sumsok.qcow2\n%s  sumsbad.qcow2\n' "$good" "$good" >"$W/srv/SHA256SUMS"
prof s1 "$U/sums/sumsok.qcow2"
out=$(pull s1)
is "SHA256SUMS: a matching image downloads" "$?" 0
is "SHA256SUMS: verified sum remembered" "$(cut -c1-64 "$out.sha256")" "$good"
prof s2 "$U/sums/sumsbad.qcow2"
pull s2 >/dev/null
is "SHA256SUMS: a mismatching image is refused" "$?" 1
like "SHA256SUMS: mismatch message" "$(cat "$W/err")" 'checksum mismatch.*deleted'
# No SUMS file listing it: downloaded, but the user is told it is unverified.
prof s3 "$U/ok/img.qcow2"
out=$(pull s3)
is "no SUMS file: still downloads" "$?" 0
like "no SUMS file: says the download is not verified" "$(cat "$W/err")" \
	'not verified \(set vm\.image_sha256\)'

# SHA512SUMS (all Debian publishes beside its cloud images), used when
# SHA256SUMS does not list the file.
cp "$W/srv/img.qcow2" "$W/srv/sha5ok.qcow2"
cp "$W/srv/other.qcow2" "$W/srv/sha5bad.qcow2"
good512=$(sha512sum <"$W/srv/img.qcow2" | cut -c1-128)
printf '%s  sha5ok.qcow2\n%s  sha5bad.qcow2\n' "$good512" "$good512" >"$W/srv/SHA512SUMS"
prof s4 "$U/sums/sha5ok.qcow2"
out=$(pull s4)
is "SHA512SUMS: a matching image downloads" "$?" 0
like "SHA512SUMS: no unverified note" "$(cat "$W/err")" '^$'
prof s5 "$U/sums/sha5bad.qcow2"
pull s5 >/dev/null
is "SHA512SUMS: a mismatching image is refused" "$?" 1
like "SHA512SUMS: mismatch names sha512" "$(cat "$W/err")" \
	"checksum mismatch .*expected sha512 $good512, got [0-9a-f]{128}; the download was deleted"
rm -f "$W/srv/SHA512SUMS"

# 404.
prof nf "$U/ok/missing.qcow2" "$good"
pull nf >/dev/null
is "404 exits 1" "$?" 1
like "404 is one clear line" "$(cat "$W/err")" '^berth: http://.*/missing\.qcow2: HTTP 404$'
is "404 leaves no .part" "$(ls "$CACHE" | grep -c missing)" 0

# A connection cut halfway: .part kept, next pull resumes from it.
prof cut "$U/cut/img.qcow2" "$good"
pull cut >/dev/null
is "cut connection exits 1" "$?" 1
like "cut: says how much is kept and that it resumes" "$(cat "$W/err")" \
	'1572864 bytes kept in .*\.part; the next try resumes'
part=$(ls "$CACHE"/*.part 2>/dev/null | head -1)
is "cut: the .part holds the first half" "$(stat -c %s "$part" 2>/dev/null)" 1572864
out=$(pull cut)
is "cut: the second pull completes" "$?" 0
is "cut: resumed file is whole and correct" "$(sha256sum <"$out" | cut -c1-64)" "$good"

# A stalled server: the low-speed limit ends the try; then it resumes.
prof st "$U/stall/img.qcow2" "$good"
BERTH_DOWNLOAD_STALL_S=2 pull st >/dev/null
is "stalled server gives up (exit 1)" "$?" 1
like "stalled server: message keeps the bytes" "$(cat "$W/err")" 'bytes kept in'
out=$(BERTH_DOWNLOAD_STALL_S=2 pull st)
is "stalled: resumed download is correct" "$?:$(sha256sum <"$out" | cut -c1-64)" "0:$good"

# A server that ignores Range: the .part is restarted, not appended to.
prof nr "$U/norange/img.qcow2" "$good"
nrpath=$(pull nr)
rm -f "$nrpath" "$nrpath.sha256"
head -c 1000 /dev/zero >"$nrpath.part"
out=$(pull nr)
is "ignored Range: download restarts and is correct" \
	"$?:$(sha256sum <"$out" | cut -c1-64)" "0:$good"

# A slow server still completes; on a terminal the progress bar shows.
prof sl "$U/slow/img.qcow2" "$good"
if command -v script >/dev/null; then
	script -qec "'$BERTH' -p sl image pull" /dev/null >"$W/tty" 2>&1
	like "slow server: progress bar with bytes, rate and ETA on a tty" \
		"$(tr '\r' '\n' <"$W/tty")" \
		'downloading \[#*-*\] [0-9.]+[KM]iB / 3MiB \([0-9]+%\)  [0-9.]+[KM]?i?B/s  ETA [0-9]+:[0-9][0-9]'
else
	skip "progress bar on a tty" "script(1) missing"
fi
out=$(pull sl)
is "slow server: the image is correct" "$?:$(sha256sum <"$out" | cut -c1-64)" "0:$good"

# file:// and plain paths are used in place, checked when a sum is set.
prof f1 "file://$W/srv/img.qcow2" "$good"
is "file:// URL resolves to the file itself" "$(pull f1)" "$W/srv/img.qcow2"
prof f2 "$W/srv/other.qcow2" "$good"
pull f2 >/dev/null
is "a local path with the wrong sum is refused" "$?" 1
prof f3 "$W/srv/nope.qcow2"
pull f3 >/dev/null
like "a missing local path: clear error" "$?:$(cat "$W/err")" '^1:berth: vm\.image .*/nope\.qcow2: No such file or directory$'
prof f4 "ftp://example.com/x.qcow2"
pull f4 >/dev/null
like "an unsupported scheme is refused" "$?:$(cat "$W/err")" '^1:berth: vm.image ftp://.*only http, https and file'

# Disk full during the download: the partial file is removed, said so.
mkdir -p "$W/full"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=1m berth-test-full "$W/full" 2>/dev/null; then
	T_CLEANUP="umount '$W/full' 2>/dev/null; $T_CLEANUP"
	prof full "$U/ok/img.qcow2" "$good"
	# BERTH_HOME unset: the cache root is XDG_CACHE_HOME, the tmpfs.
	mkdir -p "$T_HOME/config-xdg/berth/profiles"
	cp "$T_HOME/config/profiles/full.yaml" "$T_HOME/config-xdg/berth/profiles/"
	XDG_CACHE_HOME=$W/full HOME=$T_HOME XDG_CONFIG_HOME=$T_HOME/config-xdg \
		XDG_STATE_HOME=$T_HOME/state-xdg \
		env -u BERTH_HOME "$BERTH" -p full image pull >/dev/null 2>"$W/err"
	rc=$?
	like "disk full: exit 1, the partial download deleted and said so" \
		"$rc:$(cat "$W/err")" '^1:berth: writing .*\.part: No space left on device; the partial download was deleted$'
	is "disk full: nothing left in the cache" "$(find "$W/full" -type f | wc -l)" 0
	umount "$W/full"
else
	skip "disk full during a download" "cannot mount a small tmpfs here (needs root)"
fi

# list, rm, prune.
like "image list shows complete images" "$("$BERTH" image list)" '-img\.qcow2 +[0-9.]+[KMG]i?B? +complete'
prof cut2 "$U/cut/other.qcow2"
pull cut2 >/dev/null
like "image list shows a partial download" "$("$BERTH" image list)" '-other\.qcow2\.part +[0-9.]+[KMG]i?B? +partial'
rm -f "$T_HOME"/config/profiles/cut*.yaml "$T_HOME"/config/profiles/st.yaml
out=$("$BERTH" image prune)
like "prune removes partial downloads" "$out" 'removed .*-other\.qcow2\.part'
is "prune keeps images a profile uses" "$(ls "$CACHE" | grep -c -- "-img.qcow2$")" \
	"$(ls "$CACHE" | grep -- "-img.qcow2$" | wc -l)"
n_before=$(ls "$CACHE" | grep -vc sha256)
one=$(ls "$CACHE" | grep -v sha256 | head -1)
check "image rm removes one image" "$BERTH" image rm "$one"
is "image rm: one fewer" "$(ls "$CACHE" | grep -vc sha256)" "$((n_before - 1))"
"$BERTH" image rm ../etc >/dev/null 2>"$W/err"
like "image rm refuses a path" "$?:$(cat "$W/err")" '^1:berth: \.\./etc: not an image name'
done_testing
