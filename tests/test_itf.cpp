// tests/test_itf.cpp — counterexample files in the Informal Trace Format (ITF):
// a written trace reads back to the same actions and states; every trace obeys
// ADR-015's rules; `cowcheck replay` exits 0 / 1 / 2 as a CI job needs; and,
// as a RapidCheck property, any corruption of a valid trace (a dropped field, a
// duplicated state, a changed value, a renamed action, a truncated file) is a
// one-line input error (exit 2) from both `replay` and `show`, never a crash or
// a hang.
#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "solver/itf.hpp"
#include "solver/random.hpp"

using namespace model;
using S = state<concrete, preset_default>;
using solver::itf_json;

#include "cli_run.hpp"

using cli_test::lines;
using cli_test::run;

namespace {

/// A fresh scratch directory per test run, removed when the test binary exits.
std::filesystem::path scratch(const std::string& name) {
    static const struct cleanup {
        std::filesystem::path root =
            std::filesystem::temp_directory_path() / ("cowcheck_itf_" + std::to_string(getpid()));
        ~cleanup() {
            std::error_code ec;
            std::filesystem::remove_all(root, ec);
        }
    } scratch_root;
    const auto dir = scratch_root.root / name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void spit(const std::filesystem::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
}

/// A violating trace found by the random explorer with the mutant injected, shrunk.
std::pair<std::vector<action>, int> mutant_trace(const config& cfg) {
    solver::random_options ro;
    ro.seed = 1;
    ro.max_steps = 200000;
    const auto r = solver::random_check<S>(cfg, ro);
    REQUIRE(r.violated >= 0);
    return {r.shrunk, r.violated};
}

config fork_keeps_exclusive() { return config::defaults<preset_default>().inject(mutant::fork_keeps_exclusive); }

bool same(const action& x, const action& y) { return solver::itf_detail::same_action(x, y); }

/// ADR-015 value rules: JSON numbers within 2^53, booleans, strings, sequences,
/// records, and the #bigint / #tup / #set / #map / #unserializable forms.
void check_itf_value(const itf_json& v, const std::string& path) {
    INFO(path);
    REQUIRE(!v.is_null());
    REQUIRE(!v.is_number_float());
    if (v.is_number_integer()) {
        const long long lim = 1ll << 53;
        REQUIRE((v.is_number_unsigned() ? v.get<unsigned long long>() < static_cast<unsigned long long>(lim)
                                        : (v.get<long long>() > -lim && v.get<long long>() < lim)));
    } else if (v.is_array()) {
        for (std::size_t i = 0; i < v.size(); ++i) check_itf_value(v[i], path + "[" + std::to_string(i) + "]");
    } else if (v.is_object()) {
        if (v.size() == 1 && v.begin().key().rfind('#', 0) == 0) {
            const std::string k = v.begin().key();
            REQUIRE((k == "#bigint" || k == "#tup" || k == "#set" || k == "#map" || k == "#unserializable"));
            if (k == "#bigint") REQUIRE(v[k].is_string());
            if (k == "#tup" || k == "#set" || k == "#map") REQUIRE(v[k].is_array());
            if (k != "#bigint" && k != "#unserializable")
                for (const auto& e : v[k]) check_itf_value(e, path + "." + k);
            return;
        }
        for (const auto& item : v.items()) {
            REQUIRE(item.key().rfind('#', 0) != 0);
            check_itf_value(item.value(), path + "." + item.key());
        }
    }
}

}  // namespace

TEST_CASE("ITF round trip: a written trace reads back to the same actions and states", "[itf]") {
    const config cfg = fork_keeps_exclusive();
    const auto [trace, violated] = mutant_trace(cfg);
    const int at = *solver::breaks<S>(cfg, trace, violated);
    const auto j = solver::to_itf<S>(cfg, "default", trace, violated, at,
                                     {{"engine", "check/seeded"}, {"seed", 1}, {"minimal", "uncertified"},
                                      {"fixed_expect", solver::fixed_outcome<S>(cfg, trace)}});
    const auto back = solver::from_itf<S>(solver::parse_itf(solver::itf_text(j)));

    REQUIRE(back.trace.size() == trace.size());
    for (std::size_t k = 0; k < trace.size(); ++k) {
        INFO("step " << k + 1 << ": " << describe(trace[k]));
        CHECK(same(back.trace[k], trace[k]));
    }
    std::vector<S> states;
    solver::replay<S>(cfg, trace, 0, &states);
    REQUIRE(back.states.size() == states.size());
    for (std::size_t i = 0; i < states.size(); ++i) CHECK(generic::equal(back.states[i], states[i]));
    CHECK(back.invariant == violated);
    CHECK(back.violated_at == at);
    CHECK(back.cfg.injected == cfg.injected);
    CHECK(back.cfg.lim.mms == cfg.lim.mms);
    CHECK(back.cfg.lim.cpus == cfg.lim.cpus);
    CHECK(back.fixed_expect == itf_json("pass"));
    CHECK(back.meta["minimal"] == "uncertified");
}

TEST_CASE("ITF: every written trace obeys ADR-015", "[itf]") {
    // The mutant's trace, and a longer one: the fixed model's random walk cut at 12 steps.
    const config cfg = fork_keeps_exclusive();
    const auto [trace, violated] = mutant_trace(cfg);
    std::vector<std::pair<config, std::vector<action>>> cases = {{cfg, trace}};
    {
        const config fixed = config::defaults<preset_default>();
        solver::rng g(7);
        S s = initial_state<S>();
        std::vector<action> walk;
        const auto acts = actions(fixed);
        while (walk.size() < 12)
            if (const action& x = acts[g.below(static_cast<std::uint32_t>(acts.size()))]; step(fixed, s, x)) walk.push_back(x);
        cases.push_back({fixed, walk});
    }
    for (const auto& [c, t] : cases) {
        const auto j = solver::to_itf<S>(c, "default", t, violated, static_cast<int>(t.size()));
        std::set<std::string> top;
        for (const auto& item : j.items()) top.insert(item.key());
        CHECK(top == std::set<std::string>{"#meta", "vars", "states"});
        CHECK(j["#meta"]["format"] == "ITF");
        CHECK(j["#meta"]["format-description"] == solver::itf_format_description);
        CHECK(j["#meta"]["source"] == "cowcheck");
        REQUIRE(j["states"].size() == t.size() + 1);
        const std::set<std::string> vars(j["vars"].begin(), j["vars"].end());
        CHECK(vars.size() == j["vars"].size());
        for (std::size_t i = 0; i < j["states"].size(); ++i) {
            const auto& st = j["states"][i];
            REQUIRE(st.is_object());
            CHECK(st["#meta"]["index"] == i);
            std::set<std::string> keys;
            for (const auto& item : st.items())
                if (item.key() != "#meta") keys.insert(item.key());
            CHECK(keys == vars);
            CHECK(st["mbt::actionTaken"] == (i == 0 ? std::string("init") : std::string(op_name(t[i - 1].kind))));
            for (const auto& item : st.items())
                if (item.key() != "#meta") check_itf_value(item.value(), "states[" + std::to_string(i) + "]." + item.key());
        }
        check_itf_value(j["#meta"]["bounds"], "#meta.bounds");
    }
}

TEST_CASE("cowcheck check --save, show and replay: a recorded counterexample replays as recorded", "[itf][cli]") {
    const auto dir = scratch("save");
    auto r = run("check --inject fork_keeps_exclusive --quiet --save " + dir.string());
    REQUIRE(r.code == 1);
    const auto file = dir / "fork_keeps_exclusive.itf.json";
    REQUIRE(std::filesystem::exists(file));
    CHECK(std::filesystem::exists(dir / "fork_keeps_exclusive.txt"));
    CHECK(slurp(dir / "fork_keeps_exclusive.dot").find("color=red") != std::string::npos);
    CHECK(slurp(dir / "fork_keeps_exclusive.txt").find("3. mm0 fork -> mm1") != std::string::npos);
    // check --save minimizes further: bounds lowered, certified by explore.
    const auto saved = solver::parse_itf(slurp(file));
    CHECK(saved["#meta"]["minimal"].get<std::string>().rfind("certified (explore", 0) == 0);
    CHECK(saved["#meta"]["bounds"]["mms"].get<int>() == 2);

    // A second save refuses to overwrite; --force does.
    r = run("check --inject fork_keeps_exclusive --quiet --save " + dir.string());
    CHECK(r.code == 2);
    CHECK(lines(r.out) == 1);
    CHECK(r.out.rfind("cowcheck: error: --save:", 0) == 0);
    CHECK(run("check --inject fork_keeps_exclusive --quiet --force --save " + dir.string()).code == 1);

    r = run("replay " + file.string());
    CHECK(r.code == 0);
    CHECK(r.out.find("still violates anon_exclusive_mapped_once at step 3") != std::string::npos);
    CHECK(r.out.find("the fixed model passes, as recorded") != std::string::npos);

    r = run("show " + file.string() + " --dot " + (dir / "g.dot").string());
    CHECK(r.code == 0);
    CHECK(r.out.find("3. mm0 fork -> mm1") != std::string::npos);
    CHECK(r.out.find("broken after step 3: anon_exclusive_mapped_once") != std::string::npos);
    const std::string dot = slurp(dir / "g.dot");
    CHECK(dot.rfind("digraph", 0) == 0);
    CHECK(dot.find("folio0 [label=\"folio0") != std::string::npos);
    CHECK(dot.find("color=red") != std::string::npos);

    // explore --save certifies minimality in #meta.
    const auto edir = scratch("explore");
    r = run("explore --inject fork_keeps_exclusive --bounds small --depth 4 --quiet --save " + edir.string());
    REQUIRE(r.code == 1);
    const auto ej = solver::parse_itf(slurp(edir / "fork_keeps_exclusive.itf.json"));
    CHECK(ej["#meta"]["minimal"].get<std::string>().rfind("certified (explore", 0) == 0);
    CHECK(ej["#meta"]["bounds"]["preset"] == "small");
    CHECK(run("replay " + (edir / "fork_keeps_exclusive.itf.json").string() + " " + file.string()).code == 0);
}

TEST_CASE("cowcheck replay: exit 1 when a trace no longer replays as recorded, 2 when it does not match", "[itf][cli]") {
    const auto dir = scratch("replay");
    const config cfg = fork_keeps_exclusive();
    const auto [trace, violated] = mutant_trace(cfg);
    const int at = static_cast<int>(trace.size());

    // The same actions recorded on the model without the mutant, claiming the mutant's violation.
    config fixed = cfg;
    fixed.injected = 0;
    spit(dir / "fixed.itf.json", solver::itf_text(solver::to_itf<S>(fixed, "default", trace, violated, at)));
    auto r = run("replay " + (dir / "fixed.itf.json").string());
    CHECK(r.code == 1);
    CHECK(r.out.find("no longer violates anon_exclusive_mapped_once (recorded at step 3)") != std::string::npos);

    // One more step after the violation, claimed as the violating one.
    std::vector<action> longer = trace;
    longer.push_back({op::read, {.mm = 0, .cpu = 0, .start = 0}});
    REQUIRE(solver::replay<S>(cfg, longer, 0).valid);
    spit(dir / "later.itf.json", solver::itf_text(solver::to_itf<S>(cfg, "default", longer, violated, at + 1)));
    r = run("replay " + (dir / "later.itf.json").string());
    CHECK(r.code == 1);
    CHECK(r.out.find("violates anon_exclusive_mapped_once at a different step: 3, recorded 4") != std::string::npos);

    // A fixed-model expectation that no longer holds.
    auto j = solver::to_itf<S>(cfg, "default", trace, violated, at, {{"fixed_expect", {{"disabled_at", 2}}}});
    spit(dir / "expect.itf.json", solver::itf_text(j));
    r = run("replay --json " + (dir / "expect.itf.json").string());
    CHECK(r.code == 1);
    const auto verdict = nlohmann::json::parse(r.out);
    CHECK(verdict["result"] == "differs");
    CHECK(verdict["files"][0]["result"] == "fixed_model_differs");
    CHECK(verdict["files"][0]["fixed_outcome"] == "pass");

    // Dropping the mutant from #meta alone: the recorded states are the mutant's, so
    // the file no longer matches the model it names (exit 2, first differing leaf).
    j = solver::to_itf<S>(cfg, "default", trace, violated, at);
    j["#meta"]["mutants"] = itf_json::array();
    spit(dir / "nomutant.itf.json", solver::itf_text(j));
    r = run("replay " + (dir / "nomutant.itf.json").string());
    CHECK(r.code == 2);
    CHECK(lines(r.out) == 1);
    CHECK(r.out.find("nomutant.itf.json: states[3].folio[0].anon_exclusive: recorded true, but replaying the "
                     "actions gives false") != std::string::npos);

    // Several files: the worst verdict wins; unreadable files are named.
    r = run("replay " + (dir / "fixed.itf.json").string() + " " + (dir / "missing.itf.json").string());
    CHECK(r.code == 2);
    CHECK(r.out.find("missing.itf.json: no such file") != std::string::npos);
}

TEST_CASE("RapidCheck: a corrupted trace is a one-line input error for replay and show", "[itf][cli][property]") {
    const auto dir = scratch("corrupt");
    REQUIRE(run("check --inject fork_keeps_exclusive --quiet --save " + dir.string()).code == 1);
    REQUIRE(run("check --inject fork_keeps_exclusive --bounds small --quiet --save " + (dir / "small").string()).code == 1);
    const std::vector<std::string> sources = {slurp(dir / "fork_keeps_exclusive.itf.json"),
                                              slurp(dir / "small" / "fork_keeps_exclusive.itf.json")};
    // Provenance in #meta is optional and free-form: changing it keeps the trace valid.
    const std::set<std::string> optional = {"/#meta/format-description", "/#meta/cowcheck_version", "/#meta/engine",
                                            "/#meta/seed", "/#meta/run", "/#meta/depth", "/#meta/minimal",
                                            "/#meta/fixed_expect"};
    auto is_optional = [&](const std::string& ptr) {
        for (const auto& o : optional)
            if (ptr.rfind(o, 0) == 0) return true;
        return false;
    };
    auto escape = [](const std::string& key) {   // RFC 6901: '~' -> "~0", '/' -> "~1"
        std::string out;
        for (char c : key) out += c == '~' ? std::string("~0") : c == '/' ? std::string("~1") : std::string(1, c);
        return out;
    };
    // Every value of a trace, as JSON pointers (containers and leaves).
    auto pointers = [&](const itf_json& j) {
        std::vector<std::string> out;
        auto walk = [&](auto&& self, const itf_json& v, const std::string& at) -> void {
            if (!at.empty() && !is_optional(at)) out.push_back(at);
            if (v.is_array())
                for (std::size_t i = 0; i < v.size(); ++i) self(self, v[i], at + "/" + std::to_string(i));
            else if (v.is_object())
                for (const auto& item : v.items()) self(self, item.value(), at + "/" + escape(item.key()));
        };
        walk(walk, j, "");
        return out;
    };
    const auto file = dir / "mutated.itf.json";
    long cases = 0;

    rc::prop("replay and show reject the corrupted trace in one line", [&] {
        const std::string& base = *rc::gen::elementOf(sources);
        itf_json j = solver::parse_itf(base);
        std::string text, what;
        switch (*rc::gen::inRange(0, 5)) {
            case 0: {   // drop a field (or a sequence element)
                const auto all = pointers(j);
                const itf_json::json_pointer ptr(*rc::gen::elementOf(all));
                auto& parent = j[ptr.parent_pointer()];
                if (parent.is_array()) parent.erase(static_cast<std::size_t>(std::stoul(ptr.back())));
                else parent.erase(ptr.back());
                what = "drop " + ptr.to_string();
                break;
            }
            case 1: {   // duplicate a state
                auto& states = j["states"];
                const auto i = *rc::gen::inRange<std::size_t>(0, states.size());
                states.insert(states.begin() + static_cast<long>(i) + 1, states[i]);
                what = "duplicate state " + std::to_string(i);
                break;
            }
            case 2: {   // change a scalar value
                std::vector<std::string> leaves;
                for (const auto& p : pointers(j))
                    if (j[itf_json::json_pointer(p)].is_primitive()) leaves.push_back(p);
                const itf_json::json_pointer ptr(*rc::gen::elementOf(leaves));
                auto& v = j[ptr];
                if (v.is_boolean()) v = !v.get<bool>();
                else if (v.is_number()) v = v.get<long long>() + *rc::gen::inRange(1, 300);
                else v = v.get<std::string>() + *rc::gen::elementOf(std::vector<std::string>{"x", "_", " ", "0"});
                what = "change " + ptr.to_string() + " to " + v.dump();
                break;
            }
            case 3: {   // rename an action
                auto& states = j["states"];
                const auto i = *rc::gen::inRange<std::size_t>(0, states.size());
                std::vector<std::string> names = {"init", "frobnicate", "Fork", ""};
                for (const auto& o : ops()) names.push_back(o.name);
                std::erase(names, states[i]["mbt::actionTaken"].get<std::string>());
                states[i]["mbt::actionTaken"] = *rc::gen::elementOf(names);
                what = "rename the action of state " + std::to_string(i);
                break;
            }
            default:
                break;
        }
        text = solver::itf_text(j);
        if (what.empty()) {   // truncate the file text before its final '}'
            const auto cut = *rc::gen::inRange<std::size_t>(0, base.rfind('}'));
            text = base.substr(0, cut);
            what = "truncate at byte " + std::to_string(cut);
        }
        RC_LOG() << what << "\n";
        spit(file, text);
        ++cases;
        for (const char* cmd : {"replay ", "show "}) {
            const auto r = run(cmd + file.string());
            RC_LOG() << cmd << "-> exit " << r.code << ": " << r.out;
            RC_ASSERT(r.code == 2);
            RC_ASSERT(lines(r.out) == 1u);
            RC_ASSERT(r.out.rfind("cowcheck: error: " + file.string() + ": ", 0) == 0);
        }
    });
    INFO("cases: " << cases);
    CHECK(cases >= 100);
}

TEST_CASE("cowcheck show/replay: malformed files and arguments are one-line errors", "[itf][cli]") {
    const auto dir = scratch("malformed");
    const std::vector<std::pair<std::string, std::string>> files = {
        {"empty.json", ""},
        {"array.json", "[1, 2]"},
        {"newline.json", "{\"a\\nb\": 1}"},
        {"deep.json", std::string(100000, '[')},
        {"bigint.json", R"({"#meta": {"format": "ITF", "source": "cowcheck", "design": "anon_vma",
            "bounds": {"preset": "default", "mms": {"#bigint": "99999999999999999999999"}}}})"},
        {"preset.json", R"({"#meta": {"bounds": {"preset": "enormous"}}, "vars": [], "states": []})"},
    };
    for (const auto& [name, text] : files) {
        spit(dir / name, text);
        for (const char* cmd : {"replay ", "show "}) {
            INFO(cmd << name);
            const auto r = run(cmd + (dir / name).string());
            CHECK(r.code == 2);
            CHECK(lines(r.out) == 1);
            CHECK(r.out.rfind("cowcheck: error: " + (dir / name).string() + ": ", 0) == 0);
        }
    }
    CHECK(run("show").code == 2);
    CHECK(run("replay").code == 2);
    CHECK(run("show " + dir.string()).code == 2);
}

