// cli/cmd_ci.cpp — `cowcheck ci`: one command for a project's pipeline.  Replays the
// counterexample corpus, checks that every mutant is still found by each engine
// within a budget, and that the fixed model stays clean, per design; exit 0 only if
// every check holds.  --junit writes one <testcase> per check.
//
// Each check runs the cowcheck binary itself (/proc/self/exe) with the engine's own
// command line and --json, so a check is exactly what a user would type (the JUnit
// text shows the command), runs with the engine's own limits, and `--jobs` checks run
// side by side.  Checks, in a fixed order (their index is what --shard I/N splits on):
//   <design>/replay/<file>       `replay FILE`: the recorded violation still happens
//   <design>/corpus/<mutant>     the mutant has a trace in the corpus (so the engines'
//                                failure text can show what they should find)
//   <design>/check/<mutant>      `check --inject M` at default bounds, seed 1, budget steps
//   <design>/explore/<mutant>    `explore --inject M` with the mutant's search (below)
//   <design>/bmc/<mutant>        `bmc --bounds small --inject M` where the corpus trace is
//                                at small bounds and at most 3 steps (BMC's reach)
//   <design>/check/fixed         the fixed model: check, explore at small, bmc at small,
//   <design>/explore/fixed       all invariants; a violation is saved under --out and its
//   <design>/bmc/fixed           path and narrative are the failure text
// Mutants listed in known_gaps are reported as skipped, with the reason, never as
// passed.  Simplifications: the corpus is replayed once (its files name their design);
// the per-mutant explore searches mirror scripts/regen-corpus.sh (keep them in step).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <tuple>

#include "common.hpp"

extern char** environ;

namespace cli {

namespace {

namespace fs = std::filesystem;

/// Mutants an engine does not find yet, with the reason: reported as skipped, never
/// as passed.  Keyed by (design, mutant, engine); "*" matches every design or every
/// engine (and the corpus check).  A new design adds its own entries here, e.g. for a
/// mutant of anon_vma internals its code never reaches (docs/add-a-design.md).
using gap_key = std::tuple<std::string, std::string, std::string>;
const std::map<gap_key, std::string>& known_gaps() {
    static const std::map<gap_key, std::string> gaps = {
        // check runs at the default bounds (blind_spot says why it cannot fail there).
        {{"*", "anon_vma_no_reuse", "check"},
         blind_spot(model::config::defaults<model::preset_default>().inject(model::mutant::anon_vma_no_reuse))},
    };
    return gaps;
}

std::string known_gap(const std::string& design, const std::string& mutant, const std::string& engine) {
    // The mshare mutants change model/mshare.hpp, whose actions exist only under --design mshare.
    if (design != "mshare" && mutant.rfind("mshare_", 0) == 0)
        return "not applicable: mshare mutants need --design mshare (no region exists under " + design + ")";
    for (const auto& d : {design, std::string("*")})
        for (const auto& e : {engine, std::string("*")}) {
            const auto it = known_gaps().find({d, mutant, e});
            if (it != known_gaps().end()) return "known gap: " + it->second;
        }
    return {};
}

struct budget {
    const char* name;
    long check_steps;         // check, per mutant and for the fixed model (default preset, seed 1)
    double explore_seconds;   // limit per explore run
    int explore_fixed_depth;  // the fixed model, small preset
    int bmc_fixed_depth;      // the fixed model, small preset
    double bmc_seconds;       // limit per bmc run
    double check_seconds;     // limit per check run (reached first: unknown, exit 3)
};

// Measured on this 2-core machine (shared) with --jobs 2: quick 18-21 s, full 302 s
// (README).  Explore of the fixed model at small: depth 6 is 0.56 M
// states (2-10 s), depth 7 4.2 M (17-90 s, 2.5 GB), depth 8 out of reach of a CI job's
// memory; bmc of the fixed model at small: depth 2 under 1 s, depth 3 26-90 s.  The
// fixed model's check dominates full: 2*10^8 steps at 0.3-0.6 M steps/s.
constexpr budget quick_budget{"quick", 5'000'000, 60, 6, 2, 120, 90};
constexpr budget full_budget{"full", 200'000'000, 600, 7, 3, 900, 1500};

struct ci_options {
    std::vector<std::string> designs;
    std::string budget = "quick";
    std::string junit;
    bool json = false;
    std::string shard = "0/1";
    std::string corpus = "counterexamples/anon_vma";
    std::string out = "cowcheck-ci";
    int jobs = 2;
    bool list = false;
    std::vector<std::string> only;     // run only the checks whose name contains one of these
    std::vector<std::string> inject;   // a variant under test: the fixed-model checks run with these mutants
};

struct ci_check {
    std::string design, engine, subject;
    std::vector<std::string> args;   // cowcheck arguments
    int expect = 0;                  // exit code that means the check holds
    std::string trace;               // the trace file the check is about (corpus), if any
    std::string save_dir;            // where a fixed-model violation is saved
    std::string save_stem;           // its file name stem: the injected mutants, else the invariant
    std::string skipped;             // known gap: not run
    std::string missing;             // the check fails without running (e.g. no corpus trace)
    // results
    std::string status;              // passed, failed, unknown, skipped
    std::string message;             // one line
    std::string details;             // failure text: command, output, trace path, narrative
    double seconds = 0;
    int code = -1;

