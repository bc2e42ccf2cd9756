# The echo endpoint over one connection: text and binary echo, fragments,
# control frames, the close handshake, and each protocol error with its
# close code (RFC 6455 sections 5 and 7).  The frames come in the
# handshake's packet unless said otherwise; every exchange ends with the
# client's Close, echoed by the server, which then closes the connection.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Arthexis::Test;

repeat_each(1);
no_shuffle();
no_long_string();

# server frames (unmasked), as the endpoint sends them
sub sframe { &Arthexis::Test::ws_frame($_[0], $_[1], masked => 0, @_[2 .. $#_]) }
sub sclose {
    my ($code, $reason) = @_;
    return sframe('close', '') unless defined $code;
    return sframe('close', pack('n', $code) . ($reason // ''));
}

sub hs { &Arthexis::Test::ws_handshake(@_) }
sub cf { &Arthexis::Test::ws_frame(@_) }
sub cclose { &Arthexis::Test::ws_close(@_) }

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config',
        qq{    arthexis_database "\$TEST_NGINX_ARTHEXIS_DATABASE";\n}
        . ($block->http_config // ''));

    if (!defined $block->config) {
        $block->set_value('config', <<'EOF');
    location /ws/echo/ { websocket_echo; }
EOF
    }

    if (!defined $block->error_code) {
        $block->set_value('error_code', 101);
    }
});

run_tests();

__DATA__

=== TEST 1: a text message comes back
--- raw_request eval
main::hs() . main::cf('text', 'hello') . main::cclose(1000)
--- response_body eval
main::sframe('text', 'hello') . main::sclose(1000)
--- no_error_log
[error]
[alert]



=== TEST 2: a binary message with every byte value comes back
--- raw_request eval
main::hs() . main::cf('binary', CORE::join('', map { chr } 0 .. 255))
    . main::cclose(1000)
--- response_body eval
main::sframe('binary', CORE::join('', map { chr } 0 .. 255)) . main::sclose(1000)



=== TEST 3: empty text and binary messages
--- raw_request eval
main::hs() . main::cf('text', '') . main::cf('binary', '')
    . main::cclose(1000)
--- response_body eval
main::sframe('text', '') . main::sframe('binary', '') . main::sclose(1000)



=== TEST 4: UTF-8 text (2, 3 and 4-byte characters)
--- raw_request eval
main::hs() . main::cf('text', "gr\xc3\xbc\xc3\x9fe \xe2\x82\xac \xf0\x9f\x94\x8c")
    . main::cclose(1000)
--- response_body eval
main::sframe('text', "gr\xc3\xbc\xc3\x9fe \xe2\x82\xac \xf0\x9f\x94\x8c")
    . main::sclose(1000)



=== TEST 5: 16-bit and 64-bit lengths (126 and 65536 bytes)
--- raw_request eval
main::hs() . main::cf('text', 'x' x 126) . main::cf('binary', 'y' x 65536)
    . main::cclose(1000)
--- response_body eval
main::sframe('text', 'x' x 126) . main::sframe('binary', 'y' x 65536)
    . main::sclose(1000)



=== TEST 6: a non-minimal length encoding is accepted
--- raw_request eval
main::hs() . main::cf('text', 'abc', len64 => 1) . main::cclose(1000)
--- response_body eval
main::sframe('text', 'abc') . main::sclose(1000)



=== TEST 7: frames in separate packets after the handshake
--- raw_request eval
[main::hs(), main::cf('text', 'one'), main::cf('text', 'two'),
 main::cclose(1000)]
--- raw_request_middle_delay: 0.05
--- response_body eval
main::sframe('text', 'one') . main::sframe('text', 'two') . main::sclose(1000)



=== TEST 8: a frame sent one byte at a time
--- raw_request eval
[main::hs(), split(//, main::cf('text', 'slowly')), main::cclose(1000)]
--- raw_request_middle_delay: 0.002
--- response_body eval
main::sframe('text', 'slowly') . main::sclose(1000)



=== TEST 9: a fragmented text message, a ping between its fragments
--- raw_request eval
main::hs() . main::cf('text', 'Hel', fin => 0) . main::cf('ping', 'p')
    . main::cf('continuation', "lo w\xc3", fin => 0)
    . main::cf('continuation', "\xb6rld")
    . main::cclose(1000)
--- response_body eval
main::sframe('pong', 'p') . main::sframe('text', "Hello w\xc3\xb6rld")
    . main::sclose(1000)



=== TEST 10: a fragmented binary message, fragments in separate packets
--- raw_request eval
[main::hs() . main::cf('binary', "\x00\x01", fin => 0),
 main::cf('continuation', "\x02", fin => 0),
 main::cf('continuation', '', fin => 0),
 main::cf('continuation', "\x03") . main::cclose(1000)]
--- raw_request_middle_delay: 0.02
--- response_body eval
main::sframe('binary', "\x00\x01\x02\x03") . main::sclose(1000)



=== TEST 11: a ping is answered by a pong with its payload
--- raw_request eval
main::hs() . main::cf('ping', 'are you there?') . main::cf('ping', '')
    . main::cclose(1000)
--- response_body eval
main::sframe('pong', 'are you there?') . main::sframe('pong', '')
    . main::sclose(1000)



=== TEST 12: an unsolicited pong is ignored
--- raw_request eval
main::hs() . main::cf('pong', 'hi') . main::cf('text', 'x')
    . main::cclose(1000)
--- response_body eval
main::sframe('text', 'x') . main::sclose(1000)



=== TEST 13: the close code is echoed (the reason is not)
--- raw_request eval
main::hs() . main::cf('text', 'a') . main::cclose(4000, 'bye')
--- response_body eval
main::sframe('text', 'a') . main::sclose(4000)
--- error_log
websocket: session #1: close 4000 received



=== TEST 14: 1001 is echoed
--- raw_request eval
main::hs() . main::cclose(1001)
--- response_body eval
main::sclose(1001)



=== TEST 15: a Close without code gets a Close without code
--- raw_request eval
main::hs() . main::cclose()
--- response_body eval
main::sclose()



=== TEST 16: nothing after the Close is read
--- raw_request eval
main::hs() . main::cclose(1000) . main::cf('text', 'late')
--- response_body eval
main::sclose(1000)



=== TEST 17: an unmasked frame closes with 1002
--- raw_request eval
main::hs() . main::cf('text', 'bare', masked => 0) . main::cclose(1000)
--- response_body eval
main::sclose(1002, 'unmasked client frame')
--- error_log
websocket: session #1: unmasked client frame, closing with 1002



=== TEST 18: a message over websocket_max_message_size closes with 1009
--- config
    location /ws/echo/ {
        websocket_echo;
        websocket_max_message_size 16;
    }
--- raw_request eval
main::hs() . main::cf('text', 'x' x 16) . main::cf('text', 'x' x 17)
    . main::cclose(1000)
--- response_body eval
main::sframe('text', 'x' x 16) . main::sclose(1009, 'message too big')
--- error_log
message too big, closing with 1009



=== TEST 19: fragments adding up to more than the maximum: 1009
--- config
    location /ws/echo/ {
        websocket_echo;
        websocket_max_message_size 16;
    }
--- raw_request eval
main::hs() . main::cf('binary', 'y' x 10, fin => 0)
    . main::cf('continuation', 'y' x 7) . main::cclose(1000)
--- response_body eval
main::sclose(1009, 'message too big')



=== TEST 20: the default maximum is 64k
--- raw_request eval
main::hs() . main::cf('binary', 'z' x 65536) . main::cf('binary', 'z' x 65537)
    . main::cclose(1000)
--- response_body eval
main::sframe('binary', 'z' x 65536) . main::sclose(1009, 'message too big')



=== TEST 21: invalid UTF-8 in a text message closes with 1007
--- raw_request eval
main::hs() . main::cf('text', "ok") . main::cf('text', "caf\xe9")
    . main::cclose(1000)
--- response_body eval
main::sframe('text', 'ok') . main::sclose(1007, 'invalid UTF-8 in text message')



=== TEST 22: invalid UTF-8 across fragments closes with 1007
--- raw_request eval
main::hs() . main::cf('text', "abc\xc3", fin => 0)
    . main::cf('continuation', "(") . main::cclose(1000)
--- response_body eval
main::sclose(1007, 'invalid UTF-8 in text message')



=== TEST 23: a truncated character at the end of a message: 1007
--- raw_request eval
main::hs() . main::cf('text', "\xe2\x82") . main::cclose(1000)
--- response_body eval
main::sclose(1007, 'invalid UTF-8 in text message')



=== TEST 24: invalid UTF-8 in binary is fine
--- raw_request eval
main::hs() . main::cf('binary', "\xff\xfe") . main::cclose(1000)
--- response_body eval
main::sframe('binary', "\xff\xfe") . main::sclose(1000)



=== TEST 25: reserved bits: 1002
--- raw_request eval
main::hs() . main::cf('text', 'x', rsv => 4) . main::cclose(1000)
--- response_body eval
main::sclose(1002, 'reserved bits set')



=== TEST 26: a reserved opcode: 1002
--- raw_request eval
main::hs() . main::cf('text', 'x', opcode => 3) . main::cclose(1000)
--- response_body eval
main::sclose(1002, 'reserved opcode')



=== TEST 27: a control frame over 125 bytes: 1002
--- raw_request eval
main::hs() . main::cf('ping', 'p' x 126) . main::cclose(1000)
--- response_body eval
main::sclose(1002, 'control frame too long')



=== TEST 28: a fragmented control frame: 1002
--- raw_request eval
main::hs() . main::cf('ping', 'p', fin => 0) . main::cclose(1000)
--- response_body eval
main::sclose(1002, 'fragmented control frame')



=== TEST 29: a continuation without a message: 1002
--- raw_request eval
main::hs() . main::cf('continuation', 'x') . main::cclose(1000)
--- response_body eval
main::sclose(1002, 'continuation frame without a message')



=== TEST 30: a new message inside a fragmented one: 1002
--- raw_request eval
main::hs() . main::cf('text', 'a', fin => 0) . main::cf('text', 'b')
    . main::cclose(1000)
--- response_body eval
main::sclose(1002, 'new message inside a fragmented message')



=== TEST 31: a 64-bit length with its top bit set: 1002
--- raw_request eval
main::hs() . "\x82\xff\x80\x00\x00\x00\x00\x00\x00\x01abcd"
--- response_body eval
main::sclose(1002, 'frame length with most significant bit set')



=== TEST 32: a close payload of one byte: 1002
--- raw_request eval
main::hs() . main::cf('close', "\x03")
--- response_body eval
main::sclose(1002, 'close payload of 1 byte')



=== TEST 33: close code 1005 may not be sent: 1002
--- raw_request eval
main::hs() . main::cclose(1005)
--- response_body eval
main::sclose(1002, 'invalid close code')



=== TEST 34: close code 999: 1002
--- raw_request eval
main::hs() . main::cclose(999)
--- response_body eval
main::sclose(1002, 'invalid close code')



=== TEST 35: invalid UTF-8 in a close reason: 1007
--- raw_request eval
main::hs() . main::cclose(1000, "\xc0\xaf")
--- response_body eval
main::sclose(1007, 'invalid UTF-8 in close reason')



=== TEST 36: a message of 1 MiB when websocket_max_message_size allows it
--- config
    location /ws/echo/ {
        websocket_echo;
        websocket_max_message_size 1m;
    }
--- raw_request eval
main::hs() . main::cf('binary', CORE::join('', map { chr($_ % 251) } 1 .. 1048576))
    . main::cclose(1000)
--- response_body eval
main::sframe('binary', CORE::join('', map { chr($_ % 251) } 1 .. 1048576))
    . main::sclose(1000)
--- timeout: 10



=== TEST 37: 1 MiB in 16 fragments, in separate packets
--- config
    location /ws/echo/ {
        websocket_echo;
        websocket_max_message_size 1m;
    }
--- raw_request eval
my $chunk = 'q' x 65536;
[main::hs(), main::cf('text', $chunk, fin => 0),
 (map { main::cf('continuation', $chunk, fin => 0) } 1 .. 14),
 main::cf('continuation', $chunk) . main::cclose(1000)]
--- raw_request_middle_delay: 0.01
--- response_body eval
main::sframe('text', 'q' x 1048576) . main::sclose(1000)
--- timeout: 10



=== TEST 38: one byte more than 1 MiB: 1009
--- config
    location /ws/echo/ {
        websocket_echo;
        websocket_max_message_size 1m;
    }
--- raw_request eval
main::hs() . main::cf('binary', 'b' x 1048577) . main::cclose(1000)
--- response_body eval
main::sclose(1009, 'message too big')



=== TEST 39: 1000 messages in one packet come back in order
--- raw_request eval
main::hs() . CORE::join('', map { main::cf('text', "m$_") } 1 .. 1000)
    . main::cclose(1000)
--- response_body eval
CORE::join('', map { main::sframe('text', "m$_") } 1 .. 1000) . main::sclose(1000)



=== TEST 40: 2000 messages of 1 KiB in one packet: replies outgrow the socket
--- raw_request eval
main::hs() . CORE::join('', map { main::cf('binary', sprintf('%1024d', $_)) }
                          1 .. 2000)
    . main::cclose(1000)
--- response_body eval
CORE::join('', map { main::sframe('binary', sprintf('%1024d', $_)) } 1 .. 2000)
    . main::sclose(1000)
--- timeout: 10



=== TEST 41: a client that goes away without a Close
--- raw_request eval
main::hs() . main::cf('text', 'bye')
--- timeout: 300ms
--- abort
--- response_body eval
main::sframe('text', 'bye')
--- wait: 0.2
--- error_log
websocket: session #1: peer went away
websocket: session #1 ends
--- no_error_log
[error]
[alert]



=== TEST 42: the request is released once the 101 is out
--- raw_request eval
[main::hs(), main::cf('text', 'hi') . main::cclose(1000)]
--- raw_request_middle_delay: 0.05
--- response_body eval
main::sframe('text', 'hi') . main::sclose(1000)
--- error_log
websocket: session #1 released its request
--- no_error_log
[error]



=== TEST 43: a handshake larger than client_header_buffer_size, frames after
--- raw_request eval
main::hs(extra => 'Cookie: ' . ('c' x 3000) . "\r\n") . main::cf('text', 'big')
    . main::cf('binary', 'head') . main::cclose(1000)
--- response_body eval
main::sframe('text', 'big') . main::sframe('binary', 'head') . main::sclose(1000)



=== TEST 44: the same, the frames in a later packet (after the release)
--- raw_request eval
[main::hs(extra => 'Cookie: ' . ('c' x 3000) . "\r\n"),
 main::cf('text', 'big') . main::cclose(1000)]
--- raw_request_middle_delay: 0.05
--- response_body eval
main::sframe('text', 'big') . main::sclose(1000)
--- error_log
websocket: session #1 released its request
