package Test::Nginx::Socket;

# Bundled, upstream-compatible re-implementation of openresty's
# Test::Nginx::Socket: a Test::Base subclass that turns "=== TEST" blocks
# into nginx configurations plus raw-socket HTTP requests, and checks the
# responses and the error log.
#
# Server management (knobs, nginx.conf, restarts) is in Test::Nginx::Util;
# this file builds and sends requests, parses responses and runs the
# per-request checks. The subset implemented, and how upstream behaves, is
# described in shared/notes/test-nginx-subset.md; .t files must pass
# unchanged under upstream Test::Nginx as well.

use Test::Base -base;   # blocks(), plan(), filters, ONLY/SKIP/LAST, ...

use strict;
use warnings;

our $VERSION = '0.30';

use Encode ();
use Time::HiRes qw( sleep );
use IO::Select ();
use IO::Socket::INET ();
use HTTP::Response ();
use Digest::MD5 ();
use Digest::SHA ();
use List::Util qw( min );

use Test::Nginx::Util;

our @EXPORT = qw(
    env_to_nginx is_str plan run_tests run_test
    repeat_each config_preamble worker_connections
    master_process_enabled
    no_long_string workers master_on master_off
    log_level no_shuffle no_root_location use_hup
    server_name
    server_addr server_root html_dir server_port server_port_for_client
    timeout no_nginx_manager check_accum_error_log
    add_block_preprocessor bail_out add_cleanup_handler
    add_test_cleanup_handler add_response_body_check
);

# Extra section names a suite reads itself (see Test::Nginx::Util).
our @ExtraSections;

our $TotalConnectingTimeouts = 0;
our @ResponseBodyChecks;

sub run_test_helper ($$$);
sub value_contains ($$);
sub check_error_log ($$$$$);
sub check_shutdown_error_log ($$);

$Test::Nginx::Util::RunTestHelper         = \&run_test_helper;
$Test::Nginx::Util::CheckErrorLog         = \&check_error_log;
$Test::Nginx::Util::CheckShutdownErrorLog = \&check_shutdown_error_log;

{
    no warnings q(once);
    *run_test = \&Test::Nginx::Util::run_test;
}

sub set_http_config_filter ($) {
    $Test::Nginx::Util::FilterHttpConfig = shift;
}

# Custom body checks: called as ($block, $body, $req_idx, $repeated_req_idx,
# $dry_run) after the built-in ones.
sub add_response_body_check ($) {
    push @ResponseBodyChecks, shift;
}

#---------------------------------------------------------------------------
# Section filters: Test::Base's `eval` filter silently turns a Perl error
# into the section's value (so a typo in a helper name would send the error
# text as a request). Ours evaluates the code exactly the same way (same
# package, strict) but bails out on errors.
#---------------------------------------------------------------------------

{
    package Test::Nginx::Socket::Filter;
    require Test::Base::Filter;
    our @ISA = ('Test::Base::Filter');

    sub eval {
        my $self = shift;
        $self->assert_scalar(@_);
        my ($err, @ret) = Test::Nginx::Socket::Filter::_eval_code(shift);

        if ($err) {
            my $block = $self->current_block;
            my $name = $block ? $block->name : '?';
            Test::Nginx::Util::bail_out("$name - failed to evaluate an "
                                        . "\"eval\" section: $err");
        }

        return @ret;
    }
}

{
    # Compiled in Test::Base::Filter's package so that unqualified names in
    # the section code resolve as they do upstream (main:: helpers must be
    # called as main::helper()).
    package Test::Base::Filter;
    use strict;
    use warnings;

    sub Test::Nginx::Socket::Filter::_eval_code {
        local $@;
        my @ret = CORE::eval($_[0]);
        return ($@, @ret);
    }
}

#---------------------------------------------------------------------------
# Building requests
#---------------------------------------------------------------------------

# --- more_headers text => ("Key: value\r\n"..., $is_chunked). Lines
# starting with '#' are comments.
sub parse_more_headers ($) {
    my ($in) = @_;
    my ($out, $is_chunked) = ('', 0);

    for my $header (split /\n+/, $in) {
        next if $header =~ /^\s*\#/;
        my ($key, $val) = split /:\s*/, $header, 2;
        $val = '' if !defined $val;
        if (lc($key) eq 'transfer-encoding' && $val eq 'chunked') {
            $is_chunked = 1;
        }
        $out .= "$key: $val\r\n";
    }

    return ($out, $is_chunked);
}

