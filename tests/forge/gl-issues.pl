# `glab issue list` and `glab issue view <iid>` with `-F json`, for the stand-in glab: the
# issues are $dir/gl-issues/<iid>.json, GitLab's REST issue objects, printed whole as glab does.
use strict;
use warnings;
use JSON::PP;

my ($dir, $sub, $verb, @args) = @ARGV;
my ($format, $number, @labels, $milestone, $state, $per_page) = ('text');
$state = 'opened';
$per_page = 30;
while (@args) {
    my $a = shift @args;
    if ($a eq '-F' || $a eq '--output') { $format = shift @args }
    elsif ($a eq '--label' || $a eq '-l') { push @labels, split /,/, shift @args }
    elsif ($a eq '--milestone' || $a eq '-m') { $milestone = shift @args }
    elsif ($a eq '--all' || $a eq '-A') { $state = 'all' }
    elsif ($a eq '--closed' || $a eq '-c') { $state = 'closed' }
    elsif ($a eq '--per-page' || $a eq '-P') { $per_page = shift @args }
    elsif ($verb eq 'view' && !defined $number && $a =~ /^#?(\d+)$/) { $number = $1 }
    else { print STDERR "ERROR: unknown flag: $a\n"; exit 1 }
}
$format eq 'json' or do { print STDERR "stand-in glab: only -F json output\n"; exit 1 };
my $json = JSON::PP->new->canonical->utf8;
sub load {
    my ($path) = @_;
    open my $fh, '<', $path or return;
    local $/;
    return $json->decode(<$fh>);
}
if ($verb eq 'view') {
    my $issue = defined $number ? load("$dir/gl-issues/$number.json") : undef;
    $issue or do { print STDERR "ERROR: 404 Not found\n"; exit 1 };
    print $json->encode($issue), "\n";
    exit 0;
}
opendir my $dh, "$dir/gl-issues" or do { print "[]\n"; exit 0 };
my @issues = map { load("$dir/gl-issues/$_") } grep { /^\d+\.json$/ } readdir $dh;
@issues = grep {
    my $i = $_;
    ($state eq 'all' || $i->{state} eq $state)
      && (!@labels || !grep { my $l = $_; !grep { $_ eq $l } @{ $i->{labels} } } @labels)
      && (!defined $milestone || ($i->{milestone} && $i->{milestone}{title} eq $milestone))
} @issues;
@issues = sort { $b->{iid} <=> $a->{iid} } @issues;
splice @issues, $per_page if @issues > $per_page;
print $json->encode(\@issues), "\n";