TEST_CASE("cowcheck shrink: a random run as found shrinks to the certified shortest trace, bounds lowered", "[itf][cli][shrink]") {
    const auto dir = scratch("shrink");
    // gup_cow_leak: the shortest trace is mmap, write, fork, pin (4 steps).
    auto r = run("check --inject gup_cow_leak --seed 3 --steps 300 --quiet --save " + dir.string() + " --save-as-found");
    REQUIRE(r.code == 1);
    const auto file = dir / "gup_cow_leak.itf.json";
    const auto found = solver::parse_itf(slurp(file));
    const std::size_t before = found["states"].size() - 1;
    REQUIRE(before > 20);   // really as found, not shrunk
    const auto out = scratch("shrunk");
    r = run("shrink " + file.string() + " --json");
    INFO(r.out);
    REQUIRE(r.code == 1);
    const auto j = nlohmann::json::parse(r.out);
    r = run("shrink " + file.string() + " --quiet --save " + out.string());
    REQUIRE(r.code == 1);
    CHECK(r.out.find("minimal: certified (explore") != std::string::npos);
    CHECK(j["engine"] == "shrink");
    CHECK(j["length_before"] == before);
    CHECK(j["length"] == 4);
    CHECK(j["minimal"].get<std::string>().rfind("certified (explore", 0) == 0);
    CHECK(j["bounds"]["mms"].get<int>() <= 2);           // lowered from the default preset's 4
    CHECK(j["bounds_before"]["mms"].get<int>() == 4);
    const auto saved = solver::parse_itf(slurp(out / "gup_cow_leak.itf.json"));
    CHECK(saved["states"].size() == 5);
    CHECK(saved["#meta"]["minimal"] == j["minimal"]);
    CHECK(run("replay " + (out / "gup_cow_leak.itf.json").string()).code == 0);
    // Without certification: 1-minimal, uncertified; never longer than the input.
    r = run("shrink " + file.string() + " --certify none --json --keep-bounds");
    REQUIRE(r.code == 1);
    const auto k = nlohmann::json::parse(r.out);
    CHECK(k["minimal"] == "uncertified");
    CHECK(k["length"].get<std::size_t>() <= before);
    CHECK(k["bounds"]["mms"] == 4);
    // Bad input: one line, exit 2.
    r = run("shrink " + (dir / "missing.itf.json").string());
    CHECK(r.code == 2);
    CHECK(r.out.find("missing.itf.json: no such file") != std::string::npos);
    r = run("shrink " + file.string() + " --certify bmc");
    CHECK(r.code == 2);
}