# Turn one "--- request" style request, given as packets (strings whose
# boundaries are the points where the client pauses), into the bytes to send:
#
#   METHOD [URI [HTTP/x.y]]      (defaults "/" and "HTTP/1.1")
#   body...                      (Content-Length added and body trimmed,
#                                 unless chunked or a Content-Length is given)
#
# plus "Host: localhost" and "Connection: $conn" unless --- more_headers
# provides them. The original packet boundaries are kept at the
# corresponding places of the rewritten request (text inserted exactly at a
# boundary stays with the packet before it).
sub build_request ($$$$$) {
    my ($name, $more_headers, $is_chunked, $conn, $packets) = @_;

    if (!@$packets || grep { !defined } @$packets) {
        bail_out("$name - Request line should be non-empty");
    }

    my $whole = join '', @$packets;
    my ($first) = $whole =~ /\A([^\n]*\n?)/;

    if (!$first) {
        bail_out("$name - Request line should be non-empty");
    }

    if ($first !~ /^(\s*)(\S+)( *)((\S+)( *))?((\S+)( *))?(\s*)$/) {
        bail_out("$name - Request line is not valid. Should be "
                 . "'meth [url [version]]' but got \"$first\".");
    }

    my ($before, $meth, $after_meth) = (length $1, $2, length $3);
    my ($url, $after_url) = ($5, defined $5 ? length $6 : 0);
    my ($ver, $after_ver) = ($8, defined $8 ? length $9 : 0);
    my $eol = length $10;

    my $content = substr $whole, length $first;
    my $new_content = $content;

    my $len_header = '';
    if (!$is_chunked && $content ne ''
        && $more_headers !~ /(?:^|\n)Content-Length:/)
    {
        $new_content =~ s/^\s+|\s+$//gs;
        $len_header = "Content-Length: " . length($new_content) . "\r\n";
    }

    $more_headers =~ s/(?<!\r)\n/\r\n/gs;

    my $headers = '';
    if ($more_headers !~ /(?:^|\n)Host:/msi) {
        $headers .= "Host: $Test::Nginx::Util::ServerName\r\n";
    }
    if ($more_headers !~ /(?:^|\n)Connection/msi) {
        $headers .= "Connection: $conn\r\n";
    }
    $headers .= "$more_headers$len_header\r\n";

    # (length in the original text, replacement text), in order.
    my @segments = (
        [$before,               ''],
        [length $meth,          "$meth "],
        [$after_meth,           ''],
        [defined $url ? length $url : 0, (defined $url ? $url : '/') . ' '],
        [$after_url,            ''],
        [defined $ver ? length $ver : 0, (defined $ver ? $ver : 'HTTP/1.1') . "\r\n"],
        [$after_ver + $eol,     ''],
        [0,                     $headers],
        [length $content,       $new_content],
    );

    # Original packet boundaries (offsets into $whole).
    my @bounds;
    my $acc = 0;
    for my $i (0 .. $#$packets - 1) {
        $acc += length $packets->[$i];
        push @bounds, $acc;
    }

    my ($out, $orig_pos, $bi) = ('', 0, 0);
    my @cuts;

    for my $seg (@segments) {
        my ($olen, $new) = @$seg;

        if ($olen > 0) {
            while ($bi < @bounds && $bounds[$bi] <= $orig_pos) {
                push @cuts, length $out;
                $bi++;
            }
            while ($bi < @bounds && $bounds[$bi] < $orig_pos + $olen) {
                my $off = min($bounds[$bi] - $orig_pos, length $new);
                push @cuts, length($out) + $off;
                $bi++;
            }
        }

        $out .= $new;
        $orig_pos += $olen;
    }

    push @cuts, length $out while $bi++ < @bounds;

    my @result;
    my $start = 0;
    for my $cut (@cuts, length $out) {
        push @result, substr $out, $start, $cut - $start;
        $start = $cut;
    }

    return \@result;
}

# The more_headers text for the $i-th request (an array gives one each).
sub more_headers_for ($$$) {
    my ($name, $more_headers, $i) = @_;

    if (ref $more_headers eq 'ARRAY') {
        my $hdr = $more_headers->[$i];
        if (!defined $hdr) {
            bail_out("$name - --- more_headers lacks data for the "
                     . "request #$i");
        }
        return parse_more_headers($hdr);
    }

    return parse_more_headers($more_headers);
}

# All requests of a block: a list of connections, each a list of packets
# { value => bytes, delay_before => seconds (optional) }.
sub get_req_from_block ($) {
    my ($block) = @_;
    my $name = $block->name;
    my @req_list;

    if (defined $block->raw_request) {
        # Bytes sent verbatim; an array is sent as separate packets.
        my $raw = $block->raw_request;
        if (ref $raw && ref $raw eq 'ARRAY') {
            push @req_list, [map { { value => $_ } } @$raw];
        } else {
            push @req_list, [{ value => $raw }];
        }
        return \@req_list;
    }

    my $request;
    if (defined $block->request_eval) {
        Test::More::diag("$name - request_eval DEPRECATED. "
                         . "Use request eval instead.");
        $request = eval $block->request_eval;
        warn $@ if $@;

    } else {
        $request = $block->request;
        if (defined $request && !ref $request) {
            # Leading blank and "# comment" lines are dropped.
            1 while $request =~ s/^\s*\#[^\n]+\s+|^\s+//s;
        }
    }

    my $more_headers = $block->more_headers || '';

    if ($block->pipelined_requests) {
        # All requests on one keep-alive connection; the last one closes.
        my $reqs = $block->pipelined_requests;
        if (!ref $reqs || ref $reqs ne 'ARRAY') {
            bail_out("$name - invalid entries in --- pipelined_requests");
        }

        my $all = '';
        for my $i (0 .. $#$reqs) {
            my $conn = $i == $#$reqs ? 'close' : 'keep-alive';
            my ($hdr, $is_chunked) = more_headers_for($name, $more_headers, $i);
            my $req = expand_env_in_text($reqs->[$i], $name, undef);
            $all .= build_request($name, $hdr, $is_chunked, $conn, [$req])->[0];
        }
        push @req_list, [{ value => $all }];
        return \@req_list;
    }

    if (!ref $request) {
        my ($hdr, $is_chunked) = more_headers_for($name, $more_headers, 0);
        my $bytes = build_request($name, $hdr, $is_chunked, 'close',
                                  [$request]);
        push @req_list, [{ value => $bytes->[0] }];

    } elsif (ref $request eq 'ARRAY') {
        # Several requests, one connection each.
        for my $i (0 .. $#$request) {
            my $one = $request->[$i];
            my ($hdr, $is_chunked) = more_headers_for($name, $more_headers, $i);

            if (!ref $one) {
                my $bytes = build_request($name, $hdr, $is_chunked, 'close',
                                          [$one]);
                push @req_list, [{ value => $bytes->[0] }];

            } elsif (ref $one eq 'ARRAY') {
                # One request split into packets (strings or
                # { value => ..., delay_before => ... }).
                my @values;
                for my $packet (@$one) {
                    if (!ref $packet) {
                        push @values, $packet;
                    } elsif (ref $packet eq 'HASH') {
                        push @values, $packet->{value};
                    } else {
                        bail_out("$name - Invalid syntax. $packet should be "
                                 . "a string or hash with value.");
                    }
                }

                my $bytes = build_request($name, $hdr, $is_chunked, 'close',
                                          \@values);
                my @packets;
                for my $j (0 .. $#$bytes) {
                    my $orig = $one->[$j];
                    push @packets, ref $orig
                                   ? { %$orig, value => $bytes->[$j] }
                                   : { value => $bytes->[$j] };
                }
                push @req_list, \@packets;

            } else {
                bail_out("$name - Invalid syntax. $one should be a string "
                         . "or an array of packets.");
            }
        }

    } else {
        bail_out("$name - invalid ---request : MUST be string or array "
                 . "of requests");
    }

    return \@req_list;
}