    std::string name() const { return design + "/" + engine + "/" + subject; }
};

std::string command_line(const std::vector<std::string>& args) {
    std::string s = "cowcheck";
    for (const auto& a : args) {
        s += ' ';
        s += a;
    }
    return s;
}

std::string read_file(const std::string& path, std::size_t cap = 64 * 1024) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    std::string t = s.str();
    if (t.size() > cap) {
        t.resize(cap);
        t += "\n[... truncated]\n";
    }
    return t;
}

struct run_output {
    int code = -1;
    std::string out, err;
};

/// Run this binary with `args`; stdout and stderr captured through temporary files.
run_output run_self(const std::vector<std::string>& args) {
    char out_name[] = "/tmp/cowcheck-ci-XXXXXX";
    char err_name[] = "/tmp/cowcheck-ci-XXXXXX";
    const int out_fd = mkstemp(out_name), err_fd = mkstemp(err_name);
    if (out_fd < 0 || err_fd < 0) throw std::runtime_error("ci: cannot create a temporary file");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
    std::vector<std::string> argv_s = {"cowcheck"};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    run_output r;
    const int rc = posix_spawn(&pid, "/proc/self/exe", &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out_fd);
    close(err_fd);
    if (rc == 0) {
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    } else {
        r.err = std::string("cannot run /proc/self/exe: ") + std::strerror(rc);
    }
    r.out = read_file(out_name);
    r.err += read_file(err_name);
    std::remove(out_name);
    std::remove(err_name);
    return r;
}

/// The narrative of a trace file: the .txt saved next to it, else `cowcheck show FILE`.
std::string narrative_of(const std::string& itf) {
    std::string txt = itf;
    if (txt.size() > 9 && txt.compare(txt.size() - 9, 9, ".itf.json") == 0) txt.resize(txt.size() - 9);
    txt += ".txt";
    std::error_code ec;
    if (fs::is_regular_file(txt, ec)) return read_file(txt);
    const auto r = run_self({"show", itf});
    return r.code == 0 ? r.out : "(no narrative: `cowcheck show` exited " + std::to_string(r.code) + ": " + r.err + ")";
}

/// The corpus: every *.itf.json under the directory (harm/ and other subdirectories too), sorted.
std::vector<std::string> corpus_files(const std::string& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw usage_error("--corpus " + dir + ": no such directory (run from the source tree or pass --corpus DIR)");
    std::vector<std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
        const std::string p = e.path().string();
        if (e.is_regular_file() && p.size() > 9 && p.compare(p.size() - 9, 9, ".itf.json") == 0) files.push_back(p);
    }
    std::sort(files.begin(), files.end());
    return files;
}

/// What a corpus file says about itself, if it parses: design, mutants, preset, length.
struct corpus_entry {
    std::string file, design, preset;
    std::vector<std::string> mutants;
    int length = -1;
};

