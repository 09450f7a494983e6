// tests/test_html.cpp — the counterexample viewer, `cowcheck show FILE --html PAGE`:
// the page of a corpus trace is self-contained (no network, one inline script) and
// has a graph per step with the violating objects marked at the failing step;
// free text from the trace is escaped; a malformed trace is the same one-line
// error (exit 2) as plain `show`, and no page is written; without Graphviz it is
// exit 2 naming what to install; a trace of hundreds of steps gives a page with one
// graph per state up to solver::html_max_graphs, and a note beyond.  The browser
// test opens pages in headless Chromium (skipped, with the reason, when it is not
// installed): screenshots at the first and failing step, the DOM at the failing
// step shows nodes of class "violating", the page logs nothing to the console
// (checked to catch a page that does), and the arrow keys, Home/End, the diff
// toggle, a click on the graph and the slider do what they say.  COWCHECK_SCREENSHOT_DIR keeps the PNGs
// and the long traces and their pages.
#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "solver/html.hpp"
#include "solver/itf.hpp"

#include "cli_run.hpp"

using cli_test::lines;
using cli_test::run;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) {
    static const struct cleanup {
        fs::path root = fs::temp_directory_path() / ("cowcheck_html_" + std::to_string(getpid()));
        ~cleanup() {
            std::error_code ec;
            fs::remove_all(root, ec);
        }
    } scratch_root;
    const auto dir = scratch_root.root / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void spit(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
}

std::size_t count(const std::string& s, const std::string& what) {
    std::size_t n = 0;
    for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) ++n;
    return n;
}

fs::path corpus(const std::string& name) {
    return fs::path(COWCHECK_SOURCE_DIR) / "counterexamples" / "anon_vma" / (name + ".itf.json");
}

/// Output (stdout + stderr) and exit code of a shell command.
cli_test::run_result shell(const std::string& cmd) {
    std::unique_ptr<FILE, int (*)(FILE*)> p(popen((cmd + " 2>&1").c_str(), "r"), pclose);
    REQUIRE(p);
    std::string out;
    std::array<char, 4096> buf{};
    while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p.get())) out.append(buf.data(), n);
    const int status = pclose(p.release());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

/// Checks every generated page must pass: no external resource, one inline script.
void check_self_contained(const std::string& page) {
    CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
    for (const char* bad : {"http://", "https://", "<link", "src=\"", "src='", "href=\"", "href='", "url(", "@import",
                            "<iframe", "<object", "<embed", "<img"}) {
        INFO("page contains " << bad);
        CHECK(page.find(bad) == std::string::npos);
    }
    CHECK(count(page, "<script") == 1);
    CHECK(count(page, "<script>") == 1);
}

/// The corpus index links to its pages (relative href), and to nothing outside.
void check_self_contained_index(const std::string& index) {
    CHECK(index.rfind("<!DOCTYPE html>", 0) == 0);
    for (const char* bad : {"http://", "https://", "<link", "<script", "src=", "url(", "@import", "href=\"/", "href=\".."}) {
        INFO("index contains " << bad);
        CHECK(index.find(bad) == std::string::npos);
    }
}

/// The fork_keeps_exclusive trace (mmap, write, fork) after `rounds` rounds of
/// mmap / write / munmap / tlb_finish_mmu that leave no object behind.
std::vector<model::action> long_trace(const model::config& cfg, int rounds) {
    using namespace model;
    using S = state<concrete, preset_default>;
    std::vector<action> t;
    for (int r = 0; r < rounds; ++r) {
        t.push_back({op::mmap, {.mm = 0, .start = 0, .pages = 1}});
        t.push_back({op::write, {.mm = 0, .cpu = 0, .start = 0, .value = 1 + r % 2}});
        t.push_back({op::munmap, {.mm = 0, .start = 0, .pages = 1}});
        t.push_back({op::tlb_finish_mmu, {.mm = 0}});
    }
    t.push_back({op::mmap, {.mm = 0, .start = 1, .pages = 2}});
    t.push_back({op::write, {.mm = 0, .cpu = 0, .start = 2, .value = 2}});
    t.push_back({op::fork, {.mm = 0, .mm2 = 1}});
    S s = initial_state<S>();
    for (const auto& x : t) REQUIRE(step(cfg, s, x));
    return t;
}

}  // namespace