#---------------------------------------------------------------------------
# Talking to nginx
#---------------------------------------------------------------------------

# Connect, retrying while nginx is still coming up.
sub connect_to_server ($$$) {
    my ($block, $addr, $timeout) = @_;
    my $name = $block->name;
    my $total = $TotalConnectingTimeouts ? 20 : 50;
    my $sleep = sleep_time();

    for my $try (1 .. $total + 1) {
        my $sock = IO::Socket::INET->new(
            PeerAddr => $addr,
            PeerPort => $ServerPortForClient,
            Proto    => 'tcp',
            Timeout  => $timeout,
        );
        return $sock if $sock;

        last if $try > $total;

        # Unlike upstream, do not spend ~45 s retrying when nginx died.
        if (Test::Nginx::Util::nginx_is_gone()) {
            Test::More::fail("$name - Can't connect to "
                             . "$addr:$ServerPortForClient: nginx is not "
                             . "running any more (crashed?)\n");
            return undef;
        }

        my $wait = ($sleep + $sleep * $try) * $try / 2;
        $wait = 1 if $wait >= 1;
        if ($wait >= 0.6) {
            warn "$name - Can't connect to $addr:$ServerPortForClient: $!\n"
                 . "\tRetry connecting after $wait sec\n";
        }
        sleep $wait;
    }

    my $msg = "$name - Can't connect to $addr:$ServerPortForClient: $! "
              . "(aborted)\n";
    if (++$TotalConnectingTimeouts < 3) {
        Test::More::fail($msg);
    } else {
        bail_out($msg);
    }

    return undef;
}

# Read whatever is available. Returns 1 to go on, 0 at EOF or on error.
sub read_available ($) {
    my ($ctx) = @_;

    while (1) {
        my $buf;
        my $n = sysread $ctx->{sock}, $buf, 65536;

        if (!defined $n) {
            return 1 if $!{EAGAIN} || $!{EWOULDBLOCK} || $!{EINTR};
            warn "WARNING: $ctx->{name} - HTTP response read failure: $!\n";
            return 0;
        }

        return 0 if $n == 0;

        $ctx->{resp} .= $buf;
    }
}

# Write as much as possible. Returns undef on error, 1 when more is left,
# 2 when every packet has been written. Sleeps between packets.
sub write_available ($) {
    my ($ctx) = @_;

    while (1) {
        my $buf = $ctx->{write_buf};
        $buf = '' if !defined $buf;
        my $rest = length($buf) - $ctx->{write_offset};

        if ($rest > 0) {
            my $n = syswrite $ctx->{sock}, $buf, $rest, $ctx->{write_offset};

            if (!defined $n) {
                return 1 if $!{EAGAIN} || $!{EWOULDBLOCK} || $!{EINTR};
                my $err = "write failed: $!";
                warn "$err\n";
                $ctx->{resp} = $err if !$ctx->{resp};
                return undef;
            }

            $ctx->{write_offset} += $n;
            next;
        }

        my $next = shift @{ $ctx->{req_bits} };
        return 2 if !defined $next;

        $ctx->{write_buf} = $next->{value};
        $ctx->{write_offset} = 0;

        my $wait = defined $next->{delay_before} ? $next->{delay_before}
                                                 : $ctx->{middle_delay};
        sleep $wait if $wait;
    }
}

# Send one connection's packets and read until the server closes or the
# connection stays idle for $timeout seconds. Idling out fails the test
# ("client socket timed out") unless the block has --- abort.
# Returns (raw response bytes, is-HEAD-request).
sub send_request ($$$$) {
    my ($req, $middle_delay, $timeout, $block) = @_;

    my $name = $block->name;
    my @bits = @$req;

    my $all = join '', map { defined $_->{value} ? $_->{value} : '' } @bits;
    my $head_req = $all =~ /^\s*HEAD\s+/ ? 1 : 0;

    my $addr = $block->server_addr_for_client;
    $addr = $ServerAddr if !defined $addr;

    my $sock = connect_to_server($block, $addr, $timeout);
    return (undef, $head_req) if !$sock;

    $sock->blocking(0);
    local $SIG{PIPE} = 'IGNORE';

    my $ctx = {
        sock         => $sock,
        name         => $name,
        resp         => '',
        req_bits     => \@bits,
        write_buf    => (shift @bits)->{value},
        write_offset => 0,
        middle_delay => $middle_delay,
    };

    my $sel = IO::Select->new($sock);
    my ($reading, $writing) = (1, 1);

    while ($reading || $writing) {
        $! = 0;
        my ($readable, $writable) = IO::Select->select(
            $reading ? $sel : undef, $writing ? $sel : undef, undef, $timeout);

        # A signal (e.g. SIGCHLD with a handler) is not a timeout.
        next if !$readable && !$writable && $!{EINTR};

        if (!$readable && !$writable) {
            # Idle for $timeout seconds.
            close $sock;
            if (!defined $block->abort) {
                Test::More::fail("ERROR: client socket timed out - $name\n");
            } else {
                sleep 0.005;
            }
            last;
        }

        if ($readable && @$readable) {
            if (!read_available($ctx)) {
                close $sock;
                last;
            }
        }

        if ($writable && @$writable) {
            my $rc = write_available($ctx);

            if (!defined $rc) {
                close $sock;
                last;
            }

            if ($rc == 2) {
                my $shutdown = $block->shutdown;
                if (defined $shutdown) {
                    $shutdown = 1 if $shutdown =~ /^$/s;
                    shutdown $sock, $shutdown;
                }
                $writing = 0;
            }
        }
    }

    return ($ctx->{resp}, $head_req);
}

#---------------------------------------------------------------------------
# Parsing responses
#---------------------------------------------------------------------------