corpus_entry read_entry(const std::string& file) {
    corpus_entry c;
    c.file = file;
    try {
        std::ifstream in(file);
        const auto j = nlohmann::json::parse(in);
        const auto& m = j.at("#meta");
        c.design = m.value("design", std::string("anon_vma"));
        c.preset = m.at("bounds").at("preset").get<std::string>();
        for (const auto& x : m.at("mutants")) c.mutants.push_back(x.get<std::string>());
        c.length = static_cast<int>(j.at("states").size()) - 1;
    } catch (const std::exception&) {
        // an unreadable file is the replay check's failure, with its own message
    }
    return c;
}

std::vector<ci_check> plan(const ci_options& o, const budget& b) {
    std::vector<ci_check> checks;
    std::vector<corpus_entry> corpus;
    // The corpus is anon_vma's (counterexamples/anon_vma); each other design checked adds
    // its sibling directory (counterexamples/cow_context: the PoC's findings and the
    // design's mutants; counterexamples/mshare: the mshare mutants).
    std::vector<std::string> dirs = {o.corpus};
    if (fs::path(o.corpus).filename() == "anon_vma")
        for (const auto& d : o.designs) {
            const std::string dir = (fs::path(o.corpus).parent_path() / d).string();
            std::error_code ec;
            if (d != "anon_vma" && fs::is_directory(dir, ec) && std::find(dirs.begin(), dirs.end(), dir) == dirs.end())
                dirs.push_back(dir);
        }
    std::vector<std::string> dir_of;
    for (const auto& d : dirs)
        for (const auto& f : corpus_files(d)) {
            corpus.push_back(read_entry(f));
            dir_of.push_back(d);
        }
    for (std::size_t i = 0; i < corpus.size(); ++i) {
        const auto& c = corpus[i];
        ci_check k;
        k.design = c.design.empty() ? "anon_vma" : c.design;
        k.engine = "replay";
        k.subject = fs::relative(c.file, dirs.size() > 1 ? fs::path(dir_of[i]).parent_path() : fs::path(o.corpus)).string();
        k.args = {"replay", c.file, "--json"};
        k.trace = c.file;
        checks.push_back(k);
    }
    const std::string steps = std::to_string(b.check_steps);
    for (const auto& d : o.designs) {
        const std::string out = o.out + "/" + d;
        // The COW context design is checked with every --cow-fix on: as coded it has the
        // holes of docs/cow-context-findings.md (checked by replaying their corpus traces),
        // and a mutant must be found on the fixed design, not through an unfixed hole.
        std::vector<std::string> fixes;
        if (d == "cow_context")
            for (const auto& f : model::cow_fixes()) {
                fixes.push_back("--cow-fix");
                fixes.push_back(f.name);
            }
        auto with_fixes = [&](std::vector<std::string> args) {
            args.insert(args.begin() + 1, fixes.begin(), fixes.end());
            return args;
        };
        const auto dsg = model::design_by_name(d);
        for (const auto& m : model::mutants()) {
            if (dsg && !m.applies(*dsg)) continue;   // a mutant of the other design's code
            const std::string name = m.name;
            // The mutant's trace under this design; else one under another design it applies to
            // (e.g. an anon_vma mutant under --design mshare, which keeps the anon_vma rmap):
            // that one counts for the corpus check, but BMC's depth is taken only from this
            // design's own trace.
            const corpus_entry* trace = nullptr;
            const corpus_entry* other = nullptr;
            for (const auto& c : corpus)
                if (c.mutants == std::vector<std::string>{name}) {
                    const auto cd = model::design_by_name(c.design.empty() ? "anon_vma" : c.design);
                    // The shortest, when there are several (a harm/ trace is longer than the first break).
                    auto& slot = (c.design.empty() ? d == "anon_vma" : c.design == d) ? trace : other;
                    if ((&slot == &trace || (cd && m.applies(*cd))) && (!slot || c.length < slot->length)) slot = &c;
                }
            auto add = [&](const std::string& engine, std::vector<std::string> args) {
                ci_check k;
                k.design = d;
                k.engine = engine;
                k.subject = name;
                k.args = with_fixes(std::move(args));
                k.expect = exit_violation;
                if (trace || other) k.trace = (trace ? trace : other)->file;
                k.skipped = known_gap(d, name, engine);
                checks.push_back(k);
            };
            {
                ci_check k;
                k.design = d;
                k.engine = "corpus";
                k.subject = name;
                k.skipped = known_gap(d, name, "corpus");
                if (trace || other) k.trace = (trace ? trace : other)->file;
                else if (k.skipped.empty())
                    k.missing = "no trace for this mutant in " + o.corpus + " (scripts/regen-corpus.sh)";
                checks.push_back(k);
            }
            add("check", {"check", "--design", d, "--inject", name, "--seed", "1", "--budget", steps, "--seconds",
                          std::to_string(static_cast<long>(b.check_seconds)), "--json"});
            std::vector<std::string> ea = {"explore", "--design", d, "--inject", name};
            for (const auto& a : explore_args_for(name)) ea.push_back(a);
            for (const auto& a : {"--seconds", "X", "--json"}) ea.push_back(a);
            ea[ea.size() - 2] = std::to_string(static_cast<long>(b.explore_seconds));
            add("explore", ea);
            if (trace && trace->preset == "small" && trace->length >= 0 && trace->length <= 3)
                add("bmc", {"bmc", "--design", d, "--inject", name, "--bounds", "small", "--depth",
                            std::to_string(trace->length), "--timeout", std::to_string(static_cast<long>(b.bmc_seconds)),
                            "--json"});
        }
        auto fixed = [&](const std::string& engine, std::vector<std::string> args) {
            ci_check k;
            k.design = d;
            k.engine = engine;
            k.subject = "fixed";
            k.save_dir = out + "/" + engine;
            args.push_back("--save");
            args.push_back(k.save_dir);
            args.push_back("--force");
            k.args = with_fixes(std::move(args));
            k.expect = exit_clean;
            for (const auto& m : o.inject) {
                k.args.insert(k.args.begin() + 1, m);
                k.args.insert(k.args.begin() + 1, "--inject");
            }
            // cli/trace_files.hpp counterexample_name(): mutants in registry order, joined by '+'.
            for (const auto& m : model::mutants())
                if (std::find(o.inject.begin(), o.inject.end(), m.name) != o.inject.end()) {
                    if (!k.save_stem.empty()) k.save_stem += '+';
                    k.save_stem += m.name;
                }
            checks.push_back(k);
        };
        fixed("check", {"check", "--design", d, "--seed", "1", "--budget", steps, "--seconds",
                        std::to_string(static_cast<long>(b.check_seconds)), "--json"});
        fixed("explore", {"explore", "--design", d, "--bounds", "small", "--depth", std::to_string(b.explore_fixed_depth),
                          "--seconds", std::to_string(static_cast<long>(b.explore_seconds)), "--json"});
        fixed("bmc", {"bmc", "--design", d, "--bounds", "small", "--depth", std::to_string(b.bmc_fixed_depth),
                      "--timeout", std::to_string(static_cast<long>(b.bmc_seconds)), "--json"});
    }
    return checks;
}