TEST_CASE("cowcheck bmc --from: from the state after a saved prefix", "[itf][cli][bmc]") {
    const std::string corpus = std::string(COWCHECK_SOURCE_DIR) + "/counterexamples/anon_vma/fork_keeps_exclusive.itf.json";
    // After mmap, write: one more step (fork) breaks it under the mutant...
    auto r = run("bmc --bounds small --inject fork_keeps_exclusive --from " + corpus + " --from-step 2 --depth 2 --json");
    INFO(r.out);
    REQUIRE(r.code == 1);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["from"]["steps"] == 2);
    CHECK(j["violation"]["length"] == 3);
    CHECK(j["violation"]["replayed"] == true);
    // ... and nothing breaks in two more steps on the fixed model.
    r = run("bmc --bounds small --from " + corpus + " --from-step 2 --depth 2 --json");
    REQUIRE(r.code == 0);
    CHECK(nlohmann::json::parse(r.out)["clean_depth"] == 2);
    // The whole trace already breaks it: said, exit 1.
    r = run("bmc --bounds small --inject fork_keeps_exclusive --from " + corpus + " --depth 1");
    CHECK(r.code == 1);
    CHECK(r.out.find("already past a violation") != std::string::npos);
    // Bad input.
    CHECK(run("bmc --bounds default --from " + corpus).code == 2);              // recorded at small
    CHECK(run("bmc --bounds small --from " + corpus + " --from-step 9").code == 2);
    CHECK(run("bmc --from-step 1").code == 2);
}