# Returns (HTTP::Response, raw header block incl. status line, leftover
# bytes after this response). 101 and 304 responses are body-less: their
# content is every byte after the headers. Chunked bodies are decoded.
sub parse_response ($$$) {
    my ($name, $raw_resp, $head_req) = @_;

    my $raw_headers = '';
    if ($raw_resp =~ /(.*?\r\n)\r\n/s) {
        $raw_headers = $1;
    }

    my $res = HTTP::Response->parse($raw_resp);

    my $code = $res->code;
    if ($code && $code !~ /^\d+$/) {
        undef $code;
        $res->code(undef);
    }

    if ($code && ($code == 304 || $code == 101)) {
        return ($res, $raw_headers);
    }

    my $enc = $res->header('Transfer-Encoding');
    my $len = $res->header('Content-Length');
    my $left;

    if (defined $enc && $enc eq 'chunked') {
        my $raw = $res->content;
        $raw = '' if !defined $raw;
        my $decoded = '';

        while (1) {
            if ($raw =~ /\G0[ \t]*\r\n\r\n/gc) {
                $left = $1 if $raw =~ /\G(.+)/gcs;
                last;
            }

            if ($raw =~ /\G[ \t]*([A-Fa-f0-9]+)[ \t]*\r\n/gc) {
                my $size = hex $1;
                if (length($raw) - pos($raw) < $size) {
                    Test::More::fail("$name - invalid chunked data received "
                        . "(not enough octets for the data section)");
                    return;
                }

                $decoded .= substr $raw, pos($raw), $size;
                pos($raw) += $size;

                if ($raw !~ /\G\r\n/gc) {
                    Test::More::fail("$name - invalid chunked data received "
                                     . "(expected CRLF).");
                    return;
                }

            } elsif ($raw =~ /\G(.+)/gcs) {
                Test::More::fail("$name - invalid chunked body received: $1");
                return;

            } else {
                Test::More::fail("$name - no last chunk found - $raw");
                return;
            }
        }

        $res->content($decoded);

    } elsif (defined $len && $len ne '' && $len =~ /^\d+$/) {
        my $raw = $res->content;
        $raw = '' if !defined $raw;

        if (length $raw < $len) {
            if (!$head_req) {
                warn "WARNING: $name - response body truncated: $len "
                     . "expected, but got " . length($raw) . "\n";
            }

        } elsif (length $raw > $len) {
            $left = substr $raw, $len;
            $res->content(substr $raw, 0, $len);
        }
    }

    return ($res, $raw_headers, $left);
}

#---------------------------------------------------------------------------
# Checks
#---------------------------------------------------------------------------

# With several requests, every expectation must be an array (one element
# per request); with one request an array's first element is used.
sub get_indexed_value ($$$$) {
    my ($name, $value, $req_idx, $need_array) = @_;

    if ($need_array) {
        if (ref $value && ref $value eq 'ARRAY') {
            return $value->[$req_idx];
        }

        bail_out("$name - You asked for many requests, the expected results "
                 . "should be arrays as well.");
    }

    if (ref $value && ref $value eq 'ARRAY') {
        return $value->[0];
    }

    return $value;
}

sub fmt_str ($) {
    my $str = shift;
    chomp $str;
    $str =~ s/"/\\"/g;
    $str =~ s/\r/\\r/g;
    $str =~ s/\n/\\n/g;
    return $str;
}

# Escaped excerpt of $s around $pos, for diagnostics.
sub excerpt ($$) {
    my ($s, $pos) = @_;
    my $from = $pos > 30 ? $pos - 30 : 0;
    my $ex = substr $s, $from, 70;
    $ex =~ s/([\0-\037\177-\377])/sprintf('\\x%02x', ord $1)/ge;
    return ($from > 0 ? '...' : '') . $ex
           . ($from + 70 < length $s ? '...' : '');
}

# Exact string comparison with compact diagnostics (first difference),
# like Test::LongString's is_string; Test::Base's diffing `is` with
# no_long_string().
sub is_string_cmp ($$$) {
    my ($got, $expected, $desc) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;

    if ($NoLongString) {
        return Test::Base::is($got, $expected, $desc);
    }

    if (!defined $got || !defined $expected) {
        return Test::More::is($got, $expected, $desc);
    }

    if ($got eq $expected) {
        return Test::More::pass($desc);
    }

    my $pos = 0;
    my $max = min(length $got, length $expected);
    $pos++ while $pos < $max
                 && substr($got, $pos, 1) eq substr($expected, $pos, 1);

    Test::More::fail($desc);
    Test::More::diag(sprintf
        "         got: \"%s\"\n    length: %d\n    expected: \"%s\"\n"
        . "    length: %d\n    strings begin to differ at char %d",
        excerpt($got, $pos), length $got, excerpt($expected, $pos),
        length $expected, $pos + 1);

    return 0;
}

sub check_error_code ($$$$$) {
    my ($block, $res, $dry_run, $req_idx, $need_array) = @_;
    my $name = $block->name;
    my $code = ($res && $res->code) || '';

    SKIP: {
        Test::More::skip("$name - tests skipped due to $dry_run", 1)
            if $dry_run;

        if (defined $block->error_code_like) {
            my $val = get_indexed_value($name, $block->error_code_like,
                                        $req_idx, $need_array);
            Test::More::like($code, qr/$val/sm, "$name - status code ok");

        } elsif (defined $block->error_code) {
            Test::More::is($code,
                           get_indexed_value($name, $block->error_code,
                                             $req_idx, $need_array),
                           "$name - status code ok");

        } else {
            Test::More::is($code, 200, "$name - status code ok");
        }
    }
}

sub check_raw_response_headers ($$$$$) {
    my ($block, $raw_headers, $dry_run, $req_idx, $need_array) = @_;
    my $name = $block->name;

    for my $kind (qw( like unlike )) {
        my $spec = $kind eq 'like' ? $block->raw_response_headers_like
                                   : $block->raw_response_headers_unlike;
        next if !defined $spec;

        SKIP: {
            Test::More::skip("$name - raw_response_headers_$kind - tests "
                             . "skipped due to $dry_run", 1) if $dry_run;

            my $pat = get_indexed_value($name, $spec, $req_idx, $need_array);
            if ($kind eq 'like') {
                Test::More::like($raw_headers, qr/$pat/s,
                                 "$name - raw resp headers like");
            } else {
                Test::More::unlike($raw_headers, qr/$pat/s,
                                   "$name - raw resp headers unlike");
            }
        }
    }
}

