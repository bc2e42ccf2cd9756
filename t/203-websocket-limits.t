# Limits of the echo endpoint with several connections: a client that
# stops reading is closed with 1008 (websocket_send_buffer) while another
# connection carries on; pongs count against the same limit; send_timeout
# ends a session whose client reads nothing; many sessions at once; and a
# session's memory stays where it was after 100,000 messages.
#
# The scenarios run as Perl clients in --- init and write what they saw to
# html/result.txt, which the block then fetches and compares.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Arthexis::Test;
use IO::Socket::INET ();
use Socket qw( SOL_SOCKET SO_RCVBUF pack_sockaddr_in inet_aton );
use MIME::Base64 qw( encode_base64 );
use Time::HiRes qw( time sleep );

repeat_each(1);
no_shuffle();
worker_connections(1024);

sub result {
    my $text = shift;
    my $file = Test::Nginx::Util::html_dir() . '/result.txt';
    open my $fh, '>', $file or die "cannot write $file: $!\n";
    print $fh $text;
    close $fh;
}

# a client whose receive buffer is small, so that it fills up soon
sub small_client {
    my $port = $ENV{TEST_NGINX_SERVER_PORT};
    my $sock = IO::Socket::INET->new(Proto => 'tcp') or die "socket: $!\n";
    setsockopt($sock, SOL_SOCKET, SO_RCVBUF, 4096) or die "SO_RCVBUF: $!\n";
    $sock->connect(pack_sockaddr_in($port, inet_aton("127.0.0.1")))
        or die "connect: $!\n";
    $sock->autoflush(1);
    binmode $sock;

    my $key = encode_base64(join('', map { chr int rand 256 } 1 .. 16), '');
    print $sock ws_handshake(key => $key);

    my $ws = { sock => $sock, buf => '', timeout => 5 };

    while ($ws->{buf} !~ /\r\n\r\n/) {
        sysread($sock, $ws->{buf}, 4096, length $ws->{buf})
            or die "no handshake response\n";
    }

    ($ws->{head}, $ws->{buf}) = split /\r\n\r\n/, $ws->{buf}, 2;
    die "no 101: $ws->{head}\n" unless $ws->{head} =~ m{^HTTP/1\.1 101 };

    return $ws;
}

# reads frames until a Close or the end: (data frames, close text, eof)
sub drain {
    my ($ws, $timeout) = @_;
    my ($frames, $close) = (0, 'none');

    while (my $f = ws_recv_frame($ws, $timeout)) {
        if ($f->[0] == 8) {
            my ($code, $reason) = unpack('n a*', $f->[1]);
            $close = "close $code $reason";
            last;
        }
        $frames++;
    }

    return ($frames, $close);
}

# the server closed the connection within $timeout seconds
sub closed_by_server {
    my ($ws, $timeout) = @_;
    my $deadline = time + $timeout;
    my $sel = IO::Select->new($ws->{sock});

    while (time < $deadline) {
        next unless $sel->can_read($deadline - time);
        my $n = sysread($ws->{sock}, my $buf, 65536);
        return 1 if !$n;
    }

    return 0;
}

# another client exchanges $n messages: how many came back right
sub exchange {
    my ($n) = @_;
    my $ws = ws_connect();
    my $ok = 0;

    for my $i (1 .. $n) {
        ws_send($ws, "fast $i");
        my $m = ws_recv($ws, 3);
        $ok++ if defined $m && $m eq "fast $i";
    }

    ws_disconnect($ws, 1000);

    return $ok;
}

sub slow_reader {
    my $slow = small_client();

    # 6 MiB of 16 KiB messages: more than the kernel buffers hold
    my $frame = ws_frame('binary', 'x' x 16384);
    print { $slow->{sock} } $frame for 1 .. 384;

    my $fast = exchange(20);

    sleep 0.2;

    my ($frames, $close) = drain($slow, 3);
    print { $slow->{sock} } ws_close(1008);
    my $gone = closed_by_server($slow, 3);

    result("fast: $fast of 20 echoed\n"
           . "slow: " . ($frames > 0 && $frames < 384 ? 'some' : $frames)
           . " echoes, then $close\n"
           . "slow: " . ($gone ? 'closed by the server' : 'still open')
           . "\n");
}