/// Run one check and fill in its result.
void run_check(ci_check& k, int jobs) {
    const auto t0 = std::chrono::steady_clock::now();
    if (!k.skipped.empty()) {
        k.status = "skipped";
        k.message = k.skipped;
        return;
    }
    if (!k.missing.empty()) {
        k.status = "failed";
        k.message = k.missing;
        k.details = k.missing + "\n";
        return;
    }
    if (k.engine == "corpus") {
        k.status = "passed";
        k.message = "trace " + k.trace;
        return;
    }
    std::vector<std::string> args = k.args;
    if (k.engine == "explore" && jobs > 1) {
        args.push_back("--threads");
        args.push_back("1");
    }
    const auto r = run_self(args);
    k.code = r.code;
    k.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(r.out);
    } catch (const std::exception&) {
        j = nlohmann::json::object();
    }
    std::ostringstream d;
    d << "command: " << command_line(args) << "\nexit code: " << r.code << "\n";
    if (r.code == k.expect) {
        k.status = "passed";
        if (k.engine == "replay") k.message = "still violates as recorded";
        else if (k.expect == exit_violation)
            k.message = "found: " + j.value("/violation/invariant"_json_pointer, std::string("?")) + " in " +
                        std::to_string(j.value("/violation/length"_json_pointer, 0)) + " steps";
        else k.message = "clean";
        return;
    }
    k.status = (r.code == exit_unknown) ? "unknown" : "failed";
    if (k.engine == "replay") {
        std::string verdict;
        if (j.contains("files") && !j["files"].empty()) {
            const auto& f = j["files"][0];
            verdict = f.value("result", std::string("?"));
            if (f.contains("error")) verdict += ": " + f["error"].get<std::string>();
            if (f.contains("invariant"))
                verdict += " (" + f["invariant"].get<std::string>() + ", recorded at step " +
                           std::to_string(f.value("recorded_at", -1)) + ")";
        } else {
            verdict = "error: " + r.err.substr(0, r.err.find('\n'));
        }
        k.message = "the recorded trace " + k.trace + " does not replay as recorded: " + verdict;
    } else if (k.expect == exit_violation) {
        k.message = k.engine + " did not find " + k.subject + " within the budget: " +
                    j.value("result", r.code == exit_internal ? std::string("internal error") : std::string("?")) +
                    (j.contains("stopped") ? " (" + j["stopped"].get<std::string>() + ")" : std::string()) +
                    (j.contains("reason") ? " (" + j["reason"].get<std::string>() + ")" : std::string());
    } else if (r.code == exit_violation) {
        const std::string inv = j.value("/violation/invariant"_json_pointer, std::string("?"));
        k.trace = k.save_dir + "/" + (k.save_stem.empty() ? inv : k.save_stem) + ".itf.json";
        k.message = "the fixed model violates " + inv + " (" + k.engine + "): trace " + k.trace;
    } else {
        k.message = k.engine + " on the fixed model: " + j.value("result", std::string("exit ") + std::to_string(r.code)) +
                    (j.contains("stopped") ? " (" + j["stopped"].get<std::string>() + ")" : std::string()) +
                    (j.contains("reason") ? " (" + j["reason"].get<std::string>() + ")" : std::string());
    }
    d << k.message << "\n";
    if (!k.trace.empty()) {
        d << "\ntrace file: " << k.trace << "\n";
        if (k.engine != "replay" && k.expect == exit_violation) d << "(the recorded trace this engine should find)\n";
        d << "\n" << narrative_of(k.trace) << "\n";
    }
    if (!r.err.empty()) d << "\nstderr:\n" << r.err.substr(0, 4000) << "\n";
    d << "\noutput:\n" << r.out.substr(0, 4000) << "\n";
    k.details = d.str();
}