# Header names in the order they appear in the section (each once).
sub header_names_in_order ($$) {
    my ($text, $headers) = @_;
    my (@names, %seen);

    for my $line (split /\n/, defined $text ? $text : '') {
        $line =~ s/^\s+|\s+$//g;
        next if $line eq '';
        my $key = $line =~ s/^!\s*// ? $line : (split /\s*:\s*/, $line, 2)[0];
        push @names, $key if exists $headers->{$key} && !$seen{$key}++;
    }

    return @names;
}

sub check_response_headers ($$$$$$) {
    my ($block, $res, $raw_headers, $dry_run, $req_idx, $need_array) = @_;
    my $name = $block->name;

    if (defined $block->response_headers) {
        my $text = get_indexed_value($name, $block->response_headers,
                                     $req_idx, $need_array);
        my $headers = parse_headers($text);

        for my $key (header_names_in_order($text, $headers)) {
            my $val = $headers->{$key};

            if (!defined $val) {
                # "!Name": the header must not be in the raw response.
                SKIP: {
                    Test::More::skip("$name - response_headers - tests "
                                     . "skipped due to $dry_run", 1) if $dry_run;
                    Test::More::unlike($raw_headers, qr/^\s*\Q$key\E\s*:/ms,
                        "$name - header $key not present in the raw headers");
                }
                next;
            }

            $val =~ s/\$ServerPort\b/$ServerPort/g;
            $val =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;

            my $actual = $res ? $res->header($key) : undef;
            $actual = '' if !defined $actual;

            SKIP: {
                Test::More::skip("$name - response_headers - tests skipped "
                                 . "due to $dry_run", 1) if $dry_run;
                Test::More::is($actual, $val, "$name - header $key ok");
            }
        }

    } elsif (defined $block->response_headers_like) {
        my $text = get_indexed_value($name, $block->response_headers_like,
                                     $req_idx, $need_array);
        my $headers = parse_headers($text);

        for my $key (header_names_in_order($text, $headers)) {
            my $val = $headers->{$key};
            $val = '' if !defined $val;

            my $actual = $res ? $res->header($key) : undef;
            $actual = '' if !defined $actual;

            SKIP: {
                Test::More::skip("$name - response_headers_like - tests "
                                 . "skipped due to $dry_run", 1) if $dry_run;
                Test::More::like($actual, qr/^$val$/,
                                 "$name - header $key like ok");
            }
        }
    }
}

# --- response_body_filters: names (md5_hex sha1_hex uc lc ucfirst
# lcfirst length) or code refs, applied to the body before the checks.
sub run_filter_helper ($$$) {
    my ($block, $filter, $content) = @_;
    my $name = $block->name;

    if (ref $filter && ref $filter eq 'CODE') {
        return $filter->($content);
    }

    if (ref $filter) {
        bail_out("$name - the --- response_body_filters section only "
                 . "supports subroutine reference values and string values");
    }

    my %builtin = (
        md5_hex  => sub { Digest::MD5::md5_hex($_[0]) },
        sha1_hex => sub { Digest::SHA::sha1_hex($_[0]) },
        uc       => sub { uc $_[0] },
        lc       => sub { lc $_[0] },
        ucfirst  => sub { ucfirst $_[0] },
        lcfirst  => sub { lcfirst $_[0] },
        length   => sub { length $_[0] },
    );

    my $f = $builtin{$filter}
        or bail_out("$name - unknown filter, \"$filter\", specified in the "
                    . "--- response_body_filters section");

    return $f->($content);
}

sub transform_response_body ($$$) {
    my ($block, $res, $req_idx) = @_;

    return if !defined $res;
    my $content = $res->content;
    return if !defined $content;

    my $filters = $block->response_body_filters;
    return if !defined $filters;

    my $name = $block->name;

    if (!ref $filters) {
        $filters =~ s/^\s+|\s+$//gs;
        $filters = [split /\s+/, $filters];
    } elsif (ref $filters ne 'ARRAY') {
        $filters = [$filters];
    }

    my $filter = $filters;
    if (ref $filters->[0] eq 'ARRAY') {
        # One filter list per request.
        for my $elem (@$filters) {
            if (ref $elem ne 'ARRAY') {
                bail_out("$name - the --- response_body_filters "
                         . "two-dimensional array only be like [[uc], [lc]] "
                         . "not [[uc], lc]");
            }
        }
        $filter = $filters->[$req_idx];
        if (!defined $filter) {
            bail_out("$name - the ---response_body_filters two-dimensional "
                     . "array unmatch the specified request($req_idx)");
        }
    }

    for my $f (ref $filter eq 'ARRAY' ? @$filter : ($filter)) {
        $content = run_filter_helper($block, $f, $content);
    }

    $res->content($content);
}

sub check_response_body ($$$$$$) {
    my ($block, $res, $dry_run, $req_idx, $repeated_req_idx, $need_array) = @_;
    my $name = $block->name;

    my $content = $res ? $res->content : undef;
    if (defined $content) {
        $content =~ s/^TE: deflate,gzip;q=0\.3\r\n//gms;
        $content =~ s/^Connection: TE, close\r\n//gms;
    }

    if (defined $block->response_body || defined $block->response_body_eval) {
        my $expected;

        if ($block->response_body_eval) {
            Test::More::diag("$name - response_body_eval is DEPRECATED. "
                             . "Use response_body eval instead.");
            $expected = eval get_indexed_value($name,
                                               $block->response_body_eval,
                                               $req_idx, $need_array);
            warn $@ if $@;

        } else {
            $expected = get_indexed_value($name, $block->response_body,
                                          $req_idx, $need_array);
        }

        if ($block->charset && defined $expected) {
            Encode::from_to($expected, 'UTF-8', $block->charset);
        }

        if (defined $expected && !ref $expected) {
            $expected =~ s/\$ServerPort\b/$ServerPort/g;
            $expected =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
            $expected = expand_env_in_text($expected, $name, undef);
        }

        my $desc = "$name - response_body - response is expected "
                   . "(repeated req $repeated_req_idx, req $req_idx)";

        SKIP: {
            Test::More::skip("$name - response_body - tests skipped due to "
                             . "$dry_run", 1) if $dry_run;

            if (ref $expected) {
                Test::More::like($content, $expected,
                    "$name - response_body - like (repeated req "
                    . "$repeated_req_idx, req $req_idx)");
            } else {
                is_string_cmp($content, $expected, $desc);
            }
        }

    } elsif (defined $block->response_body_like
             || defined $block->response_body_unlike)
    {
        my $type = defined $block->response_body_like ? 'like' : 'unlike';
        my $patterns = $type eq 'like' ? $block->response_body_like
                                       : $block->response_body_unlike;

        my $pat = get_indexed_value($name, $patterns, $req_idx, $need_array);
        $pat = '' if !defined $pat;
        $pat =~ s/\$ServerPort\b/$ServerPort/g;
        $pat =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;

        my $summary = trim($content);
        $summary = '' if !defined $summary;
        my $desc = "$name - response_body_$type - response is expected "
                   . "($summary)";

        SKIP: {
            Test::More::skip("$name - response_body_$type - tests skipped "
                             . "due to $dry_run", 1) if $dry_run;

            if ($type eq 'like') {
                Test::More::like($content, qr/$pat/s, $desc);
            } else {
                Test::More::unlike($content, qr/$pat/s, $desc);
            }
        }
    }

    for my $check (@ResponseBodyChecks) {
        $check->($block, $res ? $res->content : undef, $req_idx,
                 $repeated_req_idx, $dry_run);
    }
}

