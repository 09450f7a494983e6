// cli/cmd_merge.cpp — `cowcheck merge FILE...`: combine the --json results of the
// shards of one run (check, explore, bmc or ci with --shard I/N) into one verdict.
//
// The files must be shards of the same run: same engine, design, bounds, mutants and
// limits (depth, budget, seed, ...), the same N, each index at most once.  Verdict:
// violation if any shard found one (the shortest counterexample over the shards is
// printed: for explore and bmc it is a shortest one, each shard's being shortest in its
// part); unknown if none did but a shard is unknown or some of the N shards are
// missing (named); clean only if all N shards are present and clean.  Exit codes as
// the engines: 0 clean, 1 violation, 2 input error (unreadable or non-JSON file,
// shards of different runs), 3 unknown.
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "common.hpp"

namespace cli {

namespace {

struct merge_options {
    std::vector<std::string> files;
    bool json = false;
};

nlohmann::json load_json(const std::string& file) {
    std::ifstream in(file);
    if (!in) throw usage_error(file + ": cannot open");
    try {
        auto j = nlohmann::json::parse(in);
        if (!j.is_object() || !j.contains("engine") || !j.contains("result"))
            throw usage_error(file + ": not a cowcheck --json result (no engine or result)");
        return j;
    } catch (const nlohmann::json::exception& e) {
        throw usage_error(file + ": not JSON (" + std::string(e.what()) + ")");
    }
}

/// The fields that must agree between shards of one run.
const char* const same_run_keys[] = {"engine", "design", "designs", "bounds", "mutants", "depth", "budget",
                                     "seed", "symmetry", "shard_depth", "checks_total", "inject", "only"};

double num(const nlohmann::json& j, const char* key) {
    return j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0.0;
}

int run_merge(const merge_options& o) {
    std::vector<nlohmann::json> shards;
    std::map<int, std::string> by_index;
    int n = -1;
    for (const auto& f : o.files) {
        auto j = load_json(f);
        const auto [i, total] = parse_shard(j.value("shard", std::string("0/1")));
        if (n < 0) n = total;
        if (total != n)
            throw usage_error(f + ": shard " + j.value("shard", std::string("0/1")) + " is not one of " +
                              std::to_string(n) + " shards like " + o.files[0]);
        if (by_index.count(i)) throw usage_error(f + ": shard " + std::to_string(i) + " also in " + by_index[i]);
        for (const char* k : same_run_keys)
            if (!shards.empty() && (j.contains(k) != shards[0].contains(k) || (j.contains(k) && j[k] != shards[0][k])))
                throw usage_error(f + ": not a shard of the same run as " + o.files[0] + " (" + k + " differs)");
        by_index[i] = f;
        j["file"] = f;
        shards.push_back(std::move(j));
    }
    std::vector<int> missing;
    for (int i = 0; i < n; ++i)
        if (!by_index.count(i)) missing.push_back(i);
    const std::string engine = shards[0]["engine"].get<std::string>();

    int violations = 0, unknown = 0;
    const nlohmann::json* shortest = nullptr;
    for (const auto& s : shards) {
        const std::string r = s["result"].get<std::string>();
        if (r == "violation") {
            ++violations;
            if (s.contains("violation") &&
                (!shortest || s["violation"].value("length", 1 << 30) < (*shortest)["violation"].value("length", 1 << 30)))
                shortest = &s;
        } else if (r != "clean") {
            ++unknown;
        }
    }
    const int code = violations ? exit_violation : (unknown || !missing.empty()) ? exit_unknown : exit_clean;
    const char* verdict = code == exit_violation ? "violation" : code == exit_unknown ? "unknown" : "clean";

    nlohmann::json m;
    for (const char* k : same_run_keys)
        if (shards[0].contains(k)) m[k] = shards[0][k];
    m["result"] = verdict;
    m["shards"] = n;
    m["shards_present"] = shards.size();
    m["missing_shards"] = missing;
    for (const auto& s : shards)
        m["files"].push_back({{"file", s["file"]}, {"shard", s.value("shard", std::string("0/1"))}, {"result", s["result"]}});
    // Work adds up over the shards; wall time is the slowest shard's when they run side by side.
    double secs_max = 0, secs_sum = 0;
    for (const auto& s : shards) {
        secs_max = std::max(secs_max, num(s, "seconds"));
        secs_sum += num(s, "seconds");
    }
    m["seconds_max"] = secs_max;
    m["seconds_total"] = secs_sum;
    for (const char* k : {"states", "steps", "runs", "passed", "failed", "unknown", "skipped"}) {
        bool any = false;
        double total = 0;
        for (const auto& s : shards)
            if (s.contains(k) && s[k].is_number()) {
                any = true;
                total += s[k].get<double>();
            }
        if (any) m[k] = static_cast<long>(total);
    }
    if (engine == "explore" || engine == "bmc") {
        // A shard's clean depth speaks for its part; the run is clean to the least of them.
        int clean = 1 << 30;
        for (const auto& s : shards) {
            const int d = s.value("exhausted", false) && s["result"] == "clean" ? s.value("depth", 0)
                                                                                 : s.value("clean_depth", -1);
            clean = std::min(clean, d);
        }
        m["clean_depth"] = missing.empty() ? clean : -1;
    }
    if (engine == "ci") {
        m["checks"] = nlohmann::json::array();
        for (const auto& s : shards)
            for (const auto& c : s.value("checks", nlohmann::json::array())) m["checks"].push_back(c);
    }
    if (shortest) {
        m["violation"] = (*shortest)["violation"];
        m["violation"]["shard"] = (*shortest).value("shard", std::string("0/1"));
        m["violation"]["file"] = (*shortest)["file"];
    }
    if (o.json) {
        std::cout << m.dump(2) << "\n";
        return code;
    }
    std::cout << "cowcheck merge: " << engine << ", " << shards.size() << " of " << n << " shards";
    if (shards[0].contains("design")) std::cout << ", design " << shards[0]["design"].get<std::string>();
    if (shards[0].contains("bounds")) std::cout << ", bounds " << shards[0]["bounds"].value("preset", std::string("?"));
    if (shards[0].contains("depth")) std::cout << ", depth " << shards[0]["depth"];
    std::cout << "\n";
    for (const auto& s : shards)
        std::cout << "  shard " << s.value("shard", std::string("0/1")) << ": " << s["result"].get<std::string>() << " ("
                  << s["file"].get<std::string>() << ")\n";
    if (!missing.empty()) {
        std::cout << "  missing shards:";
        for (int i : missing) std::cout << " " << i << "/" << n;
        std::cout << "\n";
    }
    if (m.contains("states")) std::cout << "  states " << m["states"] << " (summed over the shards)\n";
    if (m.contains("steps")) std::cout << "  steps " << m["steps"] << ", runs " << m.value("runs", 0L) << "\n";
    if (engine == "ci")
        std::cout << "  checks: " << m.value("passed", 0L) << " passed, " << m.value("failed", 0L) << " failed, "
                  << m.value("unknown", 0L) << " unknown, " << m.value("skipped", 0L) << " skipped\n";
    for (const auto& c : m.value("checks", nlohmann::json::array()))
        if (c.value("status", std::string()) == "failed" || c.value("status", std::string()) == "unknown")
            std::cout << "  " << c.value("status", std::string()) << " " << c.value("name", std::string()) << ": "
                      << c.value("message", std::string()) << "\n";
    std::cout << "  wall " << secs_max << " s (slowest shard), " << secs_sum << " s summed\n";
    if (shortest) {
        const auto& v = m["violation"];
        std::cout << "\nVIOLATION: " << v.value("invariant", std::string("?")) << ", " << v.value("length", 0)
                  << " steps (the shortest over the shards; shard " << v["shard"].get<std::string>() << ")\n";
        int k = 0;
        for (const auto& x : v.value("trace", nlohmann::json::array()))
            std::cout << "  " << ++k << ". " << x.get<std::string>() << "\n";
    }
    std::cout << verdict;
    if (code == exit_unknown && !missing.empty()) {
        std::cout << ": shards missing:";
        for (int i : missing) std::cout << " " << i << "/" << n;
    } else if (code == exit_unknown) {
        std::cout << ": some shard did not finish clean";
    } else if (code == exit_clean && m.contains("clean_depth")) {
        std::cout << " to depth " << m["clean_depth"] << " (every shard's part)";
    }
    std::cout << "\n";
    return code;
}

}  // namespace

void add_merge(CLI::App& app, int& code) {
    auto o = std::make_shared<merge_options>();
    auto* cmd = app.add_subcommand(
        "merge",
        "combine the --json results of the shards of one run (check, explore, bmc or ci with --shard I/N) into "
        "one verdict: violation if any shard found one (the shortest counterexample is printed), unknown if a "
        "shard is unknown or missing (named), clean only if all N shards are present and clean; one summary.");
    cmd->add_option("files", o->files, "the shards' --json outputs")->required();
    cmd->add_flag("--json", o->json, "print the merged result as one JSON object");
    cmd->callback([o, &code] { code = run_merge(*o); });
}

}  // namespace cli