TEST_CASE("cowcheck show --html: a corpus trace gives one self-contained page with a graph per step", "[html][cli]") {
    const auto dir = scratch("corpus");
    int traces = 0;
    for (const auto& e : fs::directory_iterator(corpus("x").parent_path())) {
        const std::string p = e.path().string();
        if (p.size() < 9 || p.substr(p.size() - 9) != ".itf.json") continue;
        ++traces;
        INFO(p);
        const auto page_path = dir / (e.path().stem().stem().string() + ".html");
        const auto r = run("show '" + p + "' --html '" + page_path.string() + "'");
        REQUIRE(r.code == 0);
        CHECK(r.out.find("broken after step") != std::string::npos);   // the narrative is still printed
        const std::string page = slurp(page_path);
        check_self_contained(page);

        const auto j = solver::parse_itf(slurp(p));
        const int n = j["#meta"]["violated_at"].get<int>();
        CHECK(count(page, "<section class=\"step") == static_cast<std::size_t>(n + 1));
        CHECK(count(page, "<li data-step=") == static_cast<std::size_t>(n + 1));
        CHECK(count(page, "<template class=\"graph\"><svg") == static_cast<std::size_t>(n + 1));
        CHECK(page.find("data-failing=\"" + std::to_string(n) + "\"") != std::string::npos);
        // The failing step's graph marks the violating objects, and no earlier one does.
        const auto fail_at = page.find("<section class=\"step failing\" data-step=\"" + std::to_string(n) + "\"");
        REQUIRE(fail_at != std::string::npos);
        CHECK(page.find("class=\"node violating", fail_at) != std::string::npos);
        CHECK(page.rfind("class=\"node violating", fail_at) == std::string::npos);
        // Every step after the first changed something drawn; its kernel function is named.
        CHECK(count(page, "class=\"node changed") + count(page, "class=\"node violating changed") >=
              static_cast<std::size_t>(n) - 1);
        const std::string last = j["states"][n]["mbt::actionTaken"].get<std::string>();
        for (const auto& o : model::ops())
            if (last == o.name) CHECK(page.find(solver::html_detail::esc(o.kernel)) != std::string::npos);
        CHECK(page.find(j["#meta"]["invariant"].get<std::string>()) != std::string::npos);
    }
    CHECK(traces >= 7);
}

TEST_CASE("cowcheck show --html: the same trace gives the same page, byte for byte", "[html][cli]") {
    // Graphviz lays out the later graphs of a multi-graph input differently from run
    // to run; each graph is rendered alone so that regenerating the corpus changes no page.
    const auto dir = scratch("again");
    const std::string trace = corpus("dirty_cow").string();   // 6 graphs
    std::vector<std::string> pages;
    for (int i = 0; i < 4; ++i) {
        const auto page_path = dir / ("page" + std::to_string(i) + ".html");
        REQUIRE(run("show '" + trace + "' --html '" + page_path.string() + "'").code == 0);
        pages.push_back(slurp(page_path));
        CHECK(count(pages.back(), "<template class=\"graph\"><svg") == 6);
    }
    for (int i = 1; i < 4; ++i) CHECK(pages[i] == pages[0]);
}

TEST_CASE("cowcheck show --svg writes the final state's graph as dot writes it", "[html][cli]") {
    const auto dir = scratch("svg");
    const auto out = dir / "g.svg";
    REQUIRE(run("show '" + corpus("dirty_cow").string() + "' --svg '" + out.string() + "'").code == 0);
    const std::string svg = slurp(out);
    CHECK(svg.rfind("<?xml", 0) == 0);
    CHECK(count(svg, "<svg") == 1);
    CHECK(svg.size() > 7);
    CHECK(svg.substr(svg.size() - 7) == "</svg>\n");
    CHECK(run("show '" + corpus("dirty_cow").string() + "' --svg '" + (dir / "no" / "g.svg").string() + "'").code == 2);
}

