package Arthexis::Test;

# What every arthexis suite shares, on top of Test::Nginx::Socket (which
# the .t file loads itself, so the suites run under upstream test-nginx as
# well as under our bundled one):
#
#   - the database: TEST_NGINX_DATABASE=sqlite (default) or postgresql
#     (with TEST_NGINX_PG_DSN, a libpq string); this module sets
#     $TEST_NGINX_ARTHEXIS_DATABASE for `arthexis_database` in http_config
#     and gives every block a fresh, empty database (SQLite: a new file;
#     PostgreSQL: a new schema per test file, dropped and made again);
#   - WebSocket helpers for raw_request/response_body eval sections:
#     ws_handshake(), ws_frame(), ws_close(), ws_frames_text(), and a small
#     blocking client (ws_connect) for multi-connection scenarios.
#
# Use it as:  use lib 't/lib'; use Test::Nginx::Socket; use Arthexis::Test;

use strict;
use warnings;

use Exporter 'import';
use File::Basename qw( basename );
use IO::Socket::INET ();
use IO::Select ();
use Time::HiRes qw( time sleep );
use Protocol::WebSocket::Frame ();
use MIME::Base64 qw( encode_base64 );
use POSIX ();

our @EXPORT = qw(
    ws_handshake ws_frame ws_close ws_frames_text ws_decode
    ws_connect ws_send ws_recv ws_recv_frame ws_disconnect
    arthexis_database arthexis_cli arthexis_sql
    hold_database hold_database_then_query http_get
    $RFC_KEY $RFC_ACCEPT
);

our $RFC_KEY    = 'x3JJHMbDL1EzLkh9GBhXDw==';
our $RFC_ACCEPT = 'HSmrc0sMlYUkAGmm5OPpG2HaGWk=';

# a peer that closes first must not kill the test process
$SIG{PIPE} = 'IGNORE';

my $Engine = $ENV{TEST_NGINX_DATABASE} || 'sqlite';
my $Schema;

# ---------------------------------------------------------------------------
# The database
# ---------------------------------------------------------------------------

sub arthexis_database () { $ENV{TEST_NGINX_ARTHEXIS_DATABASE} }

if ($Engine eq 'postgresql') {
    my $dsn = $ENV{TEST_NGINX_PG_DSN}
        or die "TEST_NGINX_DATABASE=postgresql needs TEST_NGINX_PG_DSN\n";

    ($Schema = 't_' . basename($0, '.t')) =~ s/[^a-z0-9_]/_/gi;
    $Schema = lc $Schema;

    # application_name marks our connections: the reset below ends those
    # of the previous block's nginx, which may still be running
    $ENV{TEST_NGINX_ARTHEXIS_DATABASE} =
        "$dsn application_name=$Schema options='-csearch_path=$Schema'";

} else {
    # relative to the nginx prefix (the servroot); logs/ is made afresh
    # for every block, and the runner wants nothing else left behind
    $ENV{TEST_NGINX_ARTHEXIS_DATABASE} = 'sqlite:logs/arthexis.sqlite3';
}

# a fresh database for every block
Test::Nginx::Util::add_block_preprocessor(sub {
    reset_database();
});

sub reset_database () {
    if ($Engine eq 'postgresql') {
        psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
             . "WHERE application_name = '$Schema' "
             . "AND pid <> pg_backend_pid(); "
             . "SET lock_timeout = '10s'; "
             . "DROP SCHEMA IF EXISTS $Schema CASCADE; CREATE SCHEMA $Schema;");
        return;
    }

    my $root = Test::Nginx::Util::server_root();
    unlink map { "$root/logs/arthexis.sqlite3$_" } ('', '-wal', '-shm');
}

sub psql ($) {
    my $sql = shift;
    my $dsn = $ENV{TEST_NGINX_PG_DSN};

    system('psql', '-X', '-q', '-o', '/dev/null', '-v', 'ON_ERROR_STOP=1',
           '-d', $dsn,
           '-c', "SET client_min_messages = warning; $sql") == 0
        or die "psql failed: $sql\n";
}

