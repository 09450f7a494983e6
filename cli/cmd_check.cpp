// cli/cmd_check.cpp — `cowcheck check`: the random explorer.
#include <cstdio>
#include <iostream>
#include <unistd.h>

#include "common.hpp"
#include "solver/narrative.hpp"
#include "solver/rc_check.hpp"
#include "minimize.hpp"
#include "trace_files.hpp"

namespace cli {

namespace {

struct check_options {
    model_options model;
    std::uint64_t seed = 1;
    long runs = -1;
    int steps = 250;
    long budget = 2'000'000;
    double seconds = 0;
    std::string engine = "seeded";
    std::string shard = "0/1";
    bool json = false;
    bool quiet = false;
    std::string save;   // --save DIR: write the counterexample there
    bool force = false;
    bool as_found = false;   // --save-as-found: save the trace before shrinking
    bool swarm = false;      // --swarm (the default for --engine seeded, so only a check of the flags)
    bool no_swarm = false;   // --no-swarm: every run draws from every operation
};

template <class P> int run_check(const check_options& o) {
    using S = model::state<model::concrete, P>;
    const model::config cfg = o.model.config<P>();
    solver::random_options ro;
    ro.seed = o.seed;
    ro.steps = o.steps;
    ro.max_steps = o.budget;
    ro.max_runs = o.runs;
    ro.seconds = o.seconds;
    ro.selected = o.model.selected();
    ro.swarm = o.engine == "seeded" && !o.no_swarm;
    std::tie(ro.shard, ro.shards) = parse_shard(o.shard);
    if (o.steps < 1 || o.steps > 100000) throw usage_error("--steps must be between 1 and 100000");
    if (o.engine != "seeded" && o.engine != "rapidcheck")
        throw usage_error("--engine '" + o.engine + "' is not one of: seeded, rapidcheck");
    if (o.swarm && o.no_swarm) throw usage_error("--swarm and --no-swarm contradict each other");
    if (o.swarm && o.engine != "seeded") throw usage_error("--swarm needs --engine seeded (RapidCheck draws its own runs)");
    const bool show_progress = !o.quiet && !o.json;
    if (show_progress)
        ro.progress = [](long runs, long steps, double secs) {
            std::fprintf(stderr, "  ... %.0fs: %ld runs, %ld steps (%.0f steps/s)\n", secs, runs, steps, steps / secs);
        };
    const auto r = o.engine == "seeded" ? solver::random_check<S>(cfg, ro) : solver::rc_check<S>(cfg, ro);

    if (o.as_found && o.save.empty()) throw usage_error("--save-as-found needs --save DIR");
    if (r.violated >= 0 && !o.save.empty()) {
        const solver::itf_json extra = {{"engine", "check/" + o.engine}, {"seed", o.seed}, {"run", r.violating_run}};
        if (o.as_found) {
            std::vector<model::action> t = r.trace;
            if (auto at = solver::breaks<S>(cfg, t, r.violated)) t.resize(*at);
            solver::itf_json e = extra;
            e["minimal"] = "uncertified";
            save_counterexample<S>(o.save, o.force, cfg, t, r.violated, e);
        } else {
            // The saved trace is minimized further: bounds lowered, certified by explore
            // where it reaches within 20 s (cli/minimize.hpp).
            minimize_options mo;
            mo.certify_seconds = 20;
            mo.certify_memory_mb = 2048;
            const minimized m = minimize<S>(cfg, r.shrunk, r.violated, mo);
            solver::itf_json e = extra;
            e["minimal"] = m.minimal;
            save_counterexample<S>(o.save, o.force, m.cfg, m.trace, r.violated, e);
            if (!o.json && !o.quiet)
                std::cerr << "  saved trace: " << m.trace.size() << " steps at bounds " << bounds_text(P::name, m.cfg)
                          << "; minimal: " << m.minimal << "\n";
        }
    }
    const char* verdict = r.violated >= 0 ? "violation" : r.time_limited ? "unknown" : "clean";
    const int code = r.violated >= 0 ? exit_violation : r.time_limited ? exit_unknown : exit_clean;
    const std::string note = r.violated < 0 ? blind_spot(cfg) : "";
    if (o.json) {
        nlohmann::json j = summary_head<P>("check/" + o.engine, cfg);
        if (!note.empty()) j["note"] = note;
        j["seed"] = o.seed;
        j["shard"] = o.shard;
        j["swarm"] = ro.swarm;
        j["budget"] = {{"steps", o.budget}, {"runs", o.runs}, {"steps_per_run", o.steps}, {"seconds", o.seconds}};
        j["result"] = verdict;
        j["runs"] = r.runs;
        j["steps"] = r.steps;
        j["seconds"] = r.seconds;
        j["steps_per_second"] = r.seconds > 0 ? r.steps / r.seconds : 0;
        for (int k = 0; k < model::op_count; ++k)
            j["actions"][model::op_name(static_cast<model::op>(k))] = {
                {"tried", r.ops[k].tried}, {"enabled", r.ops[k].enabled},
                {"out_of_bounds", r.ops[k].out_of_bounds}, {"taken", r.ops[k].taken}};
        if (r.violated >= 0) {
            j["violation"]["invariant"] = props::inv_name(static_cast<props::inv>(r.violated));
            j["violation"]["run"] = r.violating_run;
            j["violation"]["found_length"] = r.trace.size();
            j["violation"]["length"] = r.shrunk.size();
            for (const auto& x : r.shrunk) j["violation"]["trace"].push_back(model::describe(x));
        }
        std::cout << j.dump(2) << "\n";
        return code;
    }
    std::cout << "cowcheck check: design " << o.model.design << ", bounds " << bounds_text(P::name, cfg)
              << ", engine " << o.engine << (ro.swarm ? " (swarm)" : "") << ", seed " << o.seed;
    if (cfg.injected) {
        std::cout << ", mutants:";
        for (const auto& m : cfg.mutant_names()) std::cout << " " << m;
    }
    std::cout << "\n";
    if (r.violated >= 0) {
        std::cout << "\nVIOLATION: " << props::inv_name(static_cast<props::inv>(r.violated)) << " (run " << r.violating_run
                  << ", found after " << r.trace.size() << " steps, shrunk to " << r.shrunk.size() << ")\n\n"
                  << solver::narrative<S>(cfg, r.shrunk, r.violated) << "\n";
    }
    std::cout << verdict << ": " << r.runs << " runs, " << r.steps << " steps in " << r.seconds << " s ("
              << static_cast<long>(r.seconds > 0 ? r.steps / r.seconds : 0) << " steps/s)";
    if (r.time_limited) std::cout << "; stopped by --seconds before the budget of " << o.budget << " steps";
    std::cout << "\n";
    if (!note.empty()) std::cout << "note: " << note << "\n";
    if (!o.quiet) {
        std::cout << "\n  action             tried    enabled  out-of-bounds      taken\n";
        // Only the operations this configuration has (another design's, or a --phased
        // operation's second half, would read as "never taken").
        std::array<bool, model::op_count> listed{};
        for (const auto& x : model::actions(cfg)) listed[static_cast<int>(x.kind)] = true;
        for (int k = 0; k < model::op_count; ++k) {
            const auto& st = r.ops[k];
            if (!listed[k]) continue;
            std::printf("  %-16s %9ld  %9ld  %13ld  %9ld%s\n", model::op_name(static_cast<model::op>(k)), st.tried,
                        st.enabled, st.out_of_bounds, st.taken,
                        st.taken != 0 ? ""
                        : static_cast<model::op>(k) == model::op::tlb_flush_pending ? "   (owed only by a mutant)"
                                                                                     : "   <- never taken");
        }
        std::fflush(stdout);
    }
    return code;
}

}  // namespace

void add_check(CLI::App& app, int& code) {
    auto o = std::make_shared<check_options>();
    auto* cmd = app.add_subcommand(
        "check",
        "random walks from the initial state over every enabled action, all selected invariants checked after "
        "every step; a violation is shrunk and printed as a numbered trace (exit 1). Budget: --budget steps "
        "(default 2,000,000) in runs of --steps actions.");
    o->model.add_to(*cmd);
    cmd->add_option("--seed", o->seed, "random seed; runs are reproducible from (seed, run)")->capture_default_str();
    cmd->add_option("--runs", o->runs, "stop after this many runs (default: the step budget decides)");
    cmd->add_option("--steps", o->steps, "actions per run")->capture_default_str();
    cmd->add_option("--budget", o->budget, "total steps to take")->capture_default_str();
    cmd->add_option("--seconds", o->seconds, "time limit; reaching it before the budget gives exit 3 (unknown)");
    cmd->add_option("--engine", o->engine, "seeded (fast generator) or rapidcheck (RapidCheck-generated runs)")
        ->capture_default_str();
    cmd->add_option("--shard", o->shard, "I/N: take runs I, I+N, I+2N, ... (disjoint seed streams)")->capture_default_str();
    cmd->add_flag("--swarm", o->swarm,
                  "swarm testing, the default with --engine seeded: each run draws from its own random half of the "
                  "operations (the same rule for every mutant; a phased operation's later parts go with its first), "
                  "which finds bugs that other operations keep undoing (anon_vma_degree_reuse: 5 of 5 seeds at "
                  "default, 0 of 5 without)");
    cmd->add_flag("--no-swarm", o->no_swarm, "every run draws from every operation (the distribution before swarm)");
    cmd->add_flag("--json", o->json, "print the summary as one JSON object");
    cmd->add_flag("--quiet", o->quiet, "no progress and no per-action table");
    cmd->add_option("--save", o->save, "on a violation, write DIR/<mutant-or-invariant>.itf.json, .txt and .dot");
    cmd->add_flag("--force", o->force, "let --save overwrite existing files");
    cmd->add_flag("--save-as-found", o->as_found,
                  "with --save: write the violating run as found, before shrinking (input for `cowcheck shrink`)");
    cmd->callback([o, &code] { code = o->model.dispatch([&]<class P>() { return run_check<P>(*o); }); });
}

}  // namespace cli
