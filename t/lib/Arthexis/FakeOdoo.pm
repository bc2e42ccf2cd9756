package Arthexis::FakeOdoo;

# A fake Odoo XML-RPC server on 127.0.0.1 for the odoo suites (Odoo itself
# cannot run here).  It answers POST /<mode>/xmlrpc/2/common, so that an
# instance's URL http://127.0.0.1:PORT/<mode> picks the behaviour:
#
#   ok          version() -> 17.0; authenticate() -> uid 7 when the
#               password is one of @PASSWORDS, else false
#   false       authenticate() -> false whatever the password
#   fault       authenticate() -> fault 3 "Access Denied"
#   leak        authenticate() -> a fault whose traceback quotes the
#               password it was given (the module must hide it)
#   cutleak     authenticate() -> a long fault line with the password
#               where the module cuts the line short
#   longutf8    authenticate() -> a fault line of 300 accented letters
#   uidstring   authenticate() -> a string instead of a uid
#   badversion  version() -> an integer instead of a struct
#   garbage     any call -> 200 with a body that is not XML
#   http500     any call -> 500 Internal Server Error
#   huge        any call -> 200 with 2 MiB of XML
#   close       any call -> the connection closed without an answer
#   slow        sleeps 3 s, then as ok
#   slowish     sleeps 1 s, then as ok
#
# Each connection is served by its own child (HTTP/1.1 keep-alive, so
# curl's connection cache is exercised), so slow answers do not hold
# others up.  The server exits when the test process goes away.  Calls
# are logged one per line ("mode method db user") for calls(); passwords
# are never logged.

use strict;
use warnings;

use IO::Socket::INET ();
use IO::Select ();
use POSIX ();
use Time::HiRes qw( sleep time );

our @PASSWORDS = ('Sup3r-s3cret!', qq{<&>"'\]\]> p\x{e9}\x{20ac}});

my ($Pid, $Port, $Log);

# starts the server once; returns its port
sub start (;$) {
    my $log = shift;

    return $Port if $Pid;

    my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                       LocalPort => 0, Listen => 128,
                                       ReuseAddr => 1, Proto => 'tcp')
        or die "fake odoo: cannot listen: $!\n";

    $Port = $listen->sockport;
    $Log = $log // "/tmp/fake-odoo-$$.log";
    unlink $Log;

    my $parent = $$;
    $Pid = fork // die "fake odoo: fork: $!\n";

    if ($Pid == 0) {
        POSIX::setpgid(0, 0);
        $SIG{CHLD} = 'IGNORE';
        serve($listen, $parent);
        POSIX::_exit(0);
    }

    close $listen;

    return $Port;
}

# stops the server and its children (its own process group)
sub stop () {
    return unless $Pid;

    kill 'TERM', -$Pid;
    waitpid($Pid, 0);
    undef $Pid;
    unlink $Log if defined $Log;
}

sub port () { $Port }

# a port nothing listens on (bound, then closed)
sub closed_port () {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Listen => 1, Proto => 'tcp')
        or die "fake odoo: $!\n";
    my $port = $s->sockport;
    close $s;
    return $port;
}

# the calls received so far, "mode method db user" lines
sub calls () {
    open my $fh, '<', $Log or return '';
    local $/;
    my $s = <$fh>;
    close $fh;
    return $s // '';
}

sub clear_calls () {
    truncate $Log, 0 if -e $Log;
}

sub serve {
    my ($listen, $parent) = @_;
    my $sel = IO::Select->new($listen);

    for (;;) {
        exit 0 if getppid() != $parent;

        next unless $sel->can_read(0.5);

        my $c = $listen->accept or next;
        my $pid = fork;

        if (defined $pid && $pid == 0) {
            close $listen;
            connection($c);
            POSIX::_exit(0);
        }

        close $c;
    }
}

