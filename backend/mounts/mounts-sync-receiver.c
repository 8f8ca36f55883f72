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
    "use strict; use Fcntl;\n"
    "my $root = shift; $root =~ s{/+$}{}; die \"no folder\\n\" if $root eq "
    "\"\";\n"
    "my $mark = $root =~ m{^(.*)/([^/]+)$} ? \"$1/.$2.berth-sync\" : "
    "\".$root.berth-sync\";\n"
    "if (-d $root && !-e $mark) { opendir(my $h, $root) or die \"$root: "
    "$!\\n\"; my @e = grep { $_ ne \".\" && $_ ne \"..\" } readdir $h; "
    "closedir $h; if (@e) { print \"BERTH-SYNC-REFUSED $root is not empty "
    "and berth did not make it (no $mark): empty it or choose another guest "
    "path\\n\"; exit 3; } }\n"
    "{ my $p = $root =~ m{^/} ? \"\" : \".\"; for (grep { length } split m{/}, "
    "$root) { $p .= \"/$_\"; "
    "mkdir $p, 0755 unless -d $p; } }\n"
    "-d $root or die \"cannot make $root: $!\\n\";\n"
    "-e $mark or open(my $mh, \">\", $mark) or die \"cannot make $mark: "
    "$!\\n\";\n"
    "binmode STDIN; binmode STDOUT;\n"
    "my ($ok, $failed, $o) = (0, 0, \"\");\n"
    "sub out { $o .= $_[0]; flush() if length($o) > 65536; }\n"
    "sub flush { while (length $o) { my $w = syswrite(STDOUT, $o); "
    "exit 1 unless defined $w; substr($o, 0, $w) = \"\"; } }\n"
    "sub err { my ($p, $m) = @_; $failed++; "
    "out(\"E \" . length($p) . \" \" . length($m) . \"\\n$p$m\"); }\n"
    "sub readn { my $n = shift; my $b = \"\"; while (length($b) < $n) { "
    "my $r = read(STDIN, $b, $n - length($b), length($b)); exit 0 unless $r; "
    "} $b }\n"
    "sub skip { my $n = shift; while ($n > 0) { my $b; my $r = read(STDIN, "
    "$b, $n > 65536 ? 65536 : $n); exit 0 unless $r; $n -= $r; } }\n"
    "sub bad { my $p = shift; return 1 if $p eq \"\" || $p =~ m{^/} || $p =~ "
    "/\\0/; for (split m{/}, $p, -1) { return 1 if $_ eq \"\" || $_ eq \".\" "
    "|| $_ eq \"..\"; } 0 }\n"
    "sub escapes { my ($p, $t) = @_; return 1 if $t eq \"\" || $t =~ m{^/} "
    "|| $t =~ /\\0/; my @d = split m{/}, $p; pop @d; for (split m{/}, $t) { "
    "next if $_ eq \"\" || $_ eq \".\"; if ($_ eq \"..\") { return 1 unless "
    "@d; pop @d; } else { push @d, $_; } } 0 }\n"
    "sub parent { my @c = split m{/}, shift; pop @c; my $d = $root; for (@c) "
    "{ $d .= \"/$_\"; if (!lstat $d) { mkdir $d, 0755 or return 0; } elsif "
    "(!-d _) { return 0; } } 1 }\n"
    "sub rmt { my $p = shift; lstat $p or return 1; if (-d _) { opendir(my "
    "$h, $p) or return 0; my @e = grep { $_ ne \".\" && $_ ne \"..\" } "
    "readdir $h; closedir $h; rmt(\"$p/$_\") for @e; return rmdir $p; } "
    "unlink $p }\n"
    "sub walk { my $rel = shift; my $d = $rel eq \"\" ? $root : "
    "\"$root/$rel\"; opendir(my $h, $d) or return; my @e = sort grep { $_ ne "
    "\".\" && $_ ne \"..\" } readdir $h; closedir $h; for my $n (@e) { my $r "
    "= $rel eq \"\" ? $n : \"$rel/$n\"; my @s = lstat \"$root/$r\" or next; "
    "my ($t, $g) = (\"o\", \"\"); if (-l _) { $t = \"l\"; $g = "
    "readlink(\"$root/$r\") // \"\"; } elsif (-d _) { $t = \"d\"; } elsif "
    "(-f _) { $t = \"f\"; } out(\"$t $s[7] $s[9] $s[10] $s[2] \" . "
    "length($r) . \" \" . length($g) . \"\\n$r$g\"); walk($r) if $t eq \"d\"; "
    "} }\n"
    "out(\"BERTH-SYNC 1\\n\"); flush();\n"
    "while (defined(my $h = <STDIN>)) {\n"
    " chomp $h; my ($op, $mode, $mt, $len, $pl) = split / /, $h;\n"
    " if (!defined $pl || $pl !~ /^\\d+$/ || $len !~ /^\\d+$/) { err(\"\", "
    "\"bad frame\"); out(\"A 0 $ok $failed\\n\"); flush(); exit 2; }\n"
    " my $p = $pl ? readn($pl) : \"\";\n"
    " if ($op eq \"S\") { out(\"A $mode $ok $failed\\n\"); flush(); ($ok, "
    "$failed) = (0, 0); next; }\n"
    " if ($op eq \"Q\") { flush(); exit 0; }\n"
    " if ($op eq \"M\") { walk(\"\"); out(\"END\\n\"); flush(); next; }\n"
    " if (bad($p)) { skip($len); err($p, \"refused: not a plain relative "
    "path\"); next; }\n"
    " my $f = \"$root/$p\";\n"
    " if (!parent($p)) { skip($len); err($p, \"refused: a parent is not a "
    "folder\"); next; }\n"
    " if ($op eq \"F\") {\n"
    "  rmt($f) if lstat $f and !-f _;\n"
    "  my $fh; if (!sysopen($fh, $f, O_WRONLY | O_CREAT | O_TRUNC | "
    "O_NOFOLLOW, $mode & 0777)) { skip($len); err($p, \"open: $!\"); next; "
    "}\n"
    "  my ($n, $e) = ($len, \"\"); while ($n > 0) { my $b; my $r = read(STDIN, "
    "$b, $n > 65536 ? 65536 : $n); exit 0 unless $r; $n -= $r; if ($e eq "
    "\"\") { my $w = syswrite($fh, $b); $e = \"write: $!\" unless defined $w "
    "&& $w == $r; } }\n"
    "  close $fh or $e = \"close: $!\";\n"
    "  if ($e ne \"\") { err($p, $e); next; }\n"
    "  chmod $mode & 07777, $f; utime $mt, $mt, $f; $ok++;\n"
    " } elsif ($op eq \"D\") {\n"
    "  skip($len); rmt($f) if lstat $f and !-d _;\n"
    "  if (!-d $f && !mkdir($f, $mode & 07777)) { err($p, \"mkdir: $!\"); "
    "next; "
    "}\n"
    "  chmod $mode & 07777, $f; $ok++;\n"
    " } elsif ($op eq \"L\") {\n"
    "  my $t = $len ? readn($len) : \"\";\n"
    "  if (escapes($p, $t)) { err($p, \"refused: the link leaves the "
    "folder\"); next; }\n"
    "  rmt($f) if lstat $f; if (!symlink($t, $f)) { err($p, \"symlink: $!\"); "
    "next; } $ok++;\n"
    " } elsif ($op eq \"X\") {\n"
    "  skip($len); if (!rmt($f)) { err($p, \"delete: $!\"); next; } $ok++;\n"
    " } else { skip($len); err($p, \"unknown operation $op\"); }\n"
    "}\n"
    "flush();\n";