TEST_CASE("cowcheck explore --from: a shortest continuation from the state after a saved prefix",
          "[itf][cli][explore]") {
    namespace fs = std::filesystem;
    const std::string corpus = std::string(COWCHECK_SOURCE_DIR) + "/counterexamples/anon_vma/fork_keeps_exclusive.itf.json";
    const fs::path dir = fs::temp_directory_path() / "cowcheck-explore-from";
    fs::remove_all(dir);
    // After mmap, write: one more step (fork) breaks it under the mutant; the saved trace
    // is the prefix and that step, uncertified, with the prefix recorded.
    auto r = run("explore --bounds small --inject fork_keeps_exclusive --from " + corpus + " --from-step 2 --depth 3 --json");
    INFO(r.out);
    REQUIRE(r.code == 1);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["from"]["steps"] == 2);
    CHECK(j["violation"]["length"] == 3);
    CHECK(j["violation"]["prefix_steps"] == 2);
    CHECK(j["violation"]["trace"][2].get<std::string>().find("fork") != std::string::npos);
    r = run("explore --bounds small --inject fork_keeps_exclusive --from " + corpus + " --from-step 2 --depth 3 --save " +
            dir.string());
    REQUIRE(r.code == 1);
    std::ifstream in(dir / "fork_keeps_exclusive.itf.json");
    const auto saved = nlohmann::json::parse(in);
    CHECK(saved["#meta"]["minimal"] == "uncertified");
    CHECK(saved["#meta"]["from"]["steps"] == 2);
    CHECK(saved["#meta"]["from"]["file"] == "fork_keeps_exclusive.itf.json");
    CHECK(run("replay " + (dir / "fork_keeps_exclusive.itf.json").string()).code == 0);
    // The text names the prefix and counts depths from there.
    CHECK(r.out.find("VIOLATION: anon_exclusive_mapped_once at depth 1 after the 2-step prefix") != std::string::npos);
    // Nothing breaks in two more steps on the fixed model.
    r = run("explore --bounds small --from " + corpus + " --from-step 2 --depth 2 --json");
    REQUIRE(r.code == 0);
    CHECK(nlohmann::json::parse(r.out)["clean_depth"] == 2);
    // The whole trace already breaks it: said, exit 1.
    r = run("explore --bounds small --inject fork_keeps_exclusive --from " + corpus + " --depth 1");
    CHECK(r.code == 1);
    CHECK(r.out.find("already past a violation") != std::string::npos);
    // Bad input: one line, exit 2.
    CHECK(run("explore --bounds default --from " + corpus).code == 2);              // recorded at small
    CHECK(run("explore --bounds small --from " + corpus + " --from-step 9").code == 2);
    CHECK(run("explore --from-step 1").code == 2);
    CHECK(run("explore --bounds small --symmetry --from " + corpus).code == 2);
    CHECK(run("explore --bounds small --from " + (dir / "missing.itf.json").string()).code == 2);
    fs::remove_all(dir);
}