std::string xml_escape(const std::string& s) {
    std::string o;
    for (unsigned char c : s) {
        switch (c) {
        case '&': o += "&amp;"; break;
        case '<': o += "&lt;"; break;
        case '>': o += "&gt;"; break;
        case '"': o += "&quot;"; break;
        case '\'': o += "&apos;"; break;
        case '\n': case '\t': case '\r': o += static_cast<char>(c); break;
        default:
            if (c < 0x20) o += "?";   // not allowed in XML 1.0
            else o += static_cast<char>(c);
        }
    }
    return o;
}

void write_junit(const std::string& path, const std::vector<const ci_check*>& run, double seconds) {
    std::map<std::string, std::vector<const ci_check*>> suites;
    for (const auto* k : run) suites[k->design].push_back(k);
    auto count = [](const std::vector<const ci_check*>& v, const char* st) {
        return std::count_if(v.begin(), v.end(), [&](const ci_check* k) { return k->status == st; });
    };
    std::ostringstream x;
    x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    x << "<testsuites name=\"cowcheck ci\" tests=\"" << run.size() << "\" failures=\""
      << count(run, "failed") + count(run, "unknown") << "\" skipped=\"" << count(run, "skipped") << "\" time=\""
      << seconds << "\">\n";
    for (const auto& [design, v] : suites) {
        double t = 0;
        for (const auto* k : v) t += k->seconds;
        x << "  <testsuite name=\"" << xml_escape(design) << "\" tests=\"" << v.size() << "\" failures=\""
          << count(v, "failed") + count(v, "unknown") << "\" skipped=\"" << count(v, "skipped") << "\" time=\"" << t
          << "\">\n";
        for (const auto* k : v) {
            x << "    <testcase classname=\"cowcheck." << xml_escape(k->design + "." + k->engine) << "\" name=\""
              << xml_escape(k->name()) << "\" time=\"" << k->seconds << "\"";
            if (k->status == "passed") {
                x << "/>\n";
                continue;
            }
            x << ">\n";
            if (k->status == "skipped") {
                x << "      <skipped message=\"" << xml_escape(k->message) << "\"/>\n";
            } else {
                x << "      <failure message=\"" << xml_escape(k->message) << "\" type=\"" << k->status << "\">"
                  << xml_escape(k->details) << "</failure>\n";
            }
            x << "    </testcase>\n";
        }
        x << "  </testsuite>\n";
    }
    x << "</testsuites>\n";
    std::ofstream f(path);
    if (!f) throw usage_error("--junit " + path + ": cannot write");
    f << x.str();
}