TEST_CASE("cowcheck show --html: mshare traces draw the region, its table, the windows and the caches", "[html][cli][mshare]") {
    const auto dir = scratch("mshare");
    const fs::path traces = fs::path(COWCHECK_SOURCE_DIR) / "counterexamples" / "mshare";
    int seen = 0, tables = 0;
    for (const auto& e : fs::directory_iterator(traces)) {
        const std::string p = e.path().string();
        if (p.size() < 9 || p.substr(p.size() - 9) != ".itf.json") continue;
        ++seen;
        INFO(p);
        const auto page_path = dir / (e.path().stem().stem().string() + ".html");
        REQUIRE(run("show '" + p + "' --html '" + page_path.string() + "'").code == 0);
        const std::string page = slurp(page_path);
        check_self_contained(page);
        const auto j = solver::parse_itf(slurp(p));
        const int n = j["#meta"]["violated_at"].get<int>();
        const auto fail_at = page.find("<section class=\"step failing\" data-step=\"" + std::to_string(n) + "\"");
        REQUIRE(fail_at != std::string::npos);
        const std::string failing = page.substr(fail_at);
        // The mermap's traces (model/mermap.hpp) draw the cpu's kernel entry for the slot,
        // marked where it outlives its page.
        if (e.path().filename().string().rfind("mermap_", 0) == 0) {
            CHECK(failing.find("<title>mermap_tlb0_") != std::string::npos);   // a slot of cpu0
            if (j["#meta"]["invariant"] == "no_tlb_to_freed_folio") {
                const auto node = failing.find("<title>mermap_tlb0_0</title>");
                const auto open = failing.rfind("<g ", node);
                CHECK(failing.substr(open, node - open).find("violating") != std::string::npos);
            }
            continue;
        }
        // Every mshare trace attaches a window onto a region before it breaks anything.
        CHECK(page.find("<title>region0</title>") != std::string::npos);
        CHECK(page.find("<title>window") != std::string::npos);
        CHECK(page.find("on the attacher list") != std::string::npos);
        tables += page.find("<title>region_table0</title>") != std::string::npos;
        // The region invariants mark region objects at the failing step.
        const std::string inv = j["#meta"]["invariant"].get<std::string>();
        if (inv.rfind("mshare_", 0) == 0) {
            const auto mark = failing.find("class=\"node violating");
            REQUIRE(mark != std::string::npos);
            bool region_marked = false;
            for (auto at = mark; at != std::string::npos; at = failing.find("class=\"node violating", at + 1)) {
                const auto title = failing.find("<title>", at);
                const std::string t = failing.substr(title + 7, failing.find("</title>", title) - title - 7);
                region_marked = region_marked || t.rfind("region", 0) == 0 || t.rfind("window", 0) == 0 || t.rfind("psc", 0) == 0;
            }
            CHECK(region_marked);
        }
    }
    CHECK(seen >= 5);
    CHECK(tables >= 3);   // the traces that fault through a window draw the region's table
}

