# Headless Chromium (Debian's chromium) loads README pages from the test
# server and checks what a reader would see: Bootstrap's CSS, served
# locally through the alias, applies (body font, container width, table
# borders), the title is the first heading, and the console stays clean
# (no errors, no failed loads).  The browser talks over
# --remote-debugging-pipe (t/browser/lib/Arthexis/Chromium.pm).
#
# Skipped without /usr/bin/chromium (apt-get install chromium), and in the
# PostgreSQL pass: the pages do not touch the database.

use lib 't/lib';
use lib 't/browser/lib';
use Test::Nginx::Socket;
use Arthexis::Test;
use Arthexis::Chromium;
use Cwd ();

our $Browser;
our $Chromium = $Arthexis::Chromium::Binary;

if (!-x $Chromium) {
    plan skip_all => "no $Chromium: apt-get install chromium to run the "
                     . "headless browser test";

} elsif (($ENV{TEST_NGINX_DATABASE} // 'sqlite') eq 'postgresql') {
    plan skip_all => 'the browser test runs in the SQLite pass only';

} else {
    plan 'no_plan';
}

$ENV{TEST_NGINX_ROOT} //= Cwd::getcwd();

repeat_each(1);
no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    # the pages never touch the database: the core's SQLite under logs/,
    # in the PostgreSQL pass too (no worker racing the schema's reset)
    $block->set_value('http_config',
        "    arthexis_database sqlite:logs/arthexis.sqlite3;\n"
        . ($block->http_config // ''));
});

# one browser for the file, started on first use
sub browser () {
    return $Browser if $Browser;

    $Browser = Arthexis::Chromium->launch;
    Test::More::BAIL_OUT(Arthexis::Chromium::error()) unless $Browser;
    Test::More::diag("browser: " . $Browser->version);

    return $Browser;
}

# loads the page in a new tab; returns what the page computed, and the
# console's errors
sub visit ($) {
    my $path = shift;
    my $port = Test::Nginx::Util::server_port();
    my $b = browser();

    my $s = $b->open_page;
    $b->load("http://127.0.0.1:$port$path", $s);

    my $seen = $b->evaluate(<<'_JS_', $s);
(() => {
    const body = getComputedStyle(document.body);
    const main = document.querySelector('main.container');
    const cell = document.querySelector('table.table td');
    const sheet = [...document.styleSheets]
        .find(s => s.href && s.href.endsWith('/bootstrap.min.css'));
    let rules = -1;
    try { rules = sheet ? sheet.cssRules.length : -1; } catch (e) {}
    return {
        title: document.title,
        fontFamily: body.fontFamily,
        bodyMargin: body.marginTop,
        mainWidth: main ? main.getBoundingClientRect().width : -1,
        viewport: window.innerWidth,
        cellBorder: cell ? getComputedStyle(cell).borderLeftWidth : '',
        h1: document.querySelectorAll('h1').length,
        rules: rules
    };
})()
_JS_

    if (my $file = $ENV{ARTHEXIS_BROWSER_SCREENSHOT}) {
        $b->screenshot($file, $s);
        Test::More::diag("screenshot: $file");
    }

    # late console messages
    select(undef, undef, undef, 0.2);
    $b->call('Runtime.evaluate', { expression => '1' }, $s);

    return ($seen, [$b->console_errors($s)]);
}

# Bootstrap 5.2's .container: its max-width at this viewport
sub container_width ($) {
    my $vw = shift;

    return $vw >= 1400 ? 1320 : $vw >= 1200 ? 1140 : $vw >= 992 ? 960
         : $vw >= 768 ? 720 : $vw >= 576 ? 540 : undef;
}

sub check_page ($$$) {
    my ($path, $title, $what) = @_;

    my ($seen, $errors) = visit($path);

    Test::More::is($seen->{title}, $title, "$what: the title");
    Test::More::like($seen->{fontFamily}, qr/^system-ui,/,
                     "$what: Bootstrap's body font applies");
    Test::More::is($seen->{bodyMargin}, '0px',
                   "$what: Bootstrap's reboot applies");
    Test::More::ok($seen->{rules} > 100,
                   "$what: bootstrap.min.css loaded ($seen->{rules} rules)");

    my $expected = container_width($seen->{viewport});
    Test::More::is($seen->{mainWidth}, $expected,
                   "$what: .container is $expected px wide at "
                   . "$seen->{viewport} px")
        if defined $expected;

    Test::More::is(scalar @$errors, 0, "$what: no console errors")
        or Test::More::diag(join("\n", @$errors));

    return $seen;
}

END { $Browser->quit if $Browser }

run_tests();

__DATA__

=== TEST 1: the project README, as ./build.sh run serves it
--- config
    location = /readme { readme_markdown $TEST_NGINX_ROOT/README.md; }
    location /static/bootstrap5/ {
        alias /usr/share/javascript/bootstrap5/;
        types { text/css css; }
    }
--- init
open my $fh, '<', "$ENV{TEST_NGINX_ROOT}/README.md" or die "README.md: $!";
my ($title) = <$fh> =~ /^#\s+(.*?)\s*$/;
my $seen = main::check_page('/readme', $title, 'README.md');
Test::More::is($seen->{h1} >= 1, 1, 'README.md: it has headings');
Test::More::is($seen->{cellBorder}, '1px',
               "README.md: the tables get Bootstrap's borders");
--- request
GET /readme
--- response_body_like: <link rel="stylesheet" href="/static/bootstrap5/css/bootstrap\.min\.css">
--- no_error_log
[error]



=== TEST 2: a page with a table, code and an escaped title
--- config
    location = /doc { readme_markdown html/doc.md; }
    location /static/bootstrap5/ {
        alias /usr/share/javascript/bootstrap5/;
        types { text/css css; }
    }
--- user_files
>>> doc.md
# Fish & "Chips" <script>alert(1)</script>

| a | b |
|:--|--:|
| `x` | **y** |

```c
int main(void) { return 0; }
```
--- init
my $seen = main::check_page('/doc', 'Fish & "Chips" alert(1)', 'doc.md');
Test::More::is($seen->{cellBorder}, '1px',
               "doc.md: the table gets Bootstrap's borders");
--- request
GET /doc
--- response_body_like: <title>Fish &amp; &quot;Chips&quot; alert\(1\)</title>



=== TEST 3: a stylesheet that cannot load shows as a console error (the
check itself works)
--- config
    location = /doc {
        readme_bootstrap_css /missing.css;
        readme_markdown html/doc.md;
    }
--- user_files
>>> doc.md
# Doc
--- init
my ($seen, $errors) = main::visit('/doc');
Test::More::like(join("\n", @$errors), qr/404.*missing\.css/,
                 'a missing stylesheet is a console error');
Test::More::unlike($seen->{fontFamily}, qr/^system-ui,/,
                   "without Bootstrap, the browser's default font");
--- request
GET /doc
--- response_body_like: href="/missing\.css"