sub ping_flood {
    my $slow = small_client();

    # pings of 125 bytes, never reading the pongs
    my $frame = ws_frame('ping', 'p' x 125);
    print { $slow->{sock} } $frame x 1000 for 1 .. 60;

    my $fast = exchange(5);

    sleep 0.2;

    my ($frames, $close) = drain($slow, 3);

    result("fast: $fast of 5 echoed\nslow: $close\n");
}

sub no_reader {
    my $slow = small_client();

    my $frame = ws_frame('binary', 'x' x 16384);
    print { $slow->{sock} } $frame for 1 .. 384;

    # send_timeout is 1s
    sleep 2;

    my ($frames, $close) = drain($slow, 3);

    result("slow: $close\n");
}

# a client that reads slowly but steadily is not a client that reads
# nothing: send_timeout counts from the last write that made progress (the
# kernel wakes the writer when half its buffer is free, so the reader must
# not be too slow either)
sub slow_but_steady {
    my $slow = small_client();
    my $frame = ws_frame('binary', 'x' x 16384);
    print { $slow->{sock} } $frame for 1 .. 512;

    my ($frames, $close, $start) = (0, 'none', time);
    my $sel = IO::Select->new($slow->{sock});

    while ($frames < 512 && time - $start < 20) {
        # some 1.5 MiB/s: 8 MiB of echoes take a few send_timeouts
        sleep 0.002;
        next unless $sel->can_read(0.5);
        my $n = sysread($slow->{sock}, $slow->{buf}, 4096,
                        length $slow->{buf});
        last unless $n;

        for my $f (Arthexis::Test::ws_decode($slow->{buf})) {
            $frames++ if $f->[0] == 2;
            $close = 'close' if $f->[0] == 8;
            my $len = length $f->[1];
            substr($slow->{buf}, 0, 2 + ($len >= 65536 ? 8 : $len >= 126
                                         ? 2 : 0) + $len) = '';
        }
    }

    ws_disconnect($slow, 1000);

    my $took = time - $start;

    result("$frames of 512 echoed, $close\n"
           . ($took > 2 ? "over send_timeout\n" : "too fast: $took s\n"));
}

sub many_sessions {
    my @ws = map { ws_connect() } 1 .. 200;
    my $ok = 0;

    ws_send($ws[$_], "hello $_") for 0 .. $#ws;

    for my $i (0 .. $#ws) {
        my $m = ws_recv($ws[$i], 3);
        $ok++ if defined $m && $m eq "hello $i";
    }

    ws_disconnect($_, 1000) for @ws;

    result("$ok of 200 sessions echoed\n");
}

sub nginx_pid {
    my $pidfile = Test::Nginx::Util::server_root() . '/logs/nginx.pid';
    open my $fh, '<', $pidfile or die "$pidfile: $!\n";
    chomp(my $pid = <$fh>);
    close $fh;
    return $pid;
}

sub rss_kib {
    my $pid = nginx_pid();

    open my $fh, '<', "/proc/$pid/status" or die "/proc/$pid/status: $!\n";
    while (<$fh>) {
        return $1 if /^VmRSS:\s+(\d+)/;
    }

    die "no VmRSS\n";
}

# ASan (./build.sh test --sanitize) keeps freed memory in quarantine
sub under_asan {
    my $pid = nginx_pid();
    open my $fh, '<', "/proc/$pid/maps" or return 0;
    local $/;
    my $maps = <$fh>;
    return $maps =~ /libasan/;
}

# 1,000 messages in one write, then their echoes; returns the mismatches
sub batches {
    my ($ws, $n, $out, $expect) = @_;
    my $bad = 0;

    for (1 .. $n) {
        print { $ws->{sock} } $out;

        my $deadline = time + 5;
        while (length $ws->{buf} < length $expect) {
            Arthexis::Test::_fill($ws, $deadline) or die "no echoes\n";
        }

        $bad++ if substr($ws->{buf}, 0, length $expect) ne $expect;
        substr($ws->{buf}, 0, length $expect) = '';
    }

    return $bad;
}

# the worker's start-up job (the database's migrations, on a pool thread)
# has its own memory: wait until it is done
sub wait_for_migrations {
    my $log = Test::Nginx::Util::server_root() . '/logs/error.log';
    my $deadline = time + 10;

    while (time < $deadline) {
        open my $fh, '<', $log or die "$log: $!\n";
        local $/;
        my $text = <$fh>;
        close $fh;
        return if $text =~ /applied \d+ migration/;
        sleep 0.05;
    }

    die "the migrations did not finish\n";
}