sub connection {
    my $c = shift;

    binmode $c;
    my $buf = '';

    for (;;) {
        # the head; what is not HTTP (a TLS handshake) gets a 400, as
        # from a real plain HTTP server
        while ($buf !~ /\r\n\r\n/) {
            return unless read_more($c, \$buf, 5);

            if ($buf !~ /^[A-Z]/) {
                send_answer($c, '400 Bad Request', 'text/html',
                            "<html>bad request</html>");
                return;
            }
        }

        my ($head, $rest) = split /\r\n\r\n/, $buf, 2;
        my ($method, $path) = $head =~ m{^(\S+) (\S+) HTTP/1\.\d};
        my ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
        $len //= 0;

        while (length $rest < $len) {
            return unless read_more($c, \$rest, 5);
        }

        my $body = substr($rest, 0, $len);
        $buf = substr($rest, $len);

        answer($c, $method // '', $path // '', $body) or return;
    }
}

sub read_more {
    my ($c, $buf, $timeout) = @_;

    return 0 unless IO::Select->new($c)->can_read($timeout);

    my $n = sysread($c, my $chunk, 65536);
    return 0 unless $n;

    $$buf .= $chunk;
    return 1;
}

sub unescape {
    my $s = shift;

    $s =~ s/&#x([0-9a-fA-F]+);/chr(hex $1)/ge;
    $s =~ s/&#(\d+);/chr($1)/ge;
    $s =~ s/&lt;/</g;
    $s =~ s/&gt;/>/g;
    $s =~ s/&quot;/"/g;
    $s =~ s/&apos;/'/g;
    $s =~ s/&amp;/&/g;

    return $s;
}

sub xml ($) {
    my $value = shift;
    return "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n"
           . "$value\n</param>\n</params>\n</methodResponse>\n";
}

sub fault ($$) {
    my ($code, $text) = @_;

    $text =~ s/&/&amp;/g;
    $text =~ s/</&lt;/g;
    $text =~ s/>/&gt;/g;

    return "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value>"
           . "<struct>\n<member>\n<name>faultCode</name>\n<value><int>$code"
           . "</int></value>\n</member>\n<member>\n<name>faultString</name>"
           . "\n<value><string>$text</string></value>\n</member>\n"
           . "</struct></value>\n</fault>\n</methodResponse>\n";
}

sub send_answer {
    my ($c, $status, $type, $body) = @_;

    # characters to UTF-8 bytes, whatever Perl's internal form
    utf8::upgrade($body);
    utf8::encode($body);

    my $head = "HTTP/1.1 $status\r\nServer: fake-odoo\r\n"
               . "Content-Type: $type\r\nContent-Length: " . length($body)
               . "\r\n\r\n";

    local $SIG{PIPE} = 'IGNORE';
    print $c $head . $body;

    return 1;
}

sub answer {
    my ($c, $method, $path, $body) = @_;

    my ($mode) = $path =~ m{^/([^/]+)/xmlrpc/2/common$};

    if ($method ne 'POST' || !defined $mode) {
        return send_answer($c, '404 Not Found', 'text/html',
                           "<html>not found</html>");
    }

    utf8::decode($body);

    my ($call) = $body =~ m{<methodName>([^<]*)</methodName>};
    my @params;

    while ($body =~ m{<param>\s*<value>\s*(?:<string>(.*?)</string>|([^<]*))
                      \s*</value>}gsx)
    {
        push @params, unescape($1 // $2);
    }

    $call //= '';

    if (open my $log, '>>', $Log) {
        print $log join(' ', $mode, $call, $params[0] // '-',
                        $params[1] // '-') . "\n";
        close $log;
    }

    sleep 3 if $mode eq 'slow';
    sleep 1 if $mode eq 'slowish';

    return 0 if $mode eq 'close';

    return send_answer($c, '500 Internal Server Error', 'text/html',
                       "<html>Internal Server Error</html>")
        if $mode eq 'http500';

    return send_answer($c, '200 OK', 'text/xml', "this is not XML <<<")
        if $mode eq 'garbage';

    return send_answer($c, '200 OK', 'text/xml',
                       xml('<value><string>' . ('x' x (2 * 1024 * 1024))
                           . '</string></value>'))
        if $mode eq 'huge';

    if ($call eq 'version') {
        return send_answer($c, '200 OK', 'text/xml',
                           xml('<value><int>17</int></value>'))
            if $mode eq 'badversion';

        return send_answer($c, '200 OK', 'text/xml', xml(
            "<value><struct>\n"
            . "<member>\n<name>server_version</name>\n"
            . "<value><string>17.0</string></value>\n</member>\n"
            . "<member>\n<name>server_version_info</name>\n"
            . "<value><array><data>\n<value><int>17</int></value>\n"
            . "<value><int>0</int></value>\n<value><int>0</int></value>\n"
            . "<value><string>final</string></value>\n"
            . "<value><int>0</int></value>\n<value><string></string>"
            . "</value>\n</data></array></value>\n</member>\n"
            . "<member>\n<name>server_serie</name>\n"
            . "<value><string>17.0</string></value>\n</member>\n"
            . "<member>\n<name>protocol_version</name>\n"
            . "<value><int>1</int></value>\n</member>\n"
            . "</struct></value>"));
    }

    if ($call eq 'authenticate') {
        my ($db, $user, $password) = @params;

        return send_answer($c, '200 OK', 'text/xml',
                           fault(3, 'Access Denied'))
            if $mode eq 'fault';

        return send_answer($c, '200 OK', 'text/xml', fault(1,
            "Traceback (most recent call last):\n"
            . "  File \"odoo/service/model.py\", line 1, in check\n"
            . "odoo.exceptions.AccessDenied: wrong password "
            . ($password // '') . " for $user\n"))
            if $mode eq 'leak';

        return send_answer($c, '200 OK', 'text/xml',
                           fault(2, ('x' x 190) . " $password and more"))
            if $mode eq 'cutleak';

        return send_answer($c, '200 OK', 'text/xml',
                           fault(2, 'a' . ("\x{e9}" x 300)))
            if $mode eq 'longutf8';

        return send_answer($c, '200 OK', 'text/xml',
                           xml('<value><string>yes</string></value>'))
            if $mode eq 'uidstring';

        my $ok = $mode ne 'false' && defined $password
                 && grep { $_ eq $password } @PASSWORDS;

        return send_answer($c, '200 OK', 'text/xml',
                           xml($ok ? '<value><int>7</int></value>'
                                   : '<value><boolean>0</boolean></value>'));
    }

    return send_answer($c, '200 OK', 'text/xml',
                       fault(1, "unknown method $call"));
}

1;
