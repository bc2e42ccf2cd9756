# The session's timers with short values: pings (websocket_ping_interval)
# and the peer that does not answer them, the idle timeout and what resets
# it, and the closing timer (websocket_close_timeout).

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Arthexis::Test;
use Time::HiRes qw( time sleep );

repeat_each(1);
no_shuffle();

sub sframe { &Arthexis::Test::ws_frame($_[0], $_[1], masked => 0) }
sub sclose {
    my ($code, $reason) = @_;
    return sframe('close', pack('n', $code) . ($reason // ''));
}
sub hs { &Arthexis::Test::ws_handshake(@_) }
sub cf { &Arthexis::Test::ws_frame(@_) }
sub cclose { &Arthexis::Test::ws_close(@_) }

sub result {
    my $text = shift;
    my $file = Test::Nginx::Util::html_dir() . '/result.txt';
    open my $fh, '>', $file or die "cannot write $file: $!\n";
    print $fh $text;
    close $fh;
}

# a client that answers pings (ws_recv_frame does) and sends a message
# every 300 ms for 1.5 s: the session must stay up
sub answers_pings {
    my $ws = ws_connect();
    my ($pings, $ok) = (0, 0);

    for my $i (1 .. 5) {
        my $deadline = time + 0.3;

        while (time < $deadline) {
            my $f = Arthexis::Test::ws_recv_frame($ws, $deadline - time);
            last unless $f;
        }

        ws_send($ws, "still here $i");
        my $m = ws_recv($ws, 2);
        $ok++ if defined $m && $m eq "still here $i";
    }

    ws_disconnect($ws, 1000);

    result("$ok of 5 echoed\n");
}

# the server closes for idleness; the client answers the Close at once:
# the server must not wait for the closing timer
sub answers_close {
    my $ws = ws_connect();
    my $start = time;
    my $f = Arthexis::Test::ws_recv_frame($ws, 3);
    my ($code, $reason) = $f ? unpack('n a*', $f->[1]) : (0, '');

    print { $ws->{sock} } ws_close($code);

    my $eof = !Arthexis::Test::_fill($ws, time + 3);
    my $took = time - $start;

    result("close $code $reason\n"
           . ($eof && $took < 1.5 ? "closed at once\n" : "took $took s\n"));
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config',
        qq{    arthexis_database "\$TEST_NGINX_ARTHEXIS_DATABASE";\n}
        . ($block->http_config // ''));

    if (!defined $block->error_code && !defined $block->request
        && !defined $block->must_die)
    {
        $block->set_value('error_code', 101);
    }
});

run_tests();

__DATA__

=== TEST 1: the server pings every websocket_ping_interval
--- config
    location /ws/echo/ {
        websocket_echo;
        websocket_ping_interval 200ms;
    }
--- raw_request eval
[main::hs(), main::cclose(1000)]
--- raw_request_middle_delay: 0.3
--- response_body eval
main::sframe('ping', '') . main::sclose(1000)



=== TEST 2: a peer that does not answer a ping is closed at the next one
--- config
    location /ws/echo/ {
        websocket_echo;
        websocket_ping_interval 200ms;
    }
--- raw_request eval
main::hs()
--- response_body eval
main::sframe('ping', '') . main::sclose(1001, 'ping timeout')
--- error_log
websocket: session #1 did not answer a ping, closing
--- timeout: 3



=== TEST 3: a peer that answers the pings stays
--- config
    location /ws/echo/ {
        websocket_echo;
        websocket_ping_interval 200ms;
    }
--- init
main::answers_pings();
--- request
GET /result.txt
--- response_body
5 of 5 echoed
--- no_error_log
did not answer a ping



=== TEST 4: websocket_ping_interval 0: no pings
--- config
    location /ws/echo/ {
        websocket_echo;
        websocket_ping_interval 0;
    }
--- raw_request eval
[main::hs(), main::cclose(1000)]
--- raw_request_middle_delay: 0.5
--- response_body eval
main::sclose(1000)



=== TEST 5: an idle session is closed with 1000 after websocket_idle_timeout
--- config
    location /ws/echo/ {
        websocket_echo;
        websocket_idle_timeout 300ms;
        websocket_close_timeout 200ms;
    }
--- raw_request eval
main::hs()
--- response_body eval
main::sclose(1000, 'idle timeout')
--- error_log
websocket: session #1 idle for 300 ms, closing
websocket: session #1: closing timer expired
--- timeout: 3



=== TEST 6: messages keep a session from being idle
--- config
    location /ws/echo/ {
        websocket_echo;
        websocket_idle_timeout 500ms;
    }
--- raw_request eval
[main::hs(), (map { main::cf('text', "m$_") } 1 .. 6), main::cclose(1000)]
--- raw_request_middle_delay: 0.2
--- response_body eval
CORE::join('', map { main::sframe('text', "m$_") } 1 .. 6) . main::sclose(1000)
--- no_error_log
idle for



=== TEST 7: a pong is a sign of life too
--- config
    location /ws/echo/ {
        websocket_echo;
        websocket_idle_timeout 500ms;
    }
--- raw_request eval
[main::hs(), (map { main::cf('pong', '') } 1 .. 4), main::cclose(1000)]
--- raw_request_middle_delay: 0.2
--- response_body eval
main::sclose(1000)
--- no_error_log
idle for



=== TEST 8: the peer answers the server's Close: no wait for the timer
--- config
    location /ws/echo/ {
        websocket_echo;
        websocket_idle_timeout 200ms;
        websocket_close_timeout 5s;
    }
--- init
main::answers_close();
--- request
GET /result.txt
--- response_body
close 1000 idle timeout
closed at once



=== TEST 9: the defaults: pings every 30s, idle 600s, closing 5s
--- config
    location /ws/echo/ { websocket_echo; }
--- raw_request eval
[main::hs(), main::cclose(1000)]
--- raw_request_middle_delay: 0.3
--- response_body eval
main::sclose(1000)



=== TEST 10: websocket_close_timeout 0 is refused
--- config
    location /ws/echo/ {
        websocket_echo;
        websocket_close_timeout 0;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"websocket_close_timeout" must be more than 0 in .*nginx\.conf:\d+/



=== TEST 11: websocket_max_message_size 0 is refused
--- config
    location /ws/echo/ {
        websocket_echo;
        websocket_max_message_size 0;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"websocket_max_message_size" must be more than 0 in .*nginx\.conf:\d+/