sub steady_memory {
    wait_for_migrations();

    my $ws = ws_connect();
    my @msgs = map { sprintf('%064d', $_) } 1 .. 1000;
    my $out = join '', map { ws_frame('text', $_) } @msgs;
    my $expect = join '', map { ws_frame('text', $_, masked => 0) } @msgs;

    # warm up, with a burst first: the largest output queue (and whatever
    # the allocator keeps after freeing it) is reached before measuring
    my $bad = batches($ws, 1, $out x 10, $expect x 10);
    $bad += batches($ws, 10, $out, $expect);
    my $before = rss_kib();
    $bad += batches($ws, 100, $out, $expect);
    my $after = rss_kib();

    ws_disconnect($ws, 1000);

    my $grew = $after - $before;

    result("120000 messages, $bad batches wrong\n"
           . "worker memory after 100000 more: "
           . ($grew < 64 ? 'steady'
              : under_asan() ? 'not measured under ASan'
              : "grew by $grew KiB") . "\n");
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config',
        qq{    arthexis_database "\$TEST_NGINX_ARTHEXIS_DATABASE";\n}
        . ($block->http_config // ''));
});

run_tests();

__DATA__

=== TEST 1: a client that stops reading is closed with 1008, another goes on
--- config
    location /ws/echo/ {
        websocket_echo;
        websocket_send_buffer 64k;
        websocket_close_timeout 3s;
    }
--- init
main::slow_reader();
--- request
GET /result.txt
--- response_body
fast: 20 of 20 echoed
slow: some echoes, then close 1008 client too slow
slow: closed by the server
--- error_log eval
qr/websocket: session #1: client does not read, \d+ bytes queued, closing/
--- no_error_log
[alert]
--- timeout: 10



=== TEST 2: pongs count against websocket_send_buffer
--- config
    location /ws/echo/ {
        websocket_echo;
        websocket_send_buffer 64k;
        websocket_close_timeout 3s;
    }
--- init
main::ping_flood();
--- request
GET /result.txt
--- response_body
fast: 5 of 5 echoed
slow: close 1008 client too slow
--- timeout: 10



=== TEST 3: a client that reads nothing for send_timeout is dropped
--- config
    location /ws/echo/ {
        websocket_echo;
        websocket_send_buffer 64m;
        send_timeout 1s;
    }
--- init
main::no_reader();
--- request
GET /result.txt
--- response_body
slow: none
--- error_log
client timed out reading session #1
--- timeout: 10



=== TEST 4: a client that reads slowly but steadily is not dropped
--- config
    location /ws/echo/ {
        websocket_echo;
        websocket_send_buffer 64m;
        send_timeout 2s;
    }
--- init
main::slow_but_steady();
--- request
GET /result.txt
--- response_body
512 of 512 echoed, none
over send_timeout
--- no_error_log
client timed out
--- timeout: 30



=== TEST 5: 200 sessions at once
--- config
    location /ws/echo/ { websocket_echo; }
--- init
main::many_sessions();
--- request
GET /result.txt
--- response_body
200 of 200 sessions echoed
--- no_error_log
[error]
[alert]



=== TEST 6: 100,000 messages through one session leave memory as it was
--- config
    location /ws/echo/ { websocket_echo; }
--- init
main::steady_memory();
--- request
GET /result.txt
--- response_body_like eval
qr/\A120000 messages, 0 batches wrong
worker memory after 100000 more: (steady|not measured under ASan)\n\z/
--- timeout: 30



=== TEST 7: a message larger than websocket_send_buffer is still sent
--- config
    location /ws/echo/ {
        websocket_echo;
        websocket_send_buffer 16k;
        websocket_max_message_size 1m;
    }
--- raw_request eval
Arthexis::Test::ws_handshake()
    . Arthexis::Test::ws_frame('binary', 'L' x 300000)
    . Arthexis::Test::ws_close(1000)
--- error_code: 101
--- response_body eval
Arthexis::Test::ws_frame('binary', 'L' x 300000, masked => 0)
    . Arthexis::Test::ws_frame('close', pack('n', 1000), masked => 0)
