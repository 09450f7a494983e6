// bench/bench.cpp — speed of the model and of `cowcheck check`, and the soak.
//
// Single core.  For each bounds preset:
//   model      accepted actions per second of the seeded explorer's loop with
//              every invariant checked after every step (the model's own rate);
//   model-noinv the same loop with no invariant checked (what the checks cost);
//   rapidcheck the RapidCheck-driven explorer on the same budget;
// then `cowcheck check` end to end (process start, parsing, output) at default,
// and with --soak N a seeded run of N steps on the fixed default model that
// must stay clean.  Results go to bench/results.json and bench/results.md.
//
// Usage: cowcheck_bench [--cowcheck PATH] [--steps N] [--soak N] [--out DIR]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/utsname.h>
#include <unistd.h>

#include "solver/rc_check.hpp"

using namespace model;
using nlohmann::json;

namespace {

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown";
}

std::string shell(const std::string& cmd) {
    std::string out;
    if (FILE* p = popen(cmd.c_str(), "r")) {
        char buf[4096];
        while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
        pclose(p);
    }
    return out;
}

template <class P> json bench_preset(long steps) {
    using S = state<concrete, P>;
    const auto cfg = config::defaults<P>();
    json j;
    j["preset"] = P::name;
    j["state_bytes"] = sizeof(S);
    auto measure = [&](const char* name, props::inv_set sel, bool rc) {
        solver::random_options o;
        o.seed = 1;
        o.max_steps = steps;
        o.selected = sel;
        const auto r = rc ? solver::rc_check<S>(cfg, o) : solver::random_check<S>(cfg, o);
        j[name] = {{"steps", r.steps}, {"runs", r.runs}, {"seconds", r.seconds},
                   {"steps_per_second", r.steps / r.seconds}, {"violations", r.violated >= 0 ? 1 : 0}};
        std::fprintf(stderr, "  %-8s %-12s %10ld steps %7.2f s %10.0f steps/s\n", P::name, name, r.steps, r.seconds,
                     r.steps / r.seconds);
    };
    measure("model", props::all_invariants, false);
    measure("model_noinv", 0, false);
    measure("rapidcheck", props::all_invariants, true);
    return j;
}

}  // namespace

