// tests/test_ci.cpp — `cowcheck ci`, shards and `cowcheck merge`, through the binary.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <set>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_run.hpp"

namespace {

namespace fs = std::filesystem;

/// Run a shell command with a time limit; stdout and stderr together.
cli_test::run_result sh(const std::string& cmd, int seconds = 300) {
    const std::string full = "timeout -k 2 " + std::to_string(seconds) + " sh -c '" + cmd + "' 2>&1";
    std::unique_ptr<FILE, int (*)(FILE*)> p(popen(full.c_str(), "r"), pclose);
    REQUIRE(p);
    std::string out;
    std::array<char, 4096> buf{};
    while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p.get())) out.append(buf.data(), n);
    const int status = pclose(p.release());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

const std::string bin = COWCHECK_BINARY;
const std::string corpus = std::string(COWCHECK_SOURCE_DIR) + "/counterexamples/anon_vma";

/// A fresh empty directory under the temp dir.
fs::path temp_dir(const std::string& name) {
    const fs::path d = fs::temp_directory_path() / ("cowcheck-test-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

nlohmann::json read_json(const fs::path& p) {
    std::ifstream in(p);
    return nlohmann::json::parse(in);
}

/// Parse a JUnit file with python3's xml.etree; prints one line per testcase:
/// "name<TAB>passed|failure|skipped<TAB>message".
cli_test::run_result junit_cases(const fs::path& xml) {
    const std::string py =
        "import sys, xml.etree.ElementTree as E\n"
        "r = E.parse(sys.argv[1]).getroot()\n"
        "assert r.tag == \"testsuites\"\n"
        "for c in r.iter(\"testcase\"):\n"
        "    f = c.find(\"failure\"); s = c.find(\"skipped\")\n"
        "    e = f if f is not None else s\n"
        "    kind = \"failure\" if f is not None else \"skipped\" if s is not None else \"passed\"\n"
        "    print(c.get(\"name\"), kind, (e.get(\"message\") + \" \" + (e.text or \"\")).replace(\"\\n\", \" \") if e is not None else \"\", sep=\"\\t\")\n";
    const fs::path script = xml.parent_path() / "junit.py";
    std::ofstream(script) << py;
    return sh("python3 " + script.string() + " " + xml.string(), 60);
}

}  // namespace

TEST_CASE("cowcheck ci --budget quick passes on the fixed model, its JUnit parses", "[ci][slow]") {
    const fs::path d = temp_dir("ci-quick");
    const auto r = sh(bin + " ci --budget quick --corpus " + corpus + " --out " + (d / "out").string() + " --junit " +
                          (d / "report.xml").string() + " --json > " + (d / "ci.json").string(),
                      240);
    INFO(r.out);
    CHECK(r.code == 0);
    const auto j = read_json(d / "ci.json");
    CHECK(j["result"] == "clean");
    CHECK(j["failed"] == 0);
    CHECK(j["passed"].get<int>() > 20);
    // anon_vma_no_reuse is a known gap for check: skipped, with its reason, never passed.
    CHECK(j["skipped"].get<int>() >= 1);
    const auto x = junit_cases(d / "report.xml");
    INFO(x.out);
    REQUIRE(x.code == 0);
    CHECK(cli_test::lines(x.out) == j["checks"].size());
    CHECK(x.out.find("anon_vma/replay/fork_keeps_exclusive.itf.json\tpassed") != std::string::npos);
    CHECK(x.out.find("anon_vma/explore/gup_cow_leak\tpassed") != std::string::npos);
    CHECK(x.out.find("anon_vma/bmc/munmap_free_before_flush\tpassed") != std::string::npos);
    CHECK(x.out.find("anon_vma/explore/fixed\tpassed") != std::string::npos);
    CHECK(x.out.find("anon_vma/check/anon_vma_no_reuse\tskipped\tknown gap") != std::string::npos);
    CHECK(x.out.find("anon_vma/check/anon_vma_degree_reuse\tpassed") != std::string::npos);   // swarm finds it
    CHECK(x.out.find("failure") == std::string::npos);
    fs::remove_all(d);
}

TEST_CASE("cowcheck ci: a sabotaged corpus file fails, named in the JUnit with its narrative", "[ci]") {
    const fs::path d = temp_dir("ci-sabotage");
    fs::copy(corpus, d / "corpus", fs::copy_options::recursive);
    // Sabotage: the recorded trace claims a violation one step later than it happens.
    const fs::path f = d / "corpus" / "fork_keeps_exclusive.itf.json";
    auto j = read_json(f);
    j["#meta"]["violated_at"] = j["#meta"]["violated_at"].get<int>() + 1;
    std::ofstream(f) << j.dump(2);
    const auto r = sh(bin + " ci --only /replay/ --corpus " + (d / "corpus").string() + " --junit " +
                      (d / "report.xml").string());
    INFO(r.out);
    CHECK(r.code == 1);
    CHECK(r.out.find("failed   anon_vma/replay/fork_keeps_exclusive.itf.json") != std::string::npos);
    const auto x = junit_cases(d / "report.xml");
    INFO(x.out);
    REQUIRE(x.code == 0);
    std::istringstream lines(x.out);
    int failures = 0, passed = 0;
    for (std::string line; std::getline(lines, line);) {
        if (line.find("\tfailure\t") != std::string::npos) {
            ++failures;
            CHECK(line.rfind("anon_vma/replay/fork_keeps_exclusive.itf.json\t", 0) == 0);
            CHECK(line.find(f.string()) != std::string::npos);            // the trace file
            CHECK(line.find("mm0 fork -> mm1") != std::string::npos);     // its narrative
        }
        passed += line.find("\tpassed") != std::string::npos;
    }
    CHECK(failures == 1);
    CHECK(passed >= 6);
    fs::remove_all(d);
}

TEST_CASE("cowcheck ci --inject: a naive variant is rejected with a readable trace", "[ci]") {
    // The worked example of docs/add-a-design.md: a variant whose fork keeps
    // PageAnonExclusive on shared pages (expressed as the mutant fork_keeps_exclusive).
    const fs::path d = temp_dir("ci-naive");
    const auto r = sh(bin + " ci --inject fork_keeps_exclusive --only /fixed --corpus " + corpus + " --out " +
                      (d / "out").string() + " --junit " + (d / "report.xml").string());
    INFO(r.out);
    CHECK(r.code == 1);
    CHECK(r.out.find("the fixed model violates anon_exclusive_mapped_once (explore)") != std::string::npos);
    CHECK(fs::exists(d / "out" / "anon_vma" / "explore" / "fork_keeps_exclusive.itf.json"));
    const auto x = junit_cases(d / "report.xml");
    INFO(x.out);
    REQUIRE(x.code == 0);
    CHECK(x.out.find("anon_vma/explore/fixed\tfailure") != std::string::npos);
    CHECK(x.out.find("mm0 fork -> mm1") != std::string::npos);
    CHECK(x.out.find("broken after step 3: anon_exclusive_mapped_once") != std::string::npos);
    fs::remove_all(d);
}

TEST_CASE("shards of check and explore merge to the unsharded verdict", "[ci][shard]") {
    const fs::path d = temp_dir("shards");
    struct run {
        std::string args;
        int code;
    };
    const run runs[] = {
        {"explore --bounds small --depth 6 --inject gup_cow_leak --shard-depth 2", 1},
        {"explore --bounds small --depth 5 --shard-depth 2", 0},
        {"check --inject fork_shares_pinned_page --seed 3 --budget 200000", 1},
        {"check --seed 3 --budget 200000", 0},
    };
    for (const auto& x : runs) {
        INFO(x.args);
        const auto whole = sh(bin + " " + x.args + " --json > " + (d / "whole.json").string());
        REQUIRE(whole.code == x.code);
        const auto w = read_json(d / "whole.json");
        std::string files;
        for (int i = 0; i < 3; ++i) {
            const fs::path f = d / (std::string("shard") += std::to_string(i) += ".json");
            const auto s = sh(bin + " " + x.args + " --shard " + std::to_string(i) + "/3 --json > " + f.string());
            CHECK((s.code == 0 || s.code == 1));
            if (w["engine"] == "explore" && s.code == 0) {
                // Every shard has a part of the frontier and leaves the rest to the others.
                const auto sj = read_json(f);
                CHECK(sj["shard_dropped"].get<long>() > 0);
                CHECK(sj["states"].get<long>() > sj["levels"][2]["total"].get<long>());   // and went past it
            }
            files += ' ';
            files += f.string();
        }
        const auto m = sh(bin + " merge --json" + files + " > " + (d / "merged.json").string());
        CHECK(m.code == x.code);
        const auto mj = read_json(d / "merged.json");
        CHECK(mj["result"] == w["result"]);
        CHECK(mj["shards_present"] == 3);
        if (x.code == 1) {
            CHECK(mj["violation"]["invariant"] == w["violation"]["invariant"]);
            if (w["engine"] == "explore") CHECK(mj["violation"]["length"] == w["violation"]["length"]);
        } else if (w["engine"] == "explore") {
            CHECK(mj["clean_depth"] == w["clean_depth"]);
        } else {
            CHECK(mj["steps"].get<long>() >= 200000);
        }
        const auto text = sh(bin + " merge" + files);
        CHECK(text.code == x.code);
        if (x.code == 1) CHECK(text.out.find("VIOLATION: ") != std::string::npos);
    }
    fs::remove_all(d);
}

TEST_CASE("bmc --shard splits the invariants, merged shards cover them all", "[ci][shard]") {
    const fs::path d = temp_dir("bmc-shards");
    std::string files;
    std::set<std::string> invs;
    for (int i = 0; i < 2; ++i) {
        const fs::path f = d / (std::string("b") += std::to_string(i) += ".json");
        const auto s = sh(bin + " bmc --bounds small --depth 2 --shard " + std::to_string(i) + "/2 --json > " + f.string());
        CHECK(s.code == 0);
        const auto j = read_json(f);
        for (const auto& n : j["invariants"]) {
            CHECK(invs.insert(n.get<std::string>()).second);   // disjoint
        }
        files += ' ';
        files += f.string();
    }
    const auto list = sh(bin + " list --json > " + (d / "list.json").string());
    REQUIRE(list.code == 0);
    CHECK(invs.size() == read_json(d / "list.json")["invariants"].size());
    CHECK(sh(bin + " merge" + files).code == 0);
    fs::remove_all(d);
}

TEST_CASE("cowcheck merge: a missing shard is unknown, bad input exits 2", "[ci][shard]") {
    const fs::path d = temp_dir("merge");
    for (int i : {0, 2}) {
        const auto s = sh(bin + " check --seed 1 --budget 20000 --shard " + std::to_string(i) + "/3 --json > " +
                          (d / (std::string("s") += std::to_string(i) += ".json")).string());
        REQUIRE(s.code == 0);
    }
    const auto m = sh(bin + " merge " + (d / "s0.json").string() + " " + (d / "s2.json").string());
    CHECK(m.code == 3);
    CHECK(m.out.find("unknown: shards missing: 1/3") != std::string::npos);

    std::ofstream(d / "not.json") << "this is not JSON\n";
    const auto bad = sh(bin + " merge " + (d / "not.json").string());
    CHECK(bad.code == 2);
    CHECK(bad.out.find("not.json: not JSON") != std::string::npos);
    CHECK(cli_test::lines(bad.out) == 1);

    // Shards of different runs do not merge.
    REQUIRE(sh(bin + " check --seed 2 --budget 20000 --shard 1/3 --json > " + (d / "other.json").string()).code == 0);
    const auto mixed = sh(bin + " merge " + (d / "s0.json").string() + " " + (d / "other.json").string());
    CHECK(mixed.code == 2);
    CHECK(mixed.out.find("seed differs") != std::string::npos);

    for (const char* cmd : {"explore --bounds small --depth 2 --shard 3/2", "bmc --bounds small --shard 3/2",
                            "check --shard 3/2", "ci --shard 3/2", "ci --budget huge"}) {
        INFO(cmd);
        const auto r = cli_test::run(cmd);
        CHECK(r.code == 2);
        CHECK(cli_test::lines(r.out) == 1);
    }
    fs::remove_all(d);
}

TEST_CASE("cowcheck ci --shard: the shards' checks partition the whole list", "[ci][shard]") {
    const auto all = cli_test::run("ci --list --corpus " + corpus);
    REQUIRE(all.code == 0);
    std::size_t n = 0;
    std::string joined;
    for (int i = 0; i < 3; ++i) {
        const auto s = cli_test::run("ci --list --corpus " + corpus + " --shard " + std::to_string(i) + "/3");
        REQUIRE(s.code == 0);
        n += cli_test::lines(s.out);
        std::istringstream in(s.out);
        for (std::string line; std::getline(in, line);) CHECK(all.out.find(line + "\n") != std::string::npos);
    }
    CHECK(n == cli_test::lines(all.out));
}

TEST_CASE("cowcheck ci --design mshare: the mshare corpus is replayed and each mshare mutant has its trace", "[ci]") {
    const auto l = cli_test::run("ci --list --design mshare --corpus " + corpus);
    INFO(l.out);
    REQUIRE(l.code == 0);
    CHECK(l.out.find("mshare/replay/mshare/mshare_flush_host_only.itf.json: ") != std::string::npos);
    CHECK(l.out.find("mshare/corpus/mshare_attach_during_flush: trace ") != std::string::npos);
    CHECK(l.out.find("fails: no trace") == std::string::npos);
    // The anon_vma corpus is still replayed beside it.
    CHECK(l.out.find("anon_vma/replay/anon_vma/gup_cow_leak.itf.json: ") != std::string::npos);
}

TEST_CASE("4 shards through the GNU parallel recipe (docs/shards.md) merge to the single run, state for state",
          "[ci][shard]") {
    if (sh("command -v parallel").code != 0) {
        WARN("skipped: GNU parallel is not installed (scripts/setup.sh installs Debian's parallel)");
        return;
    }
    const fs::path d = temp_dir("parallel");
    struct run {
        std::string args;
        int code;
    };
    const run runs[] = {
        {"explore --bounds small --depth 5 --threads 1", 0},
        {"explore --bounds small --depth 6 --threads 1 --inject gup_cow_leak", 1},
        {"check --inject fork_shares_pinned_page --seed 5 --budget 200000", 1},
        {"check --seed 5 --budget 100000", 0},
    };
    auto states = [](const fs::path& f) {
        std::set<std::string> out;
        std::ifstream in(f);
        for (std::string line; std::getline(in, line);) out.insert(line);
        return out;
    };
    for (const auto& x : runs) {
        INFO(x.args);
        const bool explore = x.args.rfind("explore", 0) == 0;
        const std::string dump = explore ? " --dump-states " : "";
        const auto whole = sh("cd " + d.string() + " && " + bin + " " + x.args + " --json" + (explore ? dump + "whole.fp" : "") +
                              " > whole.json");
        REQUIRE(whole.code == x.code);
        // The recipe, with the shard index from parallel's {} (as in docs/shards.md).
        const auto par = sh("cd " + d.string() + " && rm -f shard-*.json shard-*.fp && parallel --will-cite \"" + bin + " " +
                            x.args + " --shard {}/4 --json" + (explore ? dump + "shard-{}.fp" : "") +
                            " > shard-{}.json\" ::: 0 1 2 3");
        // parallel exits with the number of jobs that exited non-zero: with a violation, at least
        // the shard holding it (exit 1); clean, none.
        if (x.code == 0) CHECK(par.code == 0);
        else CHECK((par.code >= 1 && par.code <= 4));
        const auto m = sh("cd " + d.string() + " && " + bin + " merge --json shard-0.json shard-1.json shard-2.json shard-3.json > merged.json");
        CHECK(m.code == x.code);
        const auto w = read_json(d / "whole.json");
        const auto mj = read_json(d / "merged.json");
        CHECK(mj["result"] == w["result"]);
        CHECK(mj["shards_present"] == 4);
        if (x.code == 1) {
            CHECK(mj["violation"]["invariant"] == w["violation"]["invariant"]);
            if (explore) CHECK(mj["violation"]["length"] == w["violation"]["length"]);
        } else if (explore) {
            CHECK(mj["clean_depth"] == w["clean_depth"]);
            std::set<std::string> all;
            for (int i = 0; i < 4; ++i) {
                const auto part = states(d / (std::string("shard-") += std::to_string(i) += ".fp"));
                CHECK(part.size() < states(d / "whole.fp").size());   // each shard did only a part past the frontier
                all.insert(part.begin(), part.end());
            }
            const auto one = states(d / "whole.fp");
            CHECK(one.size() == static_cast<std::size_t>(w["states_checked"].get<long>()));
            CHECK(all == one);
        }
    }
    fs::remove_all(d);
}