# runs the arthexis CLI on the block's database; returns its output
sub arthexis_cli (@) {
    my @args = @_;
    my $bin = $ENV{TEST_NGINX_ARTHEXIS} or die "TEST_NGINX_ARTHEXIS not set\n";
    my $db = $ENV{TEST_NGINX_ARTHEXIS_DATABASE};

    if ($db =~ /^sqlite:(?!\/)(.*)/) {
        $db = 'sqlite:' . Test::Nginx::Util::server_root() . "/$1";
    }

    open my $fh, '-|', $bin, @args, '--database', $db
        or die "cannot run $bin: $!\n";
    local $/;
    my $out = <$fh>;
    close $fh;

    return wantarray ? ($out, $? >> 8) : $out;
}

# one SQL statement on the block's database, through the sqlite3 or psql
# command-line client; returns the rows as "a|b" lines
sub arthexis_sql ($) {
    my $sql = shift;

    if ($Engine eq 'postgresql') {
        my $dsn = $ENV{TEST_NGINX_PG_DSN};
        open my $fh, '-|', 'psql', '-X', '-q', '-A', '-t', '-d', $dsn,
            '-c', "SET search_path = $Schema; $sql"
            or die "psql: $!\n";
        local $/;
        my $out = <$fh>;
        close $fh;
        return $out // '';
    }

    my $file = Test::Nginx::Util::server_root() . '/logs/arthexis.sqlite3';
    open my $fh, '-|', 'sqlite3', '-batch', $file, $sql
        or die "sqlite3: $!\n";
    local $/;
    my $out = <$fh>;
    close $fh;

    return $out // '';
}