TEST_CASE("cowcheck show --html: free text and the file name from the trace are escaped", "[html][cli]") {
    const auto dir = scratch("escape");
    auto j = solver::parse_itf(slurp(corpus("fork_keeps_exclusive")));
    const std::string evil = "</dd></dl><script>alert(\"pwned\")</script><img src=x onerror=alert(1)> & 'q' \x01";
    j["#meta"]["description"] = evil;
    const auto file = dir / "evil<b>&.itf.json";
    spit(file, solver::itf_text(j));
    const auto page_path = dir / "evil.html";
    const auto r = run("show '" + file.string() + "' --html '" + page_path.string() + "'");
    REQUIRE(r.code == 0);
    const std::string page = slurp(page_path);
    check_self_contained(page);
    CHECK(page.find("alert(\"pwned\")") == std::string::npos);
    CHECK(page.find("&lt;/dd&gt;&lt;/dl&gt;&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;&lt;img src=x "
                    "onerror=alert(1)&gt; &amp; &#39;q&#39;") != std::string::npos);
    CHECK(page.find('\x01') == std::string::npos);
    CHECK(page.find("evil&lt;b&gt;&amp;.itf.json") != std::string::npos);
    CHECK(page.find("evil<b>") == std::string::npos);

    CHECK(solver::html_detail::esc("<a href='x'>&\"</a>") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
    // An SVG with anything but drawing in it is refused rather than inlined.
    CHECK_THROWS(solver::html_detail::inline_svg("<svg><script>alert(1)</script></svg>"));
    CHECK_THROWS(solver::html_detail::inline_svg("<svg><a xlink:href=\"javascript:x\"/></svg>"));
    CHECK(solver::html_detail::inline_svg("<?xml version=\"1.0\"?>\n<!-- c -->\n<svg xmlns=\"http://www.w3.org/2000/svg\">"
                                          "<!-- node -->\n<g/></svg>") == "<svg><g/></svg>");
}

TEST_CASE("cowcheck show --html: bad input is the same one-line error as show, and writes no page", "[html][cli]") {
    const auto dir = scratch("bad");
    const std::string good = slurp(corpus("gup_cow_leak"));
    auto changed = solver::parse_itf(good);
    changed["states"][2]["folio"][0]["mapcount"] = 7;
    const std::vector<std::pair<std::string, std::string>> files = {
        {"empty.json", ""},
        {"truncated.json", good.substr(0, good.size() / 2)},
        {"changed.json", solver::itf_text(changed)},
        {"array.json", "[1, 2]"},
    };
    for (const auto& [name, text] : files) {
        INFO(name);
        spit(dir / name, text);
        const auto page_path = dir / (name + ".html");
        const auto plain = run("show " + (dir / name).string());
        const auto html = run("show " + (dir / name).string() + " --html " + page_path.string());
        CHECK(plain.code == 2);
        CHECK(html.code == 2);
        CHECK(lines(html.out) == 1);
        CHECK(html.out == plain.out);
        CHECK(html.out.rfind("cowcheck: error: " + (dir / name).string() + ": ", 0) == 0);
        CHECK(!fs::exists(page_path));
    }
    // An unwritable page is a usage error too.
    const auto r = run("show " + corpus("gup_cow_leak").string() + " --html " + (dir / "no" / "such" / "p.html").string());
    CHECK(r.code == 2);
    CHECK(r.out.find("--html: cannot write") != std::string::npos);

    // Without Graphviz: exit 2, one line saying what to install.
    const auto nodot = shell("cd '" + dir.string() + "' && PATH=/nonexistent '" + COWCHECK_BINARY + "' show '" +
                             corpus("gup_cow_leak").string() + "' --html p.html");
    CHECK(nodot.code == 2);
    CHECK(lines(nodot.out) == 1);
    CHECK(nodot.out.find("--html needs Graphviz") != std::string::npos);
    CHECK(!fs::exists(dir / "p.html"));
}

TEST_CASE("cowcheck show --html: a trace of hundreds of steps", "[html][cli]") {
    using namespace model;
    using S = state<concrete, preset_default>;
    const auto dir = scratch("long");
    const config cfg = config::defaults<preset_default>().inject(mutant::fork_keeps_exclusive);
    const int inv = static_cast<int>(props::inv::anon_exclusive_mapped_once);
    for (const int rounds : {100, 130}) {
        const auto t = long_trace(cfg, rounds);
        const int n = static_cast<int>(t.size());
        INFO(n << " steps");
        REQUIRE(solver::breaks<S>(cfg, t, inv) == std::optional<int>(n));
        const auto file = dir / ("long" + std::to_string(n) + ".itf.json");
        spit(file, solver::itf_text(solver::to_itf<S>(cfg, "default", t, inv, n)));
        const auto page_path = dir / ("long" + std::to_string(n) + ".html");
        const auto t0 = std::chrono::steady_clock::now();
        const auto r = run("show " + file.string() + " --html " + page_path.string());
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        REQUIRE(r.code == 0);
        const std::string page = slurp(page_path);
        if (const char* keep = std::getenv("COWCHECK_SCREENSHOT_DIR"); keep && *keep)
            for (const auto& f : {page_path, file})
                fs::copy_file(f, fs::path(keep) / f.filename(), fs::copy_options::overwrite_existing);
        WARN(n << " steps: page written in " << secs << " s, " << page.size() / 1024 << " KiB");
        check_self_contained(page);
        CHECK(count(page, "<section class=\"step") == static_cast<std::size_t>(n + 1));
        const std::size_t graphs = std::min<std::size_t>(n + 1, solver::html_max_graphs);
        CHECK(count(page, "<template class=\"graph\"><svg") == graphs);
        CHECK((page.find("object graphs are drawn for the last") != std::string::npos) ==
              (static_cast<std::size_t>(n + 1) > solver::html_max_graphs));
        CHECK(page.find("class=\"node violating") != std::string::npos);
        CHECK(secs < 60);
    }
}

namespace {

/// The Chromium binary on PATH, or "" if there is none.
std::string chromium() {
    for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
        const auto r = shell(std::string("command -v ") + name);
        if (r.code == 0 && !r.out.empty()) return r.out.substr(0, r.out.find('\n'));
    }
    return "";
}

/// Run headless Chromium on a URL with extra flags; the output is its stderr log (+ stdout).
cli_test::run_result headless(const std::string& browser, const fs::path& profile, const std::string& flags,
                              const std::string& url, const std::string& out_file = "") {
    std::string cmd = "{ timeout -k 5 90 '" + browser + "' --headless --disable-gpu --no-sandbox --no-first-run " +
                      "--disable-dev-shm-usage --hide-scrollbars --user-data-dir='" + profile.string() +
                      "' --enable-logging=stderr --v=0 " + flags + " '" + url + "'";
    if (!out_file.empty()) cmd += " 2>&1 >'" + out_file + "'";   // the log to us, stdout (the DOM) to the file
    return shell(cmd + "; }");
}

/// Console messages and uncaught errors of the page in a Chromium log.
std::string console_errors(const std::string& log) {
    std::istringstream in(log);
    std::string found;
    for (std::string line; std::getline(in, line);)
        if (line.find(":CONSOLE") != std::string::npos || line.find("Uncaught") != std::string::npos) found += line + "\n";
    return found;
}

/// Width and height of a PNG file (from its IHDR chunk), or {0, 0}.
std::pair<unsigned, unsigned> png_size(const std::string& png) {
    if (png.size() < 24 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return {0, 0};
    auto be = [&](std::size_t at) {
        unsigned v = 0;
        for (std::size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(png[at + i]);
        return v;
    };
    return {be(16), be(20)};
}

/// The contents of the graph view in a dumped DOM.
std::string graph_view(const std::string& dom) {
    const auto b = dom.find("<div id=\"graph\"");
    if (b == std::string::npos) return "";
    const auto e = dom.find("<pre class=\"objects\"", b);
    return dom.substr(b, e == std::string::npos ? std::string::npos : e - b);
}

}  // namespace

TEST_CASE("the HTML viewer in headless Chromium: screenshots, the failing step's DOM, no console errors",
          "[html][browser]") {
    const std::string browser = chromium();
    if (browser.empty()) {
        WARN("skipped: no chromium on PATH (scripts/setup.sh installs Debian's chromium; the install is optional)");
        return;
    }
    const auto dir = scratch("browser");
    const char* keep = std::getenv("COWCHECK_SCREENSHOT_DIR");
    const fs::path shots = keep && *keep ? fs::path(keep) : dir;
    fs::create_directories(shots);
    const std::string name = "fork_shares_pinned_page";
    const auto page = dir / (name + ".html");
    REQUIRE(run("show " + corpus(name).string() + " --html " + page.string()).code == 0);
    const int n = solver::parse_itf(slurp(corpus(name)))["#meta"]["violated_at"].get<int>();
    const std::string url = "file://" + page.string();

    // A page with an error is seen as one: the console check can fail.
    const auto broken = dir / "broken.html";
    spit(broken, "<!DOCTYPE html><html><body><script>no_such_function();</script></body></html>");
    const auto bad = headless(browser, dir / "profile", "--virtual-time-budget=2000 --dump-dom", "file://" + broken.string(),
                              (dir / "broken.dom").string());
    INFO(bad.out);
    REQUIRE(console_errors(bad.out).find("no_such_function") != std::string::npos);

    for (const int k : {0, n}) {
        INFO("step " << k);
        const std::string at = url + "#step=" + std::to_string(k);
        const auto png = shots / (name + "-step" + std::to_string(k) + ".png");
        fs::remove(png);
        // No --virtual-time-budget here: with it, Chromium can capture before every tile is painted.
        const auto s = headless(browser, dir / "profile", "--window-size=1400,900 --screenshot='" + png.string() + "'", at);
        INFO(s.out);
        CHECK(s.code == 0);
        CHECK(console_errors(s.out).empty());
        const auto size = png_size(slurp(png));
        CHECK(size.first == 1400);
        CHECK(size.second == 900);
        CHECK(fs::file_size(png) > 20000);   // a rendered page, not a blank one

        const auto dom_file = dir / ("dom" + std::to_string(k) + ".html");
        const auto d = headless(browser, dir / "profile", "--virtual-time-budget=2000 --dump-dom", at, dom_file.string());
        INFO(d.out);
        CHECK(d.code == 0);
        CHECK(console_errors(d.out).empty());
        const std::string dom = slurp(dom_file);
        CHECK(dom.find("data-ready=\"1\"") != std::string::npos);   // the script ran to its end
        const std::string view = graph_view(dom);
        CHECK(view.rfind("<div id=\"graph\" data-step=\"" + std::to_string(k) + "\">", 0) == 0);
        CHECK(view.find("<svg") != std::string::npos);
        if (k == n) CHECK(view.find("class=\"node violating") != std::string::npos);
        else CHECK(view.find("violating") == std::string::npos);
    }

    // Driven as a person would: keys, the diff toggle, a click on the graph, the slider.
    std::string driven = slurp(page);
    const std::string driver = R"js(<script>
(function () {
  var r = [];
  function step() { return document.body.getAttribute("data-step"); }
  function key(k) { document.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true })); r.push(step()); }
  key("ArrowLeft"); key("Home"); key("ArrowRight"); key("End");
  document.getElementById("diff").click();
  r.push(document.body.classList.contains("diffonly") ? "diff" : "nodiff");
  document.getElementById("graph").click();
  r.push(document.getElementById("graph").classList.contains("actual") ? "actual" : "fit");
  var s = document.getElementById("slider");
  s.value = "1";
  s.dispatchEvent(new Event("input"));
  r.push(step());
  r.push(document.querySelectorAll("#stage section.step:not([hidden])").length);
  r.push(document.querySelector("#stage section.step:not([hidden]) #graph") ? "graph-in-step" : "graph-elsewhere");
  document.body.setAttribute("data-driven", r.join(","));
})();
</script>
</body>)js";
    const auto end = driven.rfind("</body>");
    REQUIRE(end != std::string::npos);
    driven.replace(end, 7, driver);
    const auto driven_page = dir / "driven.html";
    spit(driven_page, driven);
    const auto d = headless(browser, dir / "profile", "--virtual-time-budget=2000 --dump-dom", "file://" + driven_page.string(),
                            (dir / "driven.dom").string());
    INFO(d.out);
    CHECK(console_errors(d.out).empty());
    const std::string m = std::to_string(n - 1), last = std::to_string(n);
    CHECK(slurp(dir / "driven.dom").find("data-driven=\"" + m + ",0,1," + last + ",diff,actual,1,1,graph-in-step\"") !=
          std::string::npos);
}

