#!/usr/bin/perl
# gen-tree.pl: generate a tree shaped like a JavaScript project (a small src/
# plus a deep node_modules/) for the scanner benchmark. Deterministic for a
# given seed. Usage: gen-tree.pl DIR [FILES=100000] [DIRS=6000] [SEED=7]
use strict;
use warnings;

my ($root, $nfiles, $ndirs, $seed) = @ARGV;
die "usage: gen-tree.pl DIR [FILES] [DIRS] [SEED]\n" unless defined $root;
$nfiles //= 100000;
$ndirs  //= 6000;
$seed   //= 7;
srand($seed);
die "gen-tree.pl: $root exists; remove it first\n" if -e $root;

my @sub = qw(lib dist src esm cjs utils internal types helpers test
  build modules core util plugins common node browser fixtures es5 umd);
my @ext = qw(js js js js mjs cjs ts d.ts json map md jsx css);
my @stem = qw(index main utils helpers core parse format compile
  types config constants errors stream buffer async sync runtime loader
  plugin module client server hooks shared events cache);

# Directories as [path, depth]; depth counts path components below root.
my @dirs = (["src", 1], ["node_modules", 1], ["public", 1]);
my $npkg = int($ndirs / 8);
for my $p (0 .. $npkg - 1) {
	my $name = $p % 9 == 0 ? "\@scope" . ($p % 37) . "/pkg$p" : "pkg$p";
	my $depth = ($name =~ tr{/}{}) + 2;
	push @dirs, ["node_modules/\@scope" . ($p % 37), 2]
	  if $p % 9 == 0 && !grep { $_->[0] eq "node_modules/\@scope" . ($p % 37) } @dirs;
	push @dirs, ["node_modules/$name", $depth];
}
my %seen = map { $_->[0] => 1 } @dirs;
while (@dirs < $ndirs) {
	my $parent = $dirs[int(rand(@dirs))];
	next if $parent->[1] >= 8;
	my $path = $parent->[0] . "/" . $sub[int(rand(@sub))];
	$path .= int(rand(4)) if rand() < 0.3;
	next if $seen{$path}++;
	push @dirs, [$path, $parent->[1] + 1];
}

mkdir $root or die "mkdir $root: $!\n";
for my $d (sort { length($a->[0]) <=> length($b->[0]) } @dirs) {
	mkdir "$root/$d->[0]" or die "mkdir $root/$d->[0]: $!\n";
}

# Files: a package.json per package, the rest spread with a skew so a few
# directories are large (like dist/ folders) and most are small.
my $made = 0;
my %fseen;
for my $d (@dirs) {
	next unless $d->[0] =~ m{^node_modules/(\@[^/]+/)?pkg\d+$};
	make_file("$d->[0]/package.json");
}
while ($made < $nfiles) {
	my $d = $dirs[int(rand(@dirs))];
	$d = $dirs[int(rand() * rand() * @dirs)] if rand() < 0.3;
	my $name = $stem[int(rand(@stem))];
	$name .= "-" . int(rand(500)) if rand() < 0.7;
	$name .= "." . $ext[int(rand(@ext))];
	make_file("$d->[0]/$name");
}
printf "%s: %d files in %d directories\n", $root, $made, scalar(@dirs) + 1;

sub make_file {
	my ($rel) = @_;
	return if $fseen{$rel}++;
	my $path = "$root/$rel";
	open(my $fh, ">", $path) or die "open $path: $!\n";
	print $fh "x" x int(rand(rand() < 0.9 ? 2000 : 40000));
	close($fh);
	$made++;
}
