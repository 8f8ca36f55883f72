/*
 * mounts-sync-receiver.c: the guest's half of a type: sync mount, a perl
 * script berth sends on the command line of its one SSH connection
 * (Debian and Ubuntu guests always have perl-base). It keeps the folder
 * given as its argument and speaks the framed protocol of mounts-sync.c
 * on standard input and output:
 *
 *   berth -> guest: "OP MODE MTIME LEN PLEN\n" PATH DATA
 *     F  a file: created, or rewritten in place (O_TRUNC), from DATA
 *     D  a folder                L  a symbolic link to DATA
 *     X  delete (a folder with what is in it, links never followed)
 *     M  answer the manifest     S  answer "A MODE ok failed" (MODE = seq)
 *     Q  quit
 *   guest -> berth: "BERTH-SYNC 1\n" once, then only when asked:
 *     manifest entries "T SIZE MTIME CTIME MODE PLEN TLEN\n" PATH TARGET,
 *     then "END\n";
 *     failures "E PLEN MLEN\n" PATH MESSAGE before the "A" line.
 *   Two-way ("both" after the folder; the greeting adds the host name and
 *   the copy's id), the receiver also watches its copy with inotify:
 *     C  answer the guest's changes since the last C: "r 0 0 0 0 PLEN
 *        TLEN\n" FROM TO for each rename seen whole (its two events
 *        paired by cookie; its base moves with it), then a manifest-style
 *        record per changed path ("x" gone) with a file's bytes after
 *        it, then "END\n"; "O\n" first when the event queue overflowed
 *        A file seen only written to (IN_MODIFY: a writer that keeps it
 *        open) waits until it is quiet for one C, is closed, or, at 1 MiB
 *        or less, has waited 5 s: a growing file is not sent at each C.
 *     G  send PATH at the next C (MODE 1: and all it holds)
 *     I  an ignored folder: changes in it are no longer reported
 *     K  keep the guest's PATH aside as a conflict copy
 *     R  rename PATH to DATA ("N" answers a refusal)
 *
 * Files are written as a program would (open with O_CREAT|O_TRUNC,
 * write, close) so the guest kernel raises IN_CREATE, IN_MODIFY and
 * IN_CLOSE_WRITE. The mtime is set last: a file cut short by a killed
 * connection keeps the ctime and mtime of its last write, which berth
 * reads as not finished (mounts-sync.c, "racy"). Paths must be plain and
 * relative ("", "/x", "a//b",
 * ".", ".." are refused), every parent must be a real folder (a link in
 * the way is refused, never followed), and a link whose target leaves
 * the folder is refused. Modification times are kept to the second (perl's
 * utime).
 *
 * The copy is a mirror (what the host lacks is deleted), so the receiver
 * keeps only a folder it made: a mark beside it (.NAME.berth-sync in its
 * parent, outside what containers see) is made with the folder, and an
 * existing non-empty folder without the mark is refused before anything
 * is touched ("BERTH-SYNC-REFUSED why"): a guest path such as /root or
 * /srv given by mistake is never emptied.
 */

#include "config.h"

#include "core/core.h"
#include "mounts/mounts.h"