# Does the pattern spec (string, Regexp or array of them) mention $pat?
sub value_contains ($$) {
    my ($val, $pat) = @_;

    if (!ref $val || ref $val eq 'Regexp') {
        return "$val" =~ /\Q$pat\E/;
    }

    if (ref $val eq 'ARRAY') {
        for my $v (@$val) {
            return 1 if defined $v && value_contains($v, $pat);
        }
    }

    return undef;
}

# A pattern section as a fresh list: lines of a string, a Regexp, or a copy
# of an array (elements are strings or Regexps).
sub pattern_list ($) {
    my $pats = shift;

    if (!ref $pats) {
        chomp $pats;
        return [split /\n+/, $pats];
    }

    return [$pats] if ref $pats eq 'Regexp';

    return [@$pats];
}

sub line_matches ($$) {
    my ($line, $pat) = @_;
    return (ref $pat && $line =~ /$pat/) || $line =~ /\Q$pat\E/;
}

# Every pattern must match some line: one pass/fail per pattern.
sub check_patterns_present ($$$$$) {
    my ($pats, $lines, $dry_run, $kind, $msg) = @_;
    # $msg: sub ($pat, $found) returning the test description

    for my $line (@$lines) {
        for my $pat (@$pats) {
            next if !defined $pat;
            if (line_matches($line, $pat)) {
                SKIP: {
                    Test::More::skip("$kind - tests skipped due to $dry_run", 1)
                        if $dry_run;
                    Test::More::pass($msg->($pat, 1));
                }
                undef $pat;
            }
        }
    }

    for my $pat (@$pats) {
        next if !defined $pat;
        SKIP: {
            Test::More::skip("$kind - tests skipped due to $dry_run", 1)
                if $dry_run;
            Test::More::fail($msg->($pat, 0));
        }
    }
}

# No pattern may match any line: one fail per matching line, one pass per
# pattern that matched nothing.
sub check_patterns_absent ($$$$$) {
    my ($pats, $lines, $dry_run, $kind, $msg) = @_;
    # $msg: sub ($pat, $line, $following_lines) / ($pat) for a pass
    my %found;

    for my $i (0 .. $#$lines) {
        my $line = $lines->[$i];
        for my $pat (@$pats) {
            next if !defined $pat;
            next if !line_matches($line, $pat);

            $found{$pat} = 1;
            SKIP: {
                Test::More::skip("$kind - tests skipped due to $dry_run "
                                 . "($line)", 1) if $dry_run;
                my @more;
                for (my $j = $i + 1; $j < min($i + 10, @$lines - 1); $j++) {
                    push @more, $lines->[$j];
                }
                Test::More::fail($msg->($pat, $line, join '', @more));
            }
        }
    }

    for my $pat (@$pats) {
        next if !defined $pat || $found{$pat};
        SKIP: {
            Test::More::skip("$kind - tests skipped due to $dry_run", 1)
                if $dry_run;
            Test::More::pass($msg->($pat));
        }
    }
}

