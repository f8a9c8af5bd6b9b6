# `gh issue list` and `gh issue view <n>` with `--json <fields>`, for the stand-in gh: the
# issues are $dir/issues/<n>.json; the output is what gh prints when it is not a terminal.
use strict;
use warnings;
use JSON::PP;

my ($dir, $sub, $verb, @args) = @ARGV;
my ($fields, $number, @labels, $milestone, $state, $limit);
$state = 'open';
$limit = 30;
while (@args) {
    my $a = shift @args;
    if ($a eq '--json') { $fields = shift @args }
    elsif ($a eq '--label' || $a eq '-l') { push @labels, shift @args }
    elsif ($a eq '--milestone' || $a eq '-m') { $milestone = shift @args }
    elsif ($a eq '--state' || $a eq '-s') { $state = shift @args }
    elsif ($a eq '--limit' || $a eq '-L') { $limit = shift @args }
    elsif ($verb eq 'view' && !defined $number && $a =~ /^#?(\d+)$/) { $number = $1 }
    else { print STDERR "unknown flag: $a\n"; exit 1 }
}
my @known = qw(assignees author body closed closedAt comments createdAt id isPinned labels
  milestone number projectCards projectItems reactionGroups state stateReason title updatedAt url);
defined $fields or do { print STDERR "stand-in gh: only --json output\n"; exit 1 };
my @want = split /,/, $fields;
for my $f (@want) {
    next if grep { $_ eq $f } @known;
    print STDERR "Unknown JSON field: \"$f\"\n";
    exit 1;
}
my $json = JSON::PP->new->canonical->utf8;
sub load {
    my ($path) = @_;
    open my $fh, '<', $path or return;
    local $/;
    return $json->decode(<$fh>);
}
sub pick {
    my ($issue) = @_;
    return { map { $_ => $issue->{$_} } @want };
}
if ($verb eq 'view') {
    my $issue = defined $number ? load("$dir/issues/$number.json") : undef;
    if (!$issue) {
        print STDERR "GraphQL: Could not resolve to an issue or pull request with the number of "
          . ($number // '') . ". (repository.issue)\n";
        exit 1;
    }
    print $json->encode(pick($issue)), "\n";
    exit 0;
}
opendir my $dh, "$dir/issues" or do { print "[]\n"; exit 0 };
my @issues = map { load("$dir/issues/$_") } grep { /^\d+\.json$/ } readdir $dh;
@issues = grep {
    my $i = $_;
    ($state eq 'all' || lc($i->{state}) eq $state)
      && (!@labels || !grep { my $l = $_; !grep { $_->{name} eq $l } @{ $i->{labels} } } @labels)
      && (!defined $milestone
        || ($i->{milestone} && ($i->{milestone}{title} eq $milestone || $i->{milestone}{number} eq $milestone)))
} @issues;
@issues = sort { $b->{number} <=> $a->{number} } @issues;
splice @issues, $limit if @issues > $limit;
print $json->encode([map { pick($_) } @issues]), "\n";