int main(int argc, char** argv) {
    std::string cowcheck = "build/cowcheck", out_dir = "bench";
    long steps = 3'000'000, soak = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) { std::cerr << "cowcheck_bench: " << a << " needs a value\n"; std::exit(2); }
            return argv[++i];
        };
        if (a == "--cowcheck") cowcheck = next();
        else if (a == "--steps") steps = std::stol(next());
        else if (a == "--soak") soak = std::stol(next());
        else if (a == "--out") out_dir = next();
        else { std::cerr << "cowcheck_bench: unknown option " << a << "\n"; return 2; }
    }
    json res;
    utsname u{};
    uname(&u);
    res["machine"] = {{"cpu", cpu_model()}, {"cores", sysconf(_SC_NPROCESSORS_ONLN)}, {"kernel", u.release}};
    res["date"] = shell("date -u +%Y-%m-%dT%H:%M:%SZ");
    res["commit"] = shell("git rev-parse --short HEAD 2>/dev/null");
    for (auto* k : {"date", "commit"}) {
        auto s = res[k].get<std::string>();
        while (!s.empty() && s.back() == '\n') s.pop_back();
        res[k] = s;
    }
    std::fprintf(stderr, "model rate (single core, %ld steps per figure):\n", steps);
    res["presets"].push_back(bench_preset<preset_small>(steps));
    res["presets"].push_back(bench_preset<preset_default>(steps));
    res["presets"].push_back(bench_preset<preset_double>(steps));

    // `cowcheck check` end to end, default preset, default budget.
    {
        const auto t0 = std::chrono::steady_clock::now();
        const std::string o = shell(cowcheck + " check --seed 1 --json");
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        try {
            const auto j = json::parse(o);
            res["check_end_to_end"] = {{"command", "cowcheck check --seed 1"}, {"result", j["result"]},
                                       {"steps", j["steps"]}, {"wall_seconds", secs},
                                       {"steps_per_second", j["steps"].get<double>() / secs}};
            std::fprintf(stderr, "cowcheck check end to end: %ld steps in %.2f s wall = %.0f steps/s (%s)\n",
                         j["steps"].get<long>(), secs, j["steps"].get<double>() / secs,
                         j["result"].get<std::string>().c_str());
        } catch (const std::exception& e) {
            std::cerr << "cowcheck_bench: could not run " << cowcheck << ": " << e.what() << "\n";
            return 4;
        }
    }
    // A run without --soak keeps the last recorded soak (with the commit it ran on).
    if (soak == 0) {
        std::ifstream old(out_dir + "/results.json");
        if (old) {
            try {
                const auto j = json::parse(old);
                if (j.contains("soak")) {
                    res["soak"] = j["soak"];
                    if (!res["soak"].contains("commit")) res["soak"]["commit"] = j.value("commit", "");
                }
            } catch (const std::exception&) {
            }
        }
    }
    if (soak > 0) {
        using S = state<concrete, preset_default>;
        solver::random_options o;
        o.seed = 20261123;
        o.max_steps = soak;
        o.progress = [](long runs, long st, double s) {
            if (static_cast<long>(s) % 30 < 2) std::fprintf(stderr, "  soak %.0fs: %ld runs, %ld steps\n", s, runs, st);
        };
        const auto r = solver::random_check<S>(config::defaults<preset_default>(), o);
        res["soak"] = {{"preset", "default"}, {"seed", o.seed}, {"steps", r.steps}, {"runs", r.runs}, {"commit", res["commit"]},
                       {"seconds", r.seconds}, {"violations", r.violated >= 0 ? 1 : 0},
                       {"violated", r.violated >= 0 ? props::inv_name(static_cast<props::inv>(r.violated)) : ""}};
        std::fprintf(stderr, "soak: %ld steps in %.1f s, %s\n", r.steps, r.seconds, r.violated >= 0 ? "VIOLATION" : "clean");
    }

    std::ofstream(out_dir + "/results.json") << res.dump(2) << "\n";
    std::ofstream md(out_dir + "/results.md");
    md << "# cowcheck benchmark results\n\n"
       << "Written by `bench/run.sh` (`cowcheck_bench`); do not edit by hand.\n\n"
       << "- machine: " << res["machine"]["cpu"].get<std::string>() << ", " << res["machine"]["cores"] << " cores, kernel "
       << res["machine"]["kernel"].get<std::string>() << "\n- date: " << res["date"].get<std::string>()
       << ", commit " << res["commit"].get<std::string>() << "\n- single core; " << steps
       << " steps per figure; every invariant checked after every step unless noted\n\n"
       << "| preset | state bytes | model (steps/s) | model, no invariants | RapidCheck-driven |\n|---|---|---|---|---|\n";
    for (const auto& p : res["presets"])
        md << "| " << p["preset"].get<std::string>() << " | " << p["state_bytes"] << " | "
           << static_cast<long>(p["model"]["steps_per_second"].get<double>()) << " | "
           << static_cast<long>(p["model_noinv"]["steps_per_second"].get<double>()) << " | "
           << static_cast<long>(p["rapidcheck"]["steps_per_second"].get<double>()) << " |\n";
    const auto& e = res["check_end_to_end"];
    md << "\n`cowcheck check --seed 1` (default preset, default budget), end to end: " << e["steps"] << " steps in "
       << e["wall_seconds"].get<double>() << " s wall = " << static_cast<long>(e["steps_per_second"].get<double>())
       << " steps/s, result " << e["result"].get<std::string>() << ".\n";
    if (res.contains("soak")) {
        const auto& s = res["soak"];
        md << "\nSoak (fixed model, default preset, seed " << s["seed"] << ", commit " << s.value("commit", std::string("?"))
           << "): " << s["steps"] << " steps in "
           << s["runs"] << " runs, " << s["seconds"].get<double>() << " s, violations: " << s["violations"] << ".\n";
    }
    return 0;
}