# --- grep_error_log / grep_error_log_out, --- error_log, --- no_error_log
# against the error.log lines written since the previous check; warnings
# for [alert], [crit] and [emerg] lines the block does not expect.
sub check_error_log ($$$$$) {
    my ($block, $res, $dry_run, $repeated_req_idx, $need_array) = @_;
    my $name = $block->name;
    my $lines;

    my %warn_levels = map { $_ => 1 } qw( alert crit emerg );

    my $grep_pat;
    my $grep_pats = $block->grep_error_log;

    if (defined $grep_pats) {
        $grep_pat = ref $grep_pats && ref $grep_pats eq 'ARRAY'
                    ? $grep_pats->[$repeated_req_idx] : $grep_pats;

    } elsif (defined $block->grep_error_log_out) {
        bail_out("$name - No --- grep_error_log defined but "
                 . "--- grep_error_log_out is defined");
    }

    if (defined $grep_pat) {
        my $expected = $block->grep_error_log_out;
        if (!defined $expected) {
            bail_out("$name - No --- grep_error_log_out defined but "
                     . "--- grep_error_log is defined");
        }

        if (ref $expected && ref $expected eq 'ARRAY') {
            $expected = $expected->[$repeated_req_idx];
        }

        if (defined $expected && !ref $expected) {
            $expected = expand_env_in_text($expected, $name, undef);
        }

        SKIP: {
            Test::More::skip("$name - error_log - tests skipped due to "
                             . "$dry_run", 1) if $dry_run;

            $lines ||= error_log_data();

            my $matched_lines = '';
            for my $line (@$lines) {
                my $matched;
                if (ref $grep_pat && $line =~ /$grep_pat/) {
                    $matched = $&;
                } elsif ($line =~ /\Q$grep_pat\E/) {
                    $matched = $&;
                }
                if (defined $matched && $matched !~ /\n/) {
                    $matched_lines .= "$matched\n";
                }
            }

            my $desc = "$name - grep_error_log_out (req $repeated_req_idx)";
            if (ref $expected && ref $expected eq 'Regexp') {
                Test::More::like($matched_lines, $expected, $desc);
            } else {
                is_string_cmp($matched_lines, $expected, $desc);
            }
        }
    }

    for my $kind (qw( error_log no_error_log )) {
        my $pats = $block->$kind;
        next if !defined $pats;

        for my $level (keys %warn_levels) {
            delete $warn_levels{$level} if value_contains($pats, "[$level");
        }

        $pats = pattern_list($pats);
        $lines ||= error_log_data();

        if ($kind eq 'error_log') {
            check_patterns_present($pats, $lines, $dry_run,
                                   "$name - error_log", sub {
                my ($pat, $found) = @_;
                return $found
                    ? "$name - pattern \"$pat\" matches a line in error.log "
                      . "(req $repeated_req_idx)"
                    : "$name - pattern \"$pat\" should match a line in "
                      . "error.log (req $repeated_req_idx)";
            });

        } else {
            check_patterns_absent($pats, $lines, $dry_run,
                                  "$name - no_error_log", sub {
                my ($pat, $line, $more) = @_;
                my $p = fmt_str($pat);
                return "$name - pattern \"$p\" does not match a line in "
                       . "error.log (req $repeated_req_idx)" if @_ == 1;
                return "$name - pattern \"$p\" should not match any line in "
                       . "error.log but matches line \"" . fmt_str($line)
                       . "\" (req $repeated_req_idx)\n$more";
            });
        }
    }

    if (!$dry_run) {
        for my $level (sort keys %warn_levels) {
            $lines ||= error_log_data();
            for my $line (@$lines) {
                if ($line =~ /\[\Q$level\E\]/) {
                    warn "WARNING: $name - " . fmt_str($line) . "\n";
                }
            }
        }
    }

    for my $line (@{ $lines || [] }) {
        if ($line =~ /\bAssertion .*?failed\b/) {
            my $l = $line;
            chomp $l;
            Test::More::fail("$name - $l\n");
        }
    }
}

# --- shutdown_error_log / --- no_shutdown_error_log: checked against what
# nginx logged while stopping, once the next block (or END) stopped it.
sub check_shutdown_error_log ($$) {
    my ($block, $dry_run) = @_;
    my $name = $block->name;
    my $lines = error_log_data();

    if (defined $block->no_shutdown_error_log) {
        my $pats = pattern_list($block->no_shutdown_error_log);
        check_patterns_absent($pats, $lines, $dry_run,
                              "$name - no_shutdown_error_log", sub {
            my ($pat, $line) = @_;
            my $p = fmt_str($pat);
            return "$name - pattern \"$p\" does not match a line in error.log"
                if @_ == 1;
            return "$name - pattern \"$p\" should not match any line in "
                   . "error.log but matches line \"" . fmt_str($line) . "\"";
        });
    }

    if (defined $block->shutdown_error_log) {
        my $pats = pattern_list($block->shutdown_error_log);
        check_patterns_present($pats, $lines, $dry_run,
                               "$name - shutdown_error_log", sub {
            my ($pat, $found) = @_;
            return $found
                ? "$name - pattern \"$pat\" matches a line in error.log"
                : "$name - pattern \"$pat\" should match a line in error.log";
        });
    }

    for my $line (@$lines) {
        if ($line =~ /\bAssertion .*? failed\.$/) {
            my $l = $line;
            chomp $l;
            Test::More::fail("$name - $l");
        }
    }
}

# --- access_log / --- no_access_log against the whole access.log.
sub check_access_log ($$$) {
    my ($block, $dry_run, $repeated_req_idx) = @_;
    my $name = $block->name;
    my $lines;

    if (defined $block->access_log) {
        my $pats = pattern_list($block->access_log);
        $lines ||= access_log_data();
        check_patterns_present($pats, $lines, $dry_run, "$name - access_log",
                               sub {
            my ($pat, $found) = @_;
            return $found
                ? "$name - pattern \"$pat\" matches a line in access.log "
                  . "(req $repeated_req_idx)"
                : "$name - pattern \"$pat\" should match a line in "
                  . "access.log (req $repeated_req_idx)";
        });
    }

    if (defined $block->no_access_log) {
        my $pats = pattern_list($block->no_access_log);
        $lines ||= access_log_data();
        check_patterns_absent($pats, $lines, $dry_run,
                              "$name - no_access_log", sub {
            my ($pat, $line, $more) = @_;
            my $p = fmt_str($pat);
            return "$name - pattern \"$p\" does not match a line in "
                   . "access.log (req $repeated_req_idx)" if @_ == 1;
            return "$name - pattern \"$p\" should not match any line in "
                   . "access.log but matches line \"" . fmt_str($line)
                   . "\" (req $repeated_req_idx)\n$more";
        });
    }
}

# --- stap*: systemtap mode is not available; like upstream without
# TEST_NGINX_USE_STAP, a block with --- stap reports one skipped test.
sub test_stap ($$) {
    my ($block, $dry_run) = @_;
    return if !defined $block->stap;

    my $name = $block->name;
    SKIP: {
        Test::More::skip("$name - stap_out - tests skipped due to env "
                         . "TEST_NGINX_USE_STAP is not set", 1);
    }
}

#---------------------------------------------------------------------------
# One round (one repeat_each iteration) of a block's requests and checks
#---------------------------------------------------------------------------