# a plain HTTP GET on the test server: (status, body)
sub http_get ($;$) {
    my ($path, $timeout) = @_;
    my $port = $ENV{TEST_NGINX_SERVER_PORT} // 1984;

    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $port, Proto => 'tcp',
                                     Timeout => $timeout // 3)
        or return (0, '');

    print $sock "GET $path HTTP/1.1\r\nHost: localhost\r\n"
                . "Connection: close\r\n\r\n";

    my $ws = { sock => $sock, buf => '' };
    my $deadline = time + ($timeout // 3);
    1 while _fill($ws, $deadline);
    close $sock;

    my ($status) = $ws->{buf} =~ m{^HTTP/1\.1 (\d+)};
    my (undef, $body) = split /\r\n\r\n/, $ws->{buf}, 2;

    return ($status // 0, $body // '');
}

# Takes the database's write lock for $secs seconds in a child process, so
# that writes wait (SQLite: BEGIN IMMEDIATE; PostgreSQL: an exclusive lock
# on the table the status route updates).
# Returns once the lock is held.  Needs location = /arthexis/status.
sub hold_database ($) {
    my $secs = shift;

    # the workers apply migrations at start: wait until that is done
    my $deadline = time + 5;
    while (time < $deadline) {
        my ($status) = http_get('/arthexis/status', 1);
        last if $status == 200;
        sleep 0.05;
    }

    pipe(my $r, my $w) or die "pipe: $!\n";

    my $pid = fork // die "fork: $!\n";

    if ($pid == 0) {
        close $r;
        my $ok;

        if ($Engine eq 'postgresql') {
            open my $fh, '|-', 'psql', '-X', '-q', '-d',
                $ENV{TEST_NGINX_PG_DSN} or exit 1;
            select((select($fh), $| = 1)[0]);
            print $fh "SET search_path = $Schema; BEGIN; "
                      . "LOCK TABLE arthexis_health IN ACCESS EXCLUSIVE "
                      . "MODE;\n\\! touch /dev/null\n";
            sleep 0.3;
            print $w "ready\n";
            close $w;
            sleep $secs;
            print $fh "COMMIT;\n";
            close $fh;

        } else {
            my $file = Test::Nginx::Util::server_root()
                       . '/logs/arthexis.sqlite3';
            open my $fh, '|-', 'sqlite3', '-batch', $file or exit 1;
            select((select($fh), $| = 1)[0]);
            print $fh ".timeout 5000\nBEGIN IMMEDIATE;\n"
                      . "UPDATE arthexis_health SET checked_at = 'held';\n";
            sleep 0.3;
            print $w "ready\n";
            close $w;
            sleep $secs;
            print $fh "COMMIT;\n";
            close $fh;
        }

        POSIX::_exit(0);
    }

    close $w;
    my $line = <$r>;
    close $r;
}

# hold_database(), plus a request that needs the database, left waiting
sub hold_database_then_query ($) {
    my $secs = shift;

    hold_database($secs);

    my $pid = fork // die "fork: $!\n";

    if ($pid == 0) {
        http_get('/arthexis/status', $secs + 3);
        POSIX::_exit(0);
    }

    sleep 0.1;
}

# ---------------------------------------------------------------------------
# WebSocket frames for raw_request / response_body sections
# ---------------------------------------------------------------------------

# the handshake request text; %h: path, key, version, protocol, extra
# (raw header lines), host
sub ws_handshake (@) {
    my %h = @_;

    my $path = $h{path} // '/ws/echo/';
    my $key = $h{key} // $RFC_KEY;
    my $version = $h{version} // 13;

    my $req = "GET $path HTTP/1.1\r\n"
              . "Host: " . ($h{host} // 'localhost') . "\r\n"
              . "Upgrade: websocket\r\n"
              . "Connection: Upgrade\r\n"
              . "Sec-WebSocket-Key: $key\r\n"
              . "Sec-WebSocket-Version: $version\r\n";

    $req .= "Sec-WebSocket-Protocol: $h{protocol}\r\n" if defined $h{protocol};
    $req .= $h{extra} if defined $h{extra};

    return $req . "\r\n";
}

# a client frame: ws_frame('text', 'hi'), ws_frame('binary', $bytes,
# fin => 0), ws_frame('continuation', ...), masked unless masked => 0;
# opcode => N writes any opcode, rsv => N sets RSV bits
sub ws_frame ($;$%) {
    my ($type, $payload, %o) = @_;

    $payload //= '';

    my %op = (continuation => 0, text => 1, binary => 2, close => 8,
              ping => 9, pong => 10);

    my $opcode = $o{opcode} // $op{$type};
    die "unknown frame type $type\n" unless defined $opcode;

    my $fin = $o{fin} // 1;
    my $masked = $o{masked} // 1;
    my $len = length $payload;

    my $frame = chr(($fin ? 0x80 : 0) | (($o{rsv} // 0) << 4) | $opcode);
    my $m = $masked ? 0x80 : 0;

    if ($len < 126 && !$o{len16} && !$o{len64}) {
        $frame .= chr($m | $len);
    } elsif ($len < 65536 && !$o{len64}) {
        $frame .= chr($m | 126) . pack('n', $len);
    } else {
        $frame .= chr($m | 127) . pack('Q>', $len);
    }

    if ($masked) {
        my $key = $o{mask_key} // pack('N', int(rand(2**32)));
        $frame .= $key;
        my $mask = substr($key x (int($len / 4) + 1), 0, $len);
        $payload = "$payload" ^ $mask;
    }

    return $frame . $payload;
}

# a masked close frame with a code (and reason); no code: empty payload
sub ws_close (;$$) {
    my ($code, $reason) = @_;

    return ws_frame('close', '') unless defined $code;
    return ws_frame('close', pack('n', $code) . ($reason // ''));
}

# decodes unmasked server frames into a list of [opcode, payload, fin]
sub ws_decode ($) {
    my $buf = shift;
    my @frames;

    while (length $buf >= 2) {
        my ($b0, $b1) = unpack('CC', $buf);
        my $len = $b1 & 0x7f;
        my $off = 2;

        if ($len == 126) {
            last if length $buf < 4;
            $len = unpack('n', substr($buf, 2, 2));
            $off = 4;
        } elsif ($len == 127) {
            last if length $buf < 10;
            $len = unpack('Q>', substr($buf, 2, 8));
            $off = 10;
        }

        $off += 4 if $b1 & 0x80;
        last if length $buf < $off + $len;

        push @frames, [$b0 & 0x0f, substr($buf, $off, $len), $b0 >> 7];
        substr($buf, 0, $off + $len) = '';
    }

    return @frames;
}

# server frames as readable text, one line each: "text: hello",
# "binary: 0001" (hex), "close: 1000 reason", "ping: ", "pong: xy"
sub ws_frames_text ($) {
    my $buf = shift;
    my %name = (0 => 'continuation', 1 => 'text', 2 => 'binary',
                8 => 'close', 9 => 'ping', 10 => 'pong');
    my $out = '';

    for my $f (ws_decode($buf)) {
        my ($op, $payload) = @$f;
        my $n = $name{$op} // "opcode$op";

        if ($op == 8) {
            if (length $payload >= 2) {
                my $code = unpack('n', $payload);
                my $reason = substr($payload, 2);
                $out .= "close: $code" . (length $reason ? " $reason" : '')
                        . "\n";
            } else {
                $out .= "close:\n";
            }
        } elsif ($op == 2) {
            $out .= "binary: " . unpack('H*', $payload) . "\n";
        } else {
            $out .= "$n: $payload\n";
        }
    }

    return $out;
}

# ---------------------------------------------------------------------------
# A blocking client for multi-connection tests
# ---------------------------------------------------------------------------

# returns a handle { sock, buf, status, headers } or dies;
# %o: port, path, protocol, headers (hashref), timeout
sub ws_connect (%) {
    my %o = @_;

    my $port = $o{port} // $ENV{TEST_NGINX_SERVER_PORT} // 1984;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $port, Proto => 'tcp',
                                     Timeout => $o{timeout} // 3)
        or die "ws_connect: $!\n";
    $sock->autoflush(1);
    binmode $sock;

    my $key = encode_base64(join('', map { chr int rand 256 } 1 .. 16), '');
    my $extra = '';
    for my $k (sort keys %{ $o{headers} || {} }) {
        $extra .= "$k: $o{headers}{$k}\r\n";
    }

    print $sock ws_handshake(path => $o{path}, key => $key,
                             protocol => $o{protocol}, extra => $extra);

    my $ws = { sock => $sock, buf => '', timeout => $o{timeout} // 3 };

    # read the response head
    my $deadline = time + $ws->{timeout};
    while ($ws->{buf} !~ /\r\n\r\n/) {
        _fill($ws, $deadline) or die "ws_connect: no handshake response\n";
    }

    my ($head, $rest) = split /\r\n\r\n/, $ws->{buf}, 2;
    $ws->{buf} = $rest;
    ($ws->{status}) = $head =~ m{^HTTP/1\.1 (\d+)};
    $ws->{head} = $head;

    return $ws;
}

sub _fill ($$) {
    my ($ws, $deadline) = @_;
    my $left = $deadline - time;
    return 0 if $left <= 0;

    my $sel = IO::Select->new($ws->{sock});
    return 0 unless $sel->can_read($left);

    my $n = sysread($ws->{sock}, my $chunk, 65536);
    return 0 unless $n;

    $ws->{buf} .= $chunk;
    return 1;
}

sub ws_send ($$;$) {
    my ($ws, $payload, $type) = @_;
    print { $ws->{sock} } ws_frame($type // 'text', $payload);
}

# the next frame as [opcode, payload], or undef on timeout/close; answers
# pings on the way
sub ws_recv_frame ($;$) {
    my ($ws, $timeout) = @_;
    my $deadline = time + ($timeout // $ws->{timeout});

    for (;;) {
        my @f = ws_decode($ws->{buf});
        if (@f) {
            my $f = $f[0];
            my $size = 2 + length($f->[1])
                       + (length($f->[1]) >= 65536 ? 8
                          : length($f->[1]) >= 126 ? 2 : 0);
            substr($ws->{buf}, 0, $size) = '';

            if ($f->[0] == 9) {
                print { $ws->{sock} } ws_frame('pong', $f->[1]);
                next;
            }

            return $f;
        }

        _fill($ws, $deadline) or return undef;
    }
}

# the next text message, or undef
sub ws_recv ($;$) {
    my ($ws, $timeout) = @_;

    for (;;) {
        my $f = ws_recv_frame($ws, $timeout) or return undef;
        return $f->[1] if $f->[0] == 1 || $f->[0] == 2;
        return undef if $f->[0] == 8;
    }
}

sub ws_disconnect ($;$) {
    my ($ws, $code) = @_;
    print { $ws->{sock} } ws_close($code // 1000);
    close $ws->{sock};
}

1;
