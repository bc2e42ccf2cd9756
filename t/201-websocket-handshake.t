# The WebSocket handshake (RFC 6455 section 4) on the echo endpoint: the
# accept value, the 101 response, subprotocols, and every refusal: 400 with
# a JSON detail, or 426 with Sec-WebSocket-Version: 13.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Arthexis::Test;

repeat_each(1);
no_shuffle();

# a server frame (unmasked), as the endpoint sends it
sub sframe { Arthexis::Test::ws_frame($_[0], $_[1], masked => 0) }

# a handshake with the given header lines (no Upgrade/Connection defaults)
sub raw_handshake {
    my ($first, @lines) = @_;
    return join('', map { "$_\r\n" } $first, 'Host: localhost', @lines)
           . "\r\n";
}

add_block_preprocessor(sub {
    my $block = shift;

    # the module's database, where Arthexis::Test wants it (under logs/)
    $block->set_value('http_config',
        qq{    arthexis_database "\$TEST_NGINX_ARTHEXIS_DATABASE";\n}
        . ($block->http_config // ''));

    if (!defined $block->config) {
        $block->set_value('config', <<'EOF');
    location /ws/echo/ { websocket_echo; }
EOF
    }
});

run_tests();

__DATA__

=== TEST 1: the RFC 6455 sample key gets its accept value; Close echoed
--- raw_request eval
main::ws_handshake(key => 'dGhlIHNhbXBsZSBub25jZQ==') . main::ws_close(1000)
--- error_code: 101
--- raw_response_headers_like: ^HTTP/1.1 101 Switching Protocols\r\n
--- response_headers
Upgrade: websocket
Connection: upgrade
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
!Sec-WebSocket-Protocol
!Content-Type
!Content-Length
!Transfer-Encoding
--- response_body eval
main::sframe('close', pack('n', 1000))
--- no_error_log
[error]
[alert]



=== TEST 2: the key of the notes' example (x3JJHMbDL1EzLkh9GBhXDw==)
--- raw_request eval
main::ws_handshake(key => $Arthexis::Test::RFC_KEY) . main::ws_close(1000)
--- error_code: 101
--- response_headers
Sec-WebSocket-Accept: HSmrc0sMlYUkAGmm5OPpG2HaGWk=
--- response_body eval
main::sframe('close', pack('n', 1000))



=== TEST 3: echo takes the first subprotocol offered
--- raw_request eval
main::ws_handshake(protocol => 'chat, superchat') . main::ws_close(1000)
--- error_code: 101
--- response_headers
Sec-WebSocket-Protocol: chat



=== TEST 4: Sec-WebSocket-Protocol in two headers: the first one wins
--- raw_request eval
main::ws_handshake(protocol => 'v2.echo',
                   extra => "Sec-WebSocket-Protocol: v1.echo\r\n")
    . main::ws_close(1000)
--- error_code: 101
--- response_headers
Sec-WebSocket-Protocol: v2.echo



=== TEST 5: header names and tokens in any case, Connection as a list
--- raw_request eval
main::raw_handshake('GET /ws/echo/ HTTP/1.1', 'upgrade: WebSocket',
                    'CONNECTION: keep-alive, UPGRADE',
                    'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==',
                    'SEC-WEBSOCKET-VERSION: 13')
    . main::ws_close(1000)
--- error_code: 101
--- response_headers
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
--- response_body eval
main::sframe('close', pack('n', 1000))



=== TEST 6: Connection in two header lines
--- raw_request eval
main::raw_handshake('GET /ws/echo/ HTTP/1.1', 'Upgrade: websocket',
                    'Connection: keep-alive', 'Connection: Upgrade',
                    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
                    'Sec-WebSocket-Version: 13')
    . main::ws_close(1000)
--- error_code: 101



=== TEST 7: POST is refused
--- raw_request eval
main::raw_handshake('POST /ws/echo/ HTTP/1.1', 'Upgrade: websocket',
                    'Connection: Upgrade', 'Content-Length: 0',
                    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
                    'Sec-WebSocket-Version: 13')
--- error_code: 400
--- response_headers
Content-Type: application/json
!Upgrade
--- response_body
{"detail":"a WebSocket handshake must be a GET request"}
--- error_log
websocket: handshake refused: a WebSocket handshake must be a GET request



=== TEST 8: HTTP/1.0 is refused
--- raw_request eval
main::raw_handshake('GET /ws/echo/ HTTP/1.0', 'Upgrade: websocket',
                    'Connection: Upgrade',
                    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
                    'Sec-WebSocket-Version: 13')
--- error_code: 400
--- response_body
{"detail":"a WebSocket handshake must use HTTP/1.1"}



=== TEST 9: no Upgrade header
--- raw_request eval
main::raw_handshake('GET /ws/echo/ HTTP/1.1', 'Connection: Upgrade',
                    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
                    'Sec-WebSocket-Version: 13')
--- error_code: 400
--- response_body
{"detail":"\"Upgrade: websocket\" header required"}



=== TEST 10: Upgrade to another protocol
--- raw_request eval
main::raw_handshake('GET /ws/echo/ HTTP/1.1', 'Upgrade: h2c',
                    'Connection: Upgrade',
                    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
                    'Sec-WebSocket-Version: 13')
--- error_code: 400
--- response_body
{"detail":"\"Upgrade: websocket\" header required"}



=== TEST 11: Connection without upgrade
--- raw_request eval
main::raw_handshake('GET /ws/echo/ HTTP/1.1', 'Upgrade: websocket',
                    'Connection: keep-alive',
                    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
                    'Sec-WebSocket-Version: 13')
--- error_code: 400
--- response_body
{"detail":"\"Connection: upgrade\" header required"}



=== TEST 12: no Connection header at all
--- raw_request eval
main::raw_handshake('GET /ws/echo/ HTTP/1.1', 'Upgrade: websocket',
                    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
                    'Sec-WebSocket-Version: 13')
--- error_code: 400
--- response_body
{"detail":"\"Connection: upgrade\" header required"}



=== TEST 13: "upgrade" only as part of a token does not count
--- raw_request eval
main::raw_handshake('GET /ws/echo/ HTTP/1.1', 'Upgrade: websocket',
                    'Connection: upgrades, x-upgrade',
                    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
                    'Sec-WebSocket-Version: 13')
--- error_code: 400
--- response_body
{"detail":"\"Connection: upgrade\" header required"}



=== TEST 14: version 8 gets 426 with Sec-WebSocket-Version: 13
--- raw_request eval
main::ws_handshake(version => 8)
--- error_code: 426
--- raw_response_headers_like: ^HTTP/1.1 426 Upgrade Required\r\n
--- response_headers
Sec-WebSocket-Version: 13
Content-Type: application/json
--- response_body
{"detail":"\"Sec-WebSocket-Version: 13\" required"}



=== TEST 15: no version gets 426 too
--- raw_request eval
main::raw_handshake('GET /ws/echo/ HTTP/1.1', 'Upgrade: websocket',
                    'Connection: Upgrade',
                    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==')
--- error_code: 426
--- response_headers
Sec-WebSocket-Version: 13



=== TEST 16: version 130 is not 13
--- raw_request eval
main::ws_handshake(version => 130)
--- error_code: 426
--- response_headers
Sec-WebSocket-Version: 13



=== TEST 17: frames after a refused handshake are not read as a request
--- raw_request eval
main::ws_handshake(version => 8) . main::ws_frame('text', 'GET / HTTP/1.1')
    . main::ws_close(1000)
--- error_code: 426
--- response_body
{"detail":"\"Sec-WebSocket-Version: 13\" required"}
--- no_error_log
[error]



=== TEST 18: no key
--- raw_request eval
main::raw_handshake('GET /ws/echo/ HTTP/1.1', 'Upgrade: websocket',
                    'Connection: Upgrade', 'Sec-WebSocket-Version: 13')
--- error_code: 400
--- response_body
{"detail":"\"Sec-WebSocket-Key\" must be base64 of 16 bytes"}



=== TEST 19: a key without its padding
--- raw_request eval
main::ws_handshake(key => 'dGhlIHNhbXBsZSBub25jZQ')
--- error_code: 400
--- response_body
{"detail":"\"Sec-WebSocket-Key\" must be base64 of 16 bytes"}



=== TEST 20: a key with a character outside base64
--- raw_request eval
main::ws_handshake(key => 'dGhlIHNhbXBsZSBub25j*Q==')
--- error_code: 400
--- response_body
{"detail":"\"Sec-WebSocket-Key\" must be base64 of 16 bytes"}



=== TEST 21: a key of 18 bytes (24 characters, no padding)
--- raw_request eval
main::ws_handshake(key => 'AAAAAAAAAAAAAAAAAAAAAAAA')
--- error_code: 400
--- response_body
{"detail":"\"Sec-WebSocket-Key\" must be base64 of 16 bytes"}



=== TEST 22: a key of 32 bytes
--- raw_request eval
main::ws_handshake(key => 'dGhlIHNhbXBsZSBub25jZWRHaGxJSE5oYlhCc1pTQnU=')
--- error_code: 400
--- response_body
{"detail":"\"Sec-WebSocket-Key\" must be base64 of 16 bytes"}



=== TEST 23: a handshake with a body (Content-Length)
--- raw_request eval
main::ws_handshake(extra => "Content-Length: 5\r\n") . "hello"
--- error_code: 400
--- response_body
{"detail":"a WebSocket handshake has no body"}



=== TEST 24: a handshake with a chunked body
--- raw_request eval
main::ws_handshake(extra => "Transfer-Encoding: chunked\r\n")
    . "5\r\nhello\r\n0\r\n\r\n"
--- error_code: 400
--- response_body
{"detail":"a WebSocket handshake has no body"}



=== TEST 25: Content-Length: 0 is no body
--- raw_request eval
main::ws_handshake(extra => "Content-Length: 0\r\n") . main::ws_close(1000)
--- error_code: 101
--- response_body eval
main::sframe('close', pack('n', 1000))



=== TEST 26: HTTP/2 gets a clear error (h2c on a Unix socket, with curl)
--- http_config
    server {
        listen unix:$TEST_NGINX_SERVER_ROOT/h2.sock http2;
        location /ws/echo/ { websocket_echo; }
    }
--- init
my $root = $ENV{TEST_NGINX_SERVER_ROOT};
system("curl -s --http2-prior-knowledge --unix-socket $root/h2.sock "
       . "-w '%{http_version} %{http_code}\\n' "
       . "http://localhost/ws/echo/ > $root/html/h2.txt") == 0
    or die "curl failed\n";
--- request
GET /h2.txt
--- response_body
{"detail":"WebSocket needs HTTP/1.1: HTTP/2 cannot carry it here"}
2 400
