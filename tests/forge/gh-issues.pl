# `gh issue list` and `gh issue view <n>` with `--json <fields>`, for the stand-in gh: the
# issues are $dir/issues/<n>.json; the output is what gh prints when it is not a terminal.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use JsonFile qw(load save);

my ($dir, $sub, $verb, @args) = @ARGV;
my $json = JsonFile::json();
sub repo_labels {
    open my $fh, '<', "$dir/labels" or return ();
    chomp(my @l = <$fh>);
    return @l;
}
sub issue_or_die {
    my ($n) = @_;
    my $i = load("$dir/issues/$n.json");
    return $i if $i;
    print STDERR "GraphQL: Could not resolve to an issue or pull request with the number of $n. (repository.issue)\n";
    exit 1;
}
if ($sub eq 'label' && $verb eq 'create') {
    my $name = shift @args;
    my %seen = map { $_ => 1 } repo_labels();
    my $force = grep { $_ eq '--force' } @args;
    if ($seen{$name} && !$force) { print STDERR "label with name \"$name\" already exists; use `--force` to update its color and description\n"; exit 1 }
    if (!$seen{$name}) { open my $fh, '>>', "$dir/labels" or die; print $fh "$name\n" }
    exit 0;
}
if ($sub eq 'issue' && $verb eq 'edit') {
    my $n = shift @args;
    my $i = issue_or_die($n);
    my %repo = map { $_ => 1 } repo_labels(), map { $_->{name} } map { @{ (load("$dir/issues/$_") || {})->{labels} || [] } } do { opendir my $d, "$dir/issues"; grep { /^\d+\.json$/ } readdir $d };
    while (@args) {
        my $a = shift @args;
        my $l = shift @args;
        if ($a eq '--add-label') {
            $repo{$l} or do { print STDERR "'$l' not found\n"; exit 1 };
            push @{ $i->{labels} }, { id => "LA_$l", name => $l, description => '', color => '5319e7' } unless grep { $_->{name} eq $l } @{ $i->{labels} };
        } elsif ($a eq '--remove-label') {
            $i->{labels} = [ grep { $_->{name} ne $l } @{ $i->{labels} } ];
        } else { print STDERR "unknown flag: $a\n"; exit 1 }
    }
    save("$dir/issues/$n.json", $i);
    print "$i->{url}\n";
    exit 0;
}
if ($sub eq 'issue' && $verb eq 'comment') {
    my ($n, $flag, $body) = @args;
    $flag eq '--body' or do { print STDERR "stand-in gh: only --body\n"; exit 1 };
    my $i = issue_or_die($n);
    my $id = 901;
    if (open my $fh, '<', "$dir/next-comment") { $id = 1 + <$fh> }
    open my $out, '>', "$dir/next-comment" or die;
    print $out $id;
    close $out;
    my $url = "$i->{url}#issuecomment-$id";
    push @{ $i->{comments} }, { id => "IC_$id", author => { login => 'epic-bot' }, authorAssociation => 'MEMBER', body => $body, createdAt => '2026-12-03T12:00:00Z', includesCreatedEdit => JSON::PP::false, isMinimized => JSON::PP::false, minimizedReason => '', reactionGroups => [], url => $url, viewerDidAuthor => JSON::PP::true };
    save("$dir/issues/$n.json", $i);
    print "$url\n";
    exit 0;
}
if ($sub eq 'issue' && $verb eq 'close') {
    my $n = shift @args;
    my $i = issue_or_die($n);
    if ($i->{state} eq 'CLOSED') { print STDERR "! Issue acme/shop#$n ($i->{title}) is already closed\n"; exit 0 }
    $i->{state} = 'CLOSED';
    $i->{closed} = JSON::PP::true;
    save("$dir/issues/$n.json", $i);
    print STDERR "✓ Closed issue acme/shop#$n ($i->{title})\n";
    exit 0;
}
if ($sub eq 'api') {
    # api -X PATCH repos/{owner}/{repo}/issues/comments/<id> -f body=...
    my ($method, $path, $f, $field) = @args;
    my ($id) = $path =~ m{^repos/(?:\{owner\}/\{repo\}|acme/shop)/issues/comments/(\d+)$};
    ($method eq 'PATCH' && $id && $f eq '-f' && $field =~ s/^body=//s) or do { print STDERR "gh: Not Found (HTTP 404)\n"; exit 1 };
    opendir my $d, "$dir/issues";
    for my $file (grep { /^\d+\.json$/ } readdir $d) {
        my $i = load("$dir/issues/$file");
        for my $c (@{ $i->{comments} }) {
            next unless $c->{url} =~ /#issuecomment-$id$/;
            $c->{body} = $field;
            save("$dir/issues/$file", $i);
            print $json->encode({ id => $id + 0, body => $field, html_url => $c->{url} }), "\n";
            exit 0;
        }
    }
    print STDERR "gh: Not Found (HTTP 404)\n";
    exit 1;
}
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
