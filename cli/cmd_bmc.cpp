// cli/cmd_bmc.cpp — `cowcheck bmc`: bounded model checking with Z3 on the same model code.
#include <cstdio>
#include <iostream>

#include "common.hpp"
#include "solver/bmc.hpp"
#include "solver/narrative.hpp"
#include "trace_files.hpp"

namespace cli {

namespace {

struct bmc_cli {
    model_options model;
    int depth = 3;
    double timeout = 60;
    bool json = false;
    std::string from;        // --from FILE: start from the state after (a prefix of) its trace
    int from_step = -1;      // --from-step K: only the first K steps (-1: all)
    std::string save;
    bool force = false;
    std::string shard = "0/1";   // --shard I/N: the invariants whose index % N == I
};

template <class P> int run_bmc(const bmc_cli& o) {
    using S = model::state<model::concrete, P>;
    const model::config cfg = o.model.config<P>();
    if (cfg.phased)
        throw usage_error("--phased is for the concrete engines (check, explore, refine); bmc does not model phases" +
                          o.model.phased_source());
    if (o.depth < 0 || o.depth > 32) throw usage_error("--depth must be between 0 and 32");
    if (o.timeout <= 0) throw usage_error("--timeout must be positive");
    const std::vector<model::action> prefix = from_prefix<S>(o.from, o.from_step, cfg);
    if (const auto past = prefix_violation<S>(cfg, prefix, o.model.selected(), o.from); !past.empty()) {
        std::cout << past << "\n";
        return exit_violation;
    }
    // --shard I/N: this shard checks the selected invariants whose index % N == I; the
    // shortest violation over the shards is a shortest one, and all N shards clean
    // means every selected invariant holds to --depth.
    const auto [shard, shards] = parse_shard(o.shard);
    props::inv_set selected = o.model.selected();
    for (int i = 0; i < static_cast<int>(props::inv_count); ++i)
        if (i % shards != shard) selected &= ~(props::inv_set(1) << i);
    const auto r = solver::bmc<P>(cfg, o.depth, selected, static_cast<unsigned>(o.timeout * 1000), {}, prefix);
    if (r.status == solver::bmc_status::violation && r.replay_agrees && !o.save.empty()) {
        solver::itf_json extra = {{"engine", "bmc"}, {"depth", r.depth}};
        extra["minimal"] = prefix.empty() ? "certified (bmc, bounds " + bounds_text(P::name, cfg) + ")"
                                          : std::string("uncertified");
        save_counterexample<S>(o.save, o.force, cfg, r.trace, r.violated, extra);
    }
    const bool internal = r.status == solver::bmc_status::violation && !r.replay_agrees;
    const int code = internal ? exit_internal
                     : r.status == solver::bmc_status::violation ? exit_violation
                     : r.status == solver::bmc_status::clean ? exit_clean
                                                              : exit_unknown;
    const std::string note = r.status != solver::bmc_status::violation ? blind_spot(cfg) : "";
    if (o.json) {
        nlohmann::json j = summary_head<P>("bmc", cfg);
        if (!note.empty()) j["note"] = note;
        j["depth"] = o.depth;
        j["shard"] = o.shard;
        for (const auto& i : props::invariants())
            if (selected >> static_cast<int>(i.id) & 1) j["invariants"].push_back(i.name);
        if (!prefix.empty()) j["from"] = {{"file", o.from}, {"steps", prefix.size()}};
        j["result"] = internal ? "internal_error" : solver::bmc_status_name(r.status);
        j["clean_depth"] = r.clean_depth;
        j["seconds"] = r.seconds;
        j["actions"] = r.actions;
        if (!r.reason.empty()) j["reason"] = r.reason;
        for (const auto& d : r.depths)
            j["depths"].push_back({{"depth", d.depth}, {"result", solver::bmc_status_name(d.status)},
                                   {"build_seconds", d.build_seconds}, {"solve_seconds", d.solve_seconds},
                                   {"assertions", d.assertions}, {"step_terms", d.step_nodes}});
        if (r.status == solver::bmc_status::violation) {
            j["violation"]["invariant"] = props::inv_name(static_cast<props::inv>(r.violated));
            j["violation"]["length"] = r.trace.size();
            j["violation"]["replayed"] = r.replay_agrees;
            for (const auto& x : r.trace) j["violation"]["trace"].push_back(model::describe(x));
        }
        std::cout << j.dump(2) << "\n";
        return code;
    }
    std::cout << "cowcheck bmc: design " << o.model.design << ", bounds " << bounds_text(P::name, cfg) << ", "
              << r.actions << " actions per step, depth " << o.depth;
    for (const auto& m : cfg.mutant_names()) std::cout << ", mutant " << m;
    if (!prefix.empty()) std::cout << ", from the state after " << prefix.size() << " steps of " << o.from;
    std::cout << "\n";
    for (const auto& d : r.depths)
        std::printf("  depth %2d: %-9s build %7.2f s  solve %7.2f s  %zu assertions, %zu step terms\n", d.depth,
                    solver::bmc_status_name(d.status), d.build_seconds, d.solve_seconds, d.assertions, d.step_nodes);
    std::fflush(stdout);
    if (internal) {
        std::cerr << "cowcheck: internal error: the solver's trace does not replay on the concrete model "
                     "(replay: "
                  << (r.replay.valid ? "valid" : "a step was not enabled") << ", violated "
                  << r.replay.violated << " at " << r.replay.violated_at << "); the solver's trace, for a bug report:\n";
        for (std::size_t i = 0; i < r.trace.size(); ++i)
            std::cerr << "  " << i + 1 << ". " << model::describe(r.trace[i]) << "\n";
        return code;
    }
    if (r.status == solver::bmc_status::violation) {
        std::cout << "\nVIOLATION: " << props::inv_name(static_cast<props::inv>(r.violated)) << " at depth " << r.depth
                  << (prefix.empty() ? " (no shorter trace exists at these bounds; replayed on the concrete model)\n\n"
                                     : " after the prefix (no shorter continuation exists; replayed on the concrete model)\n\n")
                  << solver::narrative<S>(cfg, r.trace, r.violated) << "\n";
    } else if (r.status == solver::bmc_status::clean) {
        std::cout << "clean to depth " << o.depth << (prefix.empty() ? "" : " after the prefix") << " at these bounds ("
                  << r.seconds << " s)\n";
    } else {
        std::cout << "unknown: clean to depth " << r.clean_depth << " < " << o.depth << ", stopped: " << r.reason
                  << " (" << r.seconds << " s)\n";
    }
    if (!note.empty()) std::cout << "note: " << note << "\n";
    return code;
}

}  // namespace

void add_bmc(CLI::App& app, int& code) {
    auto o = std::make_shared<bmc_cli>();
    auto* cmd = app.add_subcommand(
        "bmc",
        "bounded model checking: the same model code run on Z3 bit-vectors, unrolled over every action, "
        "iterative deepening 0..--depth; a violation is a shortest trace and is replayed on the concrete "
        "model before it is printed (a trace that does not replay is an internal error, exit 4). A solver "
        "timeout or 'unknown' is exit 3, never clean.");
    o->model.add_to(*cmd);
    cmd->add_option("--depth", o->depth, "deepest unrolling")->capture_default_str();
    cmd->add_option("--timeout", o->timeout, "seconds for the whole run")->capture_default_str();
    cmd->add_flag("--json", o->json, "print the summary as one JSON object");
    cmd->add_option("--from", o->from,
                    "start from the state after the trace in FILE (ITF, same --bounds; it must replay on this "
                    "model): 'from here, can --depth more steps break it?'");
    cmd->add_option("--from-step", o->from_step, "with --from: only the first K steps of the trace");
    cmd->add_option("--save", o->save, "on a violation, write DIR/<mutant-or-invariant>.itf.json, .txt and .dot");
    cmd->add_flag("--force", o->force, "let --save overwrite existing files");
    cmd->add_option("--shard", o->shard,
                    "I/N: check only the invariants whose index % N == I (see `cowcheck list`); combine the N "
                    "shards' --json results with `cowcheck merge`")
        ->capture_default_str();
    // The solver is instantiated for the small and default presets only (double is far
    // beyond BMC's reach, and each instantiation costs minutes of compile time).
    cmd->callback([o, &code] {
        if (o->model.bounds == "small") code = run_bmc<model::preset_small>(*o);
        else if (o->model.bounds == "default") code = run_bmc<model::preset_default>(*o);
        else if (o->model.bounds == "double") throw usage_error("bmc supports --bounds small and default (double is out of its reach)");
        else throw usage_error("unknown bounds preset '" + o->model.bounds + "' (known: small, default, double)");
    });
}

}  // namespace cli