TEST_CASE("the corpus has a page per trace, listed in counterexamples/index.html", "[html][corpus]") {
    const fs::path root = fs::path(COWCHECK_SOURCE_DIR) / "counterexamples";
    const std::string index = slurp(root / "index.html");
    REQUIRE(!index.empty());
    check_self_contained_index(index);
    int traces = 0;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        const std::string p = e.path().string();
        if (p.size() < 9 || p.substr(p.size() - 9) != ".itf.json") continue;
        ++traces;
        INFO(p << " (regenerate the pages with scripts/corpus-html.sh)");
        const auto page = fs::path(p.substr(0, p.size() - 9) + ".html");
        REQUIRE(fs::exists(page));
        check_self_contained(slurp(page));
        const auto j = solver::parse_itf(slurp(e.path()));
        const std::string rel = fs::relative(page, root).string();
        const auto row = index.find("<a href=\"" + rel + "\">");
        REQUIRE(row != std::string::npos);
        const std::string tr = index.substr(row, index.find("</tr>", row) - row);
        CHECK(tr.find("<td>" + j["#meta"]["invariant"].get<std::string>() + "</td>") != std::string::npos);
        CHECK(tr.find("<td>" + std::to_string(j["#meta"]["violated_at"].get<int>()) + "</td>") != std::string::npos);
        for (const auto& m : j["#meta"]["mutants"]) CHECK(tr.find(m.get<std::string>()) != std::string::npos);
        if (j["#meta"].contains("minimal"))
            CHECK(tr.find(solver::html_detail::esc(j["#meta"]["minimal"].get<std::string>())) != std::string::npos);
    }
    CHECK(traces >= 7);
    CHECK(count(index, "<tr><td><a href=") == static_cast<std::size_t>(traces));
}