int run_ci(ci_options o) {
    if (o.designs.empty()) o.designs = {"anon_vma"};
    for (const auto& d : o.designs)
        if (!model::design_by_name(d)) throw usage_error("--design: unknown design '" + d + "' (see `cowcheck list`)");
    if (o.budget != "quick" && o.budget != "full") throw usage_error("--budget '" + o.budget + "' is not quick or full");
    if (o.jobs < 1 || o.jobs > 64) throw usage_error("--jobs must be between 1 and 64");
    for (const auto& m : o.inject)
        if (!model::mutant_by_name(m)) throw usage_error("--inject: unknown mutant '" + m + "' (see `cowcheck list`)");
    const auto [shard, shards] = parse_shard(o.shard);
    const budget& b = o.budget == "quick" ? quick_budget : full_budget;
    std::vector<ci_check> checks = plan(o, b);
    if (!o.only.empty())
        std::erase_if(checks, [&](const ci_check& k) {
            return std::none_of(o.only.begin(), o.only.end(),
                                [&](const std::string& w) { return k.name().find(w) != std::string::npos; });
        });
    std::vector<ci_check*> mine;
    for (std::size_t i = 0; i < checks.size(); ++i)
        if (static_cast<int>(i % shards) == shard) mine.push_back(&checks[i]);
    if (o.list) {
        for (const auto* k : mine)
            std::cout << k->name() << ": "
                      << (!k->skipped.empty() ? "skipped (" + k->skipped + ")"
                          : !k->missing.empty()  ? "fails: " + k->missing
                          : k->args.empty()      ? "trace " + k->trace
                                                 : command_line(k->args))
                      << "\n";
        return exit_clean;
    }
    const auto t0 = std::chrono::steady_clock::now();
    if (!o.json)
        std::cout << "cowcheck ci: budget " << b.name << ", designs";
    if (!o.json) {
        for (const auto& d : o.designs) std::cout << " " << d;
        std::cout << ", " << mine.size() << " checks";
        if (shards > 1) std::cout << " (shard " << o.shard << " of " << checks.size() << ")";
        std::cout << ", " << o.jobs << " at a time\n";
        std::cout.flush();
    }
    // The longest checks (the fixed model's, bmc) start first, so that `--jobs` runs
    // end together; the summary, JSON and JUnit list them in plan order.
    std::vector<ci_check*> order = mine;
    auto cost = [](const ci_check* k) { return k->subject == "fixed" ? 0 : k->engine == "bmc" ? 1 : 2; };
    std::stable_sort(order.begin(), order.end(), [&](auto* x, auto* y) { return cost(x) < cost(y); });
    std::atomic<std::size_t> next{0};
    std::mutex print;
    auto worker = [&] {
        for (std::size_t i; (i = next++) < order.size();) {
            run_check(*order[i], o.jobs);
            if (o.json) continue;
            std::lock_guard<std::mutex> lock(print);
            const auto& k = *order[i];
            std::printf("  %-8s %-55s %6.1f s  %s\n", k.status.c_str(), k.name().c_str(), k.seconds, k.message.c_str());
            std::fflush(stdout);
        }
    };
    std::vector<std::thread> pool;
    for (int t = 0; t < o.jobs; ++t) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::map<std::string, int> n;
    for (const auto* k : mine) ++n[k->status];
    const int code = n["failed"] ? exit_violation : n["unknown"] ? exit_unknown : exit_clean;
    std::vector<const ci_check*> done(mine.begin(), mine.end());
    if (!o.junit.empty()) write_junit(o.junit, done, secs);
    if (o.json) {
        nlohmann::json j = {{"engine", "ci"}, {"designs", o.designs}, {"budget", b.name}, {"shard", o.shard},
                            {"checks_total", checks.size()}, {"inject", o.inject}, {"only", o.only}, {"seconds", secs},
                            {"result", code == exit_clean ? "clean" : code == exit_unknown ? "unknown" : "violation"},
                            {"passed", n["passed"]}, {"failed", n["failed"]}, {"unknown", n["unknown"]},
                            {"skipped", n["skipped"]}};
        j["checks"] = nlohmann::json::array();
        for (const auto* k : mine) {
            nlohmann::json c = {{"name", k->name()}, {"status", k->status}, {"message", k->message},
                                {"seconds", k->seconds}};
            if (!k->args.empty()) c["command"] = command_line(k->args);
            if (!k->trace.empty()) c["trace"] = k->trace;
            j["checks"].push_back(c);
        }
        std::cout << j.dump(2) << "\n";
        return code;
    }
    std::cout << "\n" << n["passed"] << " passed, " << n["failed"] << " failed, " << n["unknown"]
              << " unknown (budget ran out), " << n["skipped"] << " skipped (known gaps) in " << secs << " s\n";
    for (const auto* k : mine)
        if (k->status == "failed" || k->status == "unknown") std::cout << "\n" << k->name() << ":\n" << k->details;
    for (const auto* k : mine)
        if (k->status == "skipped") std::cout << "skipped " << k->name() << " (" << k->message << ")\n";
    return code;
}

}  // namespace