const char msync_receiver[] =
    "use strict; use Fcntl; use POSIX ();\n"
    "my $root = shift; $root =~ s{/+$}{}; die \"no folder\\n\" if $root eq "
    "\"\";\n"
    "my $two = (shift // \"\") eq \"both\";\n"
    "my $mark = $root =~ m{^(.*)/([^/]+)$} ? \"$1/.$2.berth-sync\" : "
    "\".$root.berth-sync\";\n"
    "if (-d $root && !-e $mark) { opendir(my $h, $root) or die \"$root: "
    "$!\\n\"; my @e = grep { $_ ne \".\" && $_ ne \"..\" } readdir $h; "
    "closedir $h; if (@e) { print \"BERTH-SYNC-REFUSED $root is not empty and "
    "berth did not make it (no $mark): empty it or choose another guest "
    "path\\n\"; exit 3; } }\n"
    "{ my $p = $root =~ m{^/} ? \"\" : \".\"; for (grep { length } split m{/}, "
    "$root) { $p .= \"/$_\"; mkdir $p, 0755 unless -d $p; } }\n"
    "-d $root or die \"cannot make $root: $!\\n\";\n"
    "my $id = \"\"; if (open(my $mh, \"<\", $mark)) { $id = <$mh> // \"\"; "
    "chomp $id; }\n"
    "if ($id !~ /^[0-9a-f]{16}$/) { $id = sprintf(\"%08x%08x\", int(rand(2 ** "
    "32)), int(rand(2 ** 32))); open(my $mh, \">\", $mark) or die \"cannot "
    "make $mark: $!\\n\"; print $mh \"$id\\n\"; close $mh or die \"cannot "
    "make $mark: $!\\n\"; }\n"
    "binmode STDIN; binmode STDOUT;\n"
    "my ($ok, $failed, $o) = (0, 0, \"\");\n"
    "my (%base, %wd, %dirty, %mvf, @mv, %ign, %held, $ifd, $ih, $over, "
    "$nowatch, $add, $frames);\n"
    "my $hn = (POSIX::uname())[1] // \"guest\"; $hn =~ "
    "s{[^A-Za-z0-9._-]}{_}g;\n"
    "sub out { $o .= $_[0]; flush() if length($o) > 65536; }\n"
    "sub flush { while (length $o) { my $w = syswrite(STDOUT, $o); exit 1 "
    "unless defined $w; substr($o, 0, $w) = \"\"; } }\n"
    "sub err { my ($p, $m) = @_; $failed++; out(\"E \" . length($p) . \" \" . "
    "length($m) . \"\\n$p$m\"); }\n"
    "sub readn { my $n = shift; my $b = \"\"; while (length($b) < $n) { my $r "
    "= read(STDIN, $b, $n - length($b), length($b)); exit 0 unless $r; } $b }\n"
    "sub skip { my $n = shift; while ($n > 0) { my $b; my $r = read(STDIN, $b, "
    "$n > 65536 ? 65536 : $n); exit 0 unless $r; $n -= $r; } }\n"
    "sub bad { my $p = shift; return 1 if $p eq \"\" || $p =~ m{^/} || $p =~ "
    "/\\0/; for (split m{/}, $p, -1) { return 1 if $_ eq \"\" || $_ eq \".\" "
    "|| $_ eq \"..\"; } 0 }\n"
    "sub escapes { my ($p, $t) = @_; return 1 if $t eq \"\" || $t =~ m{^/} || "
    "$t =~ /\\0/; my @d = split m{/}, $p; pop @d; for (split m{/}, $t) { next "
    "if $_ eq \"\" || $_ eq \".\"; if ($_ eq \"..\") { return 1 unless @d; pop "
    "@d; } else { push @d, $_; } } 0 }\n"
    "sub key { my @s = lstat $_[0] or return \"\"; return \"d $s[2] $s[1]\" if "
    "-d _; my $t = -l _ ? \"l\" : -f _ ? \"f\" : \"o\"; \"$t $s[7] $s[9] "
    "$s[10] $s[2] $s[1]\" }\n"
    "sub changed { my $p = shift; my $k = key(\"$root/$p\"); $k ne \"\" && "
    "($base{$p} // \"\") ne $k }\n"
    "sub watch { return unless $two; my $r = shift; my $w = syscall($add, "
    "$ifd, ($r eq \"\" ? $root : \"$root/$r\") . \"\\0\", 0x030003ce); if ($w "
    ">= 0) { $wd{$w} = $r; } elsif ($! == 28) { $nowatch++; } }\n"
    "sub parent { my @c = split m{/}, shift; pop @c; my ($d, $r) = ($root, "
    "\"\"); for (@c) { $d .= \"/$_\"; $r = $r eq \"\" ? $_ : \"$r/$_\"; if "
    "(!lstat $d) { mkdir $d, 0755 or return 0; watch($r); $base{$r} = key($d) "
    "if $two; } elsif (!-d _) { return 0; } } 1 }\n"
    "sub rmt { my ($p, $r) = @_; lstat $p or return 1; if ($two && defined $r "
    "&& !-d _ && changed($r)) { $dirty{$r} = 1; out(\"K \" . length($r) . \" "
    "0\\n$r\"); return 0; } my $k; if (-d _) { opendir(my $h, $p) or return 0; "
    "my @e = grep { $_ ne \".\" && $_ ne \"..\" } readdir $h; closedir $h; "
    "rmt(\"$p/$_\", defined $r ? \"$r/$_\" : undef) for @e; $k = rmdir $p; } "
    "else { $k = unlink $p; } delete $base{$r} if $k && defined $r; $k }\n"
    "sub hold { my $r = shift; my $k = key(\"$root/$r\"); my $h = $held{$r}; "
    "if (!$h) { $held{$r} = [$k, time]; return 1; } return 0 if $h->[0] eq $k; "
    "$h->[0] = $k; return 0 if time - $h->[1] >= 5 && ((split / /, $k)[1] // "
    "0) <= 1048576; 1 }\n"
    "sub ign { my $r = shift; for (keys %ign) { return 1 if $r eq $_ || "
    "index($r, \"$_/\") == 0; } 0 }\n"
    "sub forget { my $p = shift; delete $base{$p}; delete @base{grep { "
    "index($_, \"$p/\") == 0 } keys %base} if $two; }\n"
    "sub conflict { my $p = shift; my $n = \"$p.conflict-$hn-\" . "
    "POSIX::strftime(\"%Y%m%d-%H%M%S\", localtime); my ($c, $i) = ($n, 1); $c "
    "= \"$n-\" . $i++ while lstat \"$root/$c\"; rename(\"$root/$p\", "
    "\"$root/$c\") or return 0; $dirty{$c} = 1; out(\"K \" . length($p) . \" "
    "\" . length($c) . \"\\n$p$c\"); 1 }\n"
    "sub walk { my ($rel, $list) = @_; my $d = $rel eq \"\" ? $root : "
    "\"$root/$rel\"; watch($rel); opendir(my $h, $d) or return; my @e = sort "
    "grep { $_ ne \".\" && $_ ne \"..\" } readdir $h; closedir $h; for my $n "
    "(@e) { my $r = $rel eq \"\" ? $n : \"$rel/$n\"; next if !$list && %ign && "
    "ign($r); my @s = lstat "
    "\"$root/$r\" or next; my ($t, $g) = (\"o\", \"\"); if (-l _) { $t = "
    "\"l\"; $g = readlink(\"$root/$r\") // \"\"; } elsif (-d _) { $t = \"d\"; "
    "} elsif (-f _) { $t = \"f\"; } if ($list) { out(\"$t $s[7] $s[9] $s[10] "
    "$s[2] \" . length($r) . \" \" . length($g) . \"\\n$r$g\"); $base{$r} = "
    "key(\"$root/$r\") if $two; } else { $dirty{$r} = 1; } walk($r, $list) if "
    "$t eq \"d\"; } }\n"
    "sub drain { return unless $two; for (;;) { my $b; my $n = sysread($ih, "
    "$b, 65536); last unless $n; my $i = 0; while ($i + 16 <= $n) { my ($w, "
    "$m, $c, $l) = unpack(\"iIII\", substr($b, $i, 16)); my $nm = substr($b, "
    "$i + 16, $l); $nm =~ s/\\0+$//; $i += 16 + $l; if ($m & 0x4000) { $over = "
    "1; next; } if ($m & 0x8000) { delete $wd{$w}; next; } my $d = $wd{$w}; "
    "next if !defined $d || $nm eq \"\"; my $r = $d eq \"\" ? $nm : "
    "\"$d/$nm\"; next if %ign && ign($r); if ($m & 0x3cc) { $dirty{$r} = 1; } "
    "else { $dirty{$r} ||= 2; } if ($m & 0x40) { "
    "$mvf{$c} = $r; } elsif (($m "
    "& 0x80) && defined $mvf{$c}) { push @mv, [delete $mvf{$c}, $r]; } "
    "walk($r, 0) if ($m & 0x40000000) && ($m & 0x180); } } }\n"
    "sub mvbase { my ($f, $t) = @_; for my $x (grep { $_ eq $f || index($_, "
    "\"$f/\") == 0 } keys %base) { $base{$t . substr($x, length $f)} = delete "
    "$base{$x}; } }\n"
    "sub mvrep { my ($f, $t) = @_; return if bad($f) || bad($t); my $o = "
    "$base{$f}; my $k = key(\"$root/$t\"); return if !defined $o || $k eq "
    "\"\"; mvbase($f, $t); my @o = "
    "split / /, $o; my @n = split / /, $k; $base{$t} = $k if $o[0] eq $n[0] "
    "&& join(\" \", @o[1, 2, 4, 5]) eq join(\" \", @n[1, 2, 4, 5]); out(\"r 0 "
    "0 0 0 \" . length($f) . \" \" . length($t) . \"\\n$f$t\"); }\n"
    "sub report { my $p = shift; my $f = \"$root/$p\"; my $k = key($f); return "
    "if $k eq ($base{$p} // \"\"); my @s = lstat $f; if (!@s) { forget($p); "
    "out(\"x 0 0 0 0 \" . length($p) . \" 0\\n$p\"); return; } my ($t, $g) = "
    "(\"o\", \"\"); if (-l _) { $t = \"l\"; $g = readlink($f) // \"\"; } elsif "
    "(-d _) { $t = \"d\"; } elsif (-f _) { $t = \"f\"; } else { return; } "
    "$base{$p} = $k; out(\"$t $s[7] $s[9] $s[10] $s[2] \" . length($p) . \" \" "
    ". length($g) . \"\\n$p$g\"); return unless $t eq \"f\"; my $n = $s[7]; if "
    "(open(my $h, \"<\", $f)) { binmode $h; while ($n > 0) { my $r = "
    "sysread($h, my $b, $n > 65536 ? 65536 : $n); last unless $r; out($b); $n "
    "-= $r; } close $h; } out(\"\\0\" x $n) if $n > 0; }\n"
    "if ($two) {\n"
    " require Config; my ($a) = $Config::Config{archname} =~ /^([^-]+)/; $a = "
    "\"i386\" if $a =~ /^i[3-6]86$/;\n"
    " my %nr = (x86_64 => \"294 254\", aarch64 => \"26 27\", riscv64 => \"26 "
    "27\", i386 => \"332 292\", arm => \"360 317\");\n"
    " my ($init) = split / /, $nr{$a} // \"\"; (undef, $add) = split / /, "
    "$nr{$a} // \"\";\n"
    " $ifd = defined $init ? syscall($init, 04000 | 02000000) : -1;\n"
    " if ($ifd < 0 || !open($ih, \"<&=\", $ifd)) { print \"BERTH-SYNC-REFUSED "
    "two-way sync needs inotify in the guest (\" . ($nr{$a} ? \"$!\" : \"no "
    "system call numbers for $a\") . \")\\n\"; exit 3; }\n"
    " binmode $ih;\n"
    "}\n"
    "out($two ? \"BERTH-SYNC 1 $hn $id\\n\" : \"BERTH-SYNC 1\\n\"); flush();\n"
    "while (defined(my $h = <STDIN>)) {\n"
    " chomp $h; my ($op, $mode, $mt, $len, $pl) = split / /, $h;\n"
    " if (!defined $pl || $pl !~ /^\\d+$/ || $len !~ /^\\d+$/) { err(\"\", "
    "\"bad frame\"); out(\"A 0 $ok $failed\\n\"); flush(); exit 2; }\n"
    " my $p = $pl ? readn($pl) : \"\";\n"
    " drain() if $two && ++$frames % 256 == 0;\n"
    " if ($op eq \"S\") { out(\"A $mode $ok $failed\\n\"); flush(); ($ok, "
    "$failed) = (0, 0); next; }\n"
    " if ($op eq \"Q\") { flush(); exit 0; }\n"
    " if ($op eq \"M\") { %base = (); walk(\"\", 1); out(\"END\\n\"); flush(); "
    "next; }\n"
    " if ($op eq \"C\") { drain(); if ($over) { ($over, %dirty, %mvf, @mv, "
    "%held) = (0); out(\"O\\n\"); } if ($nowatch) { err(\"\", \"the guest ran "
    "out of "
    "inotify "
    "watches (raise fs.inotify.max_user_watches): changes in some guest "
    "folders are not seen\"); $nowatch = 0; } mvrep(@$_) for @mv; (@mv, "
    "%mvf) = (); my %keep; for my $r (sort keys %dirty) { next if bad($r); "
    "if ($dirty{$r} == 2 && hold($r)) { $keep{$r} = 2; next; } delete "
    "$held{$r}; report($r); } %dirty = %keep; out(\"END\\n\"); flush(); "
    "next; }\n"
    " if (bad($p)) { skip($len); err($p, \"refused: not a plain relative "
    "path\"); next; }\n"
    " my $f = \"$root/$p\";\n"
    " if ($op eq \"G\") { skip($len); if ($mode) { forget($p); walk($p, 0) if "
    "lstat $f && -d _; } else { delete $base{$p}; } $dirty{$p} = 1; next; }\n"
    " if ($op eq \"I\") { skip($len); $ign{$p} = 1; delete @dirty{grep { $_ eq "
    "$p || index($_, \"$p/\") == 0 } keys %dirty}; next; }\n"
    " if ($op eq \"K\") { skip($len); conflict($p) if lstat $f; next; }\n"
    " if ($op eq \"R\") { my $t = $len ? readn($len) : \"\"; my $to = "
    "\"$root/$t\"; if (bad($t) || !parent($t)) { err($t, \"refused: not a "
    "plain relative path\"); next; } my $d = lstat($f) && -d _; if (!lstat $f "
    "|| lstat $to || (!$d && changed($p))) { conflict($p) if lstat $f && !$d "
    "&& changed($p); out(\"N \" . length($t) . \"\\n$t\"); next; } if "
    "(!rename($f, $to)) { out(\"N \" . length($t) . \"\\n$t\"); next; } "
    "mvbase($p, $t); $base{$t} = key($to) unless "
    "$d; $ok++; next; }\n"
    " if (!parent($p)) { skip($len); err($p, \"refused: a parent is not a "
    "folder\"); next; }\n"
    " if ($two && $op ne \"X\" && lstat $f && !-d _ && changed($p)) { "
    "conflict($p); }\n"
    " if ($op eq \"F\") {\n"
    "  rmt($f) if lstat $f and !-f _;\n"
    "  my $fh; if (!sysopen($fh, $f, O_WRONLY | O_CREAT | O_TRUNC | "
    "O_NOFOLLOW, $mode & 0777)) { skip($len); err($p, \"open: $!\"); next; }\n"
    "  my ($n, $e) = ($len, \"\"); while ($n > 0) { my $b; my $r = read(STDIN, "
    "$b, $n > 65536 ? 65536 : $n); if (!$r) { utime 0, 0, $f; exit 0; } $n -= "
    "$r; if ($e eq \"\") { my $w = syswrite($fh, $b); $e = \"write: $!\" "
    "unless defined $w && $w == $r; } }\n"
    "  close $fh or $e = \"close: $!\";\n"
    "  if ($e ne \"\") { err($p, $e); next; }\n"
    "  chmod $mode & 07777, $f; utime $mt, $mt, $f; $ok++; $base{$p} = key($f) "
    "if $two;\n"
    " } elsif ($op eq \"D\") {\n"
    "  skip($len); rmt($f) if lstat $f and !-d _;\n"
    "  if (!-d $f && !mkdir($f, $mode & 07777)) { err($p, \"mkdir: $!\"); "
    "next; }\n"
    "  chmod $mode & 07777, $f; $ok++; if ($two) { watch($p); $base{$p} = "
    "key($f); }\n"
    " } elsif ($op eq \"L\") {\n"
    "  my $t = $len ? readn($len) : \"\";\n"
    "  if (escapes($p, $t)) { err($p, \"refused: the link leaves the "
    "folder\"); next; }\n"
    "  rmt($f) if lstat $f; if (!symlink($t, $f)) { err($p, \"symlink: $!\"); "
    "next; } $ok++; $base{$p} = key($f) if $two;\n"
    " } elsif ($op eq \"X\") {\n"
    "  skip($len); if (!rmt($f, $two ? $p : undef)) { err($p, \"delete: $!\") "
    "unless $two && -e $f; next; } forget($p); $ok++;\n"
    " } else { skip($len); err($p, \"unknown operation $op\"); }\n"
    "}\n"
    "flush();\n";