sub run_test_helper ($$$) {
    my ($block, $dry_run, $repeated_req_idx) = @_;

    my $name = $block->name;
    my $r_req_list = get_req_from_block($block);

    if (!@$r_req_list) {
        bail_out("$name - request empty");
    }

    my $timeout = parse_time($block->timeout);
    $timeout = timeout() if !defined $timeout;

    my ($res, $n, $need_array);
    my $req_idx = 0;

    for my $one_req (@$r_req_list) {
        my ($raw_resp, $head_req);

        if ($dry_run) {
            $raw_resp = "200 OK HTTP/1.0\r\nContent-Length: 0\r\n\r\n";
        } else {
            ($raw_resp, $head_req) = send_request($one_req,
                $block->raw_request_middle_delay, $timeout, $block);
        }

        if ($block->pipelined_requests) {
            $n = @{ $block->pipelined_requests };
            $need_array = 1;
        } else {
            $need_array = @$r_req_list > 1;
        }

        # Pipelined responses are parsed one after the other from the bytes
        # left over by the previous one.
        while (1) {
            $raw_resp = '' if !defined $raw_resp;
            my ($raw_headers, $left);

            if (!defined $block->ignore_response) {
                if (defined $block->http09) {
                    $res = HTTP::Response->new(200, "OK", [], $raw_resp);
                    $raw_headers = '';
                } else {
                    ($res, $raw_headers, $left) =
                        parse_response($name, $raw_resp, $head_req);
                }
            }

            if (!$n) {
                if ($left) {
                    (my $l = $left) =~ s/([\0-\037\200-\377])/sprintf('\x{%02x}', ord $1)/eg;
                    warn "WARNING: $name - unexpected extra bytes after last "
                         . "chunk in response: \"$l\"\n";
                }
            } else {
                $raw_resp = $left;
                $n--;
            }

            if (!defined $block->ignore_response) {
                check_error_code($block, $res, $dry_run, $req_idx,
                                 $need_array);
                check_raw_response_headers($block, $raw_headers, $dry_run,
                                           $req_idx, $need_array);
                check_response_headers($block, $res, $raw_headers, $dry_run,
                                       $req_idx, $need_array);
                transform_response_body($block, $res, $req_idx);
                check_response_body($block, $res, $dry_run, $req_idx,
                                    $repeated_req_idx, $need_array);
            }

            # Between requests the log is checked too (lines so far).
            if ($n || $req_idx < @$r_req_list - 1) {
                sleep $block->wait if $block->wait;
                check_error_log($block, $res, $dry_run, $repeated_req_idx,
                                $need_array);
                if (!defined $block->ignore_response) {
                    check_access_log($block, $dry_run, $repeated_req_idx);
                }
            }

            $req_idx++;
            last if !$n;
        }
    }

    sleep $block->wait if $block->wait;

    test_stap($block, $dry_run);

    check_error_log($block, $res, $dry_run, $repeated_req_idx, $need_array);

    if (!defined $block->ignore_response) {
        check_access_log($block, $dry_run, $repeated_req_idx);
    }
}

1;
__END__

=encoding utf-8

=head1 NAME

Test::Nginx::Socket - bundled, upstream-compatible subset of openresty's
Test::Nginx::Socket

=head1 SYNOPSIS

    use lib 't/lib';
    use Test::Nginx::Socket 'no_plan';

    repeat_each(2);
    run_tests();

    __DATA__

    === TEST 1: hello
    --- config
        location = /t { return 200 "hello\n"; }
    --- request
    GET /t
    --- response_body
    hello
    --- no_error_log
    [error]

=head1 DESCRIPTION

A re-implementation (not a copy) of the parts of openresty's test-nginx
that this project's suites use, for machines where upstream cannot be
installed. Test files must keep passing under upstream, unchanged.

Supported sections: config, http_config, main_config, post_main_config,
server_name, init, user_files, log_level, must_die (+ suppress_stderr),
request (string or eval array; one connection per request), request_eval,
more_headers (string or array), raw_request (string or array of packets) +
raw_request_middle_delay, pipelined_requests, timeout, abort, shutdown,
wait, ignore_response, http09, error_code, error_code_like,
response_headers (C<!Name> = absent), response_headers_like,
raw_response_headers_like/_unlike, response_body (string or qr//),
response_body_like/_unlike, response_body_filters, charset, error_log,
no_error_log, grep_error_log + grep_error_log_out, shutdown_error_log,
no_shutdown_error_log, access_log, no_access_log, skip_nginx, skip_nginx2,
skip_eval, skip_openssl, skip_slave, todo, todo_nginx, stap* (one skipped
subtest, as upstream without TEST_NGINX_USE_STAP), ONLY, SKIP, LAST.

Functions: everything upstream's Test::Nginx::Socket exports (plan,
blocks, run_tests, repeat_each, no_shuffle, no_long_string, no_diff,
log_level, workers, master_on, master_off, worker_connections,
env_to_nginx, no_root_location, check_accum_error_log, timeout,
server_port, server_root, html_dir, add_block_preprocessor,
add_cleanup_handler, add_test_cleanup_handler, add_response_body_check,
bail_out, is_str, ...).

Environment: TEST_NGINX_BINARY (default C<nginx> in PATH, else
/usr/sbin/nginx), TEST_NGINX_PORT / TEST_NGINX_SERVER_PORT (1984),
TEST_NGINX_SERVROOT (t/servroot), TEST_NGINX_LOAD_MODULES,
TEST_NGINX_NO_SHUFFLE, TEST_NGINX_LOG_LEVEL, TEST_NGINX_TIMEOUT,
TEST_NGINX_SLEEP, TEST_NGINX_NO_CLEAN, TEST_NGINX_REUSE_PORT,
TEST_NGINX_MASTER_PROCESS, TEST_NGINX_FORCE_RESTART_ON_TEST,
TEST_NGINX_RANDOMIZE, TEST_NGINX_CHECK_ACCUM_ERR_LOG, TEST_NGINX_ERROR_LOG,
TEST_NGINX_WORKER_USER, TEST_NGINX_POSTPONE_OUTPUT, TEST_NGINX_EVENT_TYPE.

Stricter than upstream (so mistakes cannot pass silently): unknown
sections, unimplemented upstream sections (tcp_*, udp_*, http2, http3,
curl_*) and upstream-only modes (HUP, valgrind, stap, check-leak,
benchmark, HTTP/2, HTTP/3) bail out; an C<eval> section that dies bails
out instead of becoming the section's text. Suites with sections of their
own list them in C<@Test::Nginx::Socket::ExtraSections>.

Other differences: a request to an nginx that has died fails at once
instead of after ~45 s of retries; zombie processes count as exited;
cleanup handlers run once; a --- shutdown_error_log is not lost when a
skipped or config-less block follows; relative TEST_NGINX_SERVROOT is made
absolute; diagnostics for long strings are built in (no
Test::LongString).

See F<t/000-runner.t> and F<t/runner-selftest/> for the runner's own tests.

=cut