void add_ci(CLI::App& app, int& code) {
    auto o = std::make_shared<ci_options>();
    auto* cmd = app.add_subcommand(
        "ci",
        "for a project's pipeline: replay the corpus (one check per file), check that every mutant is still "
        "found by check (default bounds, seed 1), explore (its search) and bmc (small bounds, where its corpus "
        "trace has at most 3 steps), and that the fixed model stays clean for check, explore and bmc; per "
        "--design. Checks are named design/engine/mutant-or-fixed. Exit 0 only if every check holds; 1 if one "
        "fails (mutant not found, fixed model violated, corpus trace differs); 3 if none fails but a budget ran "
        "out. Known gaps (anon_vma_no_reuse: its invariant cannot fail at check's default bounds) are reported as "
        "skipped, with the reason.\n"
        "Budgets (2 cores, --jobs 2): quick (under 2 minutes; measured 18-21 s): check 5*10^6 steps, check, "
        "explore and bmc limits 90, 60 and 120 s per run, fixed model explore depth 6 and bmc depth 2 at small. "
        "full (under 30 minutes; measured 5 minutes): check 2*10^8 steps, limits 1500, 600 and 900 s, fixed model explore depth 7 "
        "and bmc depth 3 at small. "
        "Mutant bmc runs go to the depth of the mutant's corpus trace in both.");
    cmd->add_option("--design", o->designs, "rmap design to check (repeatable; default anon_vma)");
    cmd->add_option("--budget", o->budget, "quick or full")->capture_default_str();
    cmd->add_option("--junit", o->junit, "write JUnit XML here: one <testcase> per check");
    cmd->add_flag("--json", o->json, "print the summary as one JSON object (for `cowcheck merge`)");
    cmd->add_option("--shard", o->shard, "I/N: run only the checks whose index % N == I")->capture_default_str();
    cmd->add_option("--corpus", o->corpus, "the counterexample corpus directory (*.itf.json, subdirectories too)")
        ->capture_default_str();
    cmd->add_option("--out", o->out, "where a counterexample of the fixed model is saved")->capture_default_str();
    cmd->add_option("--jobs", o->jobs, "checks run side by side")->capture_default_str();
    cmd->add_flag("--list", o->list, "print the checks (with their commands) and exit");
    cmd->add_option("--only", o->only,
                    "run only the checks whose name contains this (repeatable), e.g. /replay/ or /fixed");
    cmd->add_option("--inject", o->inject,
                    "check a variant: the fixed-model checks run with this mutant injected (repeatable), as a new "
                    "design would be checked (docs/add-a-design.md)");
    cmd->callback([o, &code] { code = run_ci(*o); });
}

}  // namespace cli
