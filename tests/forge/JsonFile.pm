# Reading and writing the stand-in forges' JSON files (issues, labels), as gh and glab print
# them: canonical key order, UTF-8.
package JsonFile;
use strict;
use warnings;
use JSON::PP;
use Exporter 'import';
our @EXPORT_OK = qw(load save json);

my $json = JSON::PP->new->canonical->utf8;

sub json { return $json }

# The decoded file, or nothing when it cannot be read.
sub load {
    my ($path) = @_;
    open my $fh, '<', $path or return;
    local $/;
    return $json->decode(<$fh>);
}

sub save {
    my ($path, $v) = @_;
    open my $fh, '>', $path or die "cannot write $path";
    print $fh $json->encode($v);
}

1;
