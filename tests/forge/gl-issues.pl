# `glab issue list` and `glab issue view <iid>` with `-F json`, for the stand-in glab: the
# issues are $dir/gl-issues/<iid>.json, GitLab's REST issue objects, printed whole as glab does.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use JsonFile qw(load save);

my ($dir, $sub, $verb, @args) = @ARGV;
my $json = JsonFile::json();
sub issue_or_die {
    my ($n) = @_;
    my $i = load("$dir/gl-issues/$n.json");
    return $i if $i;
    print STDERR "ERROR: 404 Not found\n";
    exit 1;
}
if ($sub eq 'issue' && $verb eq 'update') {
    my $n = shift @args;
    my $i = issue_or_die($n);
    while (@args) {
        my ($a, $l) = (shift @args, shift @args);
        if ($a eq '--label' || $a eq '-l') { push @{ $i->{labels} }, $l unless grep { $_ eq $l } @{ $i->{labels} } }
        elsif ($a eq '--unlabel' || $a eq '-u') { $i->{labels} = [ grep { $_ ne $l } @{ $i->{labels} } ] }
        else { print STDERR "ERROR: unknown flag: $a\n"; exit 1 }
    }
    save("$dir/gl-issues/$n.json", $i);
    print "- Updating issue #$n\n$i->{web_url}\n";
    exit 0;
}
if ($sub eq 'issue' && $verb eq 'note') {
    my ($n, $flag, $body) = @args;
    ($flag eq '-m' || $flag eq '--message') or do { print STDERR "stand-in glab: only -m\n"; exit 1 };
    my $i = issue_or_die($n);
    my $notes = load("$dir/gl-issues/$n.notes.json") || [];
    my $id = 7001 + @$notes + 100 * $n;
    push @$notes, { id => $id, body => $body, author => { username => 'epic-bot' }, system => JSON::PP::false, noteable_iid => $n + 0 };
    save("$dir/gl-issues/$n.notes.json", $notes);
    print "$i->{web_url}#note_$id\n";
    exit 0;
}
if ($sub eq 'issue' && $verb eq 'close') {
    my $n = shift @args;
    my $i = issue_or_die($n);
    $i->{state} = 'closed';
    save("$dir/gl-issues/$n.json", $i);
    print "- Closing Issue...\n✓ Closed Issue #$n\n";
    exit 0;
}
if ($sub eq 'api') {
    my ($method, $path, $f, $field) = @args;
    my ($n, $id) = $path =~ m{^projects/:id/issues/(\d+)/notes/(\d+)$};
    ($method eq 'PUT' && $id && $f eq '-f' && $field =~ s/^body=//s) or do { print STDERR "ERROR: 404 Not Found\n"; exit 1 };
    my $notes = load("$dir/gl-issues/$n.notes.json") || [];
    for my $note (@$notes) {
        next unless $note->{id} == $id;
        $note->{body} = $field;
        save("$dir/gl-issues/$n.notes.json", $notes);
        print $json->encode($note), "\n";
        exit 0;
    }
    print STDERR "ERROR: 404 Not Found\n";
    exit 1;
}
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
