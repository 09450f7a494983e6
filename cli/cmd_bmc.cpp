// cli/cmd_bmc.cpp — `cowcheck bmc`: bounded model checking with Z3 on the same model code.
#include <cstdio>
#include <iostream>

#include "common.hpp"
#include "solver/bmc.hpp"
#include "solver/narrative.hpp"

namespace cli {

namespace {

struct bmc_cli {
    model_options model;
    int depth = 3;
    double timeout = 60;
    bool json = false;
};

template <class P> int run_bmc(const bmc_cli& o) {
    using S = model::state<model::concrete, P>;
    const model::config cfg = o.model.config<P>();
    if (o.depth < 0 || o.depth > 32) throw usage_error("--depth must be between 0 and 32");
    if (o.timeout <= 0) throw usage_error("--timeout must be positive");
    const auto r = solver::bmc<P>(cfg, o.depth, o.model.selected(), static_cast<unsigned>(o.timeout * 1000));
    const bool internal = r.status == solver::bmc_status::violation && !r.replay_agrees;
    const int code = internal ? exit_internal
                     : r.status == solver::bmc_status::violation ? exit_violation
                     : r.status == solver::bmc_status::clean ? exit_clean
                                                              : exit_unknown;
    if (o.json) {
        nlohmann::json j = summary_head<P>("bmc", cfg);
        j["depth"] = o.depth;
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
    std::cout << "\n";
    for (const auto& d : r.depths)
        std::printf("  depth %2d: %-9s build %7.2f s  solve %7.2f s  %zu assertions, %zu step terms\n", d.depth,
                    solver::bmc_status_name(d.status), d.build_seconds, d.solve_seconds, d.assertions, d.step_nodes);
    std::fflush(stdout);
    if (internal) {
        std::cerr << "cowcheck: internal error: the solver's trace does not replay on the concrete model "
                     "(replay: "
                  << (r.replay.valid ? "valid" : "a step was not enabled") << ", violated "
                  << r.replay.violated << " at " << r.replay.violated_at << ")\n";
        return code;
    }
    if (r.status == solver::bmc_status::violation) {
        std::cout << "\nVIOLATION: " << props::inv_name(static_cast<props::inv>(r.violated)) << " at depth " << r.depth
                  << " (no shorter trace exists at these bounds; replayed on the concrete model)\n\n"
                  << solver::narrative<S>(cfg, r.trace, r.violated) << "\n";
    } else if (r.status == solver::bmc_status::clean) {
        std::cout << "clean to depth " << o.depth << " at these bounds (" << r.seconds << " s)\n";
    } else {
        std::cout << "unknown: clean to depth " << r.clean_depth << " < " << o.depth << ", stopped: " << r.reason
                  << " (" << r.seconds << " s)\n";
    }
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