TEST_CASE("a COW context finding records its fixed model (every --cow-fix), and replay holds it to that",
          "[itf][cow_context]") {
    // Finding 1 as coded: the exclusive early stop misses the moved folio (3 steps at small).
    const auto dir = scratch("cow_finding");
    auto r = run("explore --design cow_context --bounds small --depth 4 --quiet --save '" + dir.string() + "'");
    REQUIRE(r.code == 1);
    const auto file = dir / "rmap_complete.itf.json";
    auto j = solver::parse_itf(slurp(file));
    CHECK(j["#meta"]["cow_fixes"].empty());
    CHECK(j["#meta"]["fixed_expect"] == "pass");   // with every --cow-fix the trace passes
    CHECK(slurp(dir / "rmap_complete.txt").find("fixed model (every --cow-fix): passes") != std::string::npos);
    r = run("replay '" + file.string() + "'");
    CHECK(r.code == 0);
    CHECK(r.out.find("the fixed model passes, as recorded") != std::string::npos);
    // A recorded expectation the fixed model does not meet fails the replay.
    j["#meta"]["fixed_expect"] = {{"violates", "rmap_complete"}, {"at", 3}};
    spit(file, solver::itf_text(j));
    r = run("replay '" + file.string() + "'");
    CHECK(r.code == 1);
    CHECK(r.out.find("but the fixed model now passes") != std::string::npos);
    // anon_vma without mutants, or the COW context with every fix, is its own fixed model:
    // nothing is recorded.
    CHECK_FALSE(solver::has_fixed_model(config{}));
    config all;
    all.rmap = design::cow_context;
    CHECK(solver::has_fixed_model(all));
    CHECK_FALSE(solver::has_fixed_model(solver::fixed_config(all)));
    CHECK(solver::fixed_model_label(all) == "fixed model (every --cow-fix)");
}
