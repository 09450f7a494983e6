// cli/cmd_prove.cpp — `cowcheck prove`: k-induction with Z3 on the same model code.
#include <cstdio>
#include <iostream>

#include "common.hpp"
#include "solver/narrative.hpp"
#include "solver/prove.hpp"

namespace cli {

namespace {

struct prove_cli {
    model_options model;
    int k = 1;
    double timeout = 300;
    bool json = false;
    bool quiet = false;
    bool each = false;
    bool joint = false;
    int threads = 2;
    bool threads_given = false;   // --threads on the command line (the joint form has one solver)
    std::vector<std::string> exclude;
};

template <class P> int run_prove(const prove_cli& o) {
    using S = model::state<model::concrete, P>;
    const model::config cfg = o.model.config<P>();
    if (cfg.phased)
        throw usage_error("--phased is for the concrete engines (check, explore, refine); prove does not model phases" +
                          o.model.phased_source());
    if (o.k < 1 || o.k > 8) throw usage_error("--k must be between 1 and 8");
    if (o.timeout <= 0) throw usage_error("--timeout must be positive");
    if (o.threads < 1 || o.threads > 64) throw usage_error("--threads must be between 1 and 64");
    if (o.threads_given && o.threads > 1 && (o.k > 1 || o.joint))
        throw usage_error("--threads is for k = 1's per-action queries; --k > 1 and --joint ask one solver");
    props::inv_set sel = o.model.selected();
    props::inv_set excluded = 0;
    for (const auto& name : o.exclude) {
        const props::inv_set bit = cli::model_options::selection_of(name);
        if ((bit & sel) && !o.model.invariants.empty())
            throw usage_error("--exclude " + name + " names an invariant --invariant selects");
        excluded |= bit;
    }
    const props::inv_set assumable = props::all_invariants & ~excluded;
    sel &= assumable;
    if (!sel) throw usage_error("--exclude leaves no invariant to prove");
    const auto r = solver::prove<P>(cfg, o.k, sel, static_cast<unsigned>(o.timeout * 1000),
                                    {.each = o.each,
                                     .joint = o.joint,
                                     .assumable = assumable,
                                     .progress = o.json ? nullptr : &std::cerr,
                                     .threads = static_cast<unsigned>(o.threads)});

    int proved = 0, violations = 0, ctis = 0, unknown = 0;
    for (const auto& row : r.rows) {
        if (!(sel >> row.invariant & 1)) continue;
        switch (row.status) {
            case solver::prove_status::proved: ++proved; break;
            case solver::prove_status::violation: ++violations; break;
            case solver::prove_status::cti: ++ctis; break;
            case solver::prove_status::unknown: ++unknown; break;
        }
    }
    const char* result = r.internal_error ? "internal_error"
                         : violations     ? "violation"
                         : ctis           ? "cti"
                         : unknown        ? "unknown"
                                          : "proved";
    const int code = r.internal_error ? exit_internal
                     : violations     ? exit_violation
                     : (ctis || unknown) ? exit_unknown
                                         : exit_clean;
    const std::string note = violations ? "" : blind_spot(cfg);
    if (o.json) {
        nlohmann::json j = summary_head<P>("prove", cfg);
        if (!note.empty()) j["note"] = note;
        j["k"] = o.k;
        j["depth"] = o.k;
        j["result"] = result;
        j["seconds"] = r.seconds;
        j["cpu_seconds"] = r.cpu_seconds;
        j["base_seconds"] = r.base_seconds;
        j["build_seconds"] = r.build_seconds;
        j["solve_seconds"] = r.solve_seconds;
        j["actions"] = r.actions;
        j["step_terms"] = r.step_terms;
        j["leaves"] = r.leaves();
        j["frame_leaves"] = r.frame_leaves();
        j["rounds"] = r.round_seconds;
        j["round_queries"] = r.round_queries;
        j["excluded"] = nlohmann::json::array();
        for (const auto& i : props::invariants())
            if (excluded >> static_cast<int>(i.id) & 1) j["excluded"].push_back(i.name);
        j["step_form"] = o.k == 1 && !o.joint ? "per_action" : "joint";
        j["threads"] = o.threads;
        j["counts"] = {{"proved", proved}, {"violation", violations}, {"cti", ctis}, {"unknown", unknown}};
        if (!r.reason.empty()) j["reason"] = r.reason;
        for (const auto& row : r.rows) {
            nlohmann::json x = {{"name", props::inv_name(static_cast<props::inv>(row.invariant))},
                                {"selected", (sel >> row.invariant & 1) != 0},
                                {"result", solver::prove_status_name(row.status)}};
            if (row.seconds >= 0) x["seconds"] = row.seconds;
            if (row.status == solver::prove_status::cti) {
                x["round"] = row.round;
                const auto& c = r.ctis[row.cti];
                for (const auto& a : c.steps) x["cti_steps"].push_back(model::describe(a));
            }
            j["invariants"].push_back(x);
        }
        if (r.violation.violated >= 0) {
            j["violation"]["invariant"] = props::inv_name(static_cast<props::inv>(r.violation.violated));
            j["violation"]["length"] = r.violation.trace.size();
            j["violation"]["replayed"] = r.violation.replay_agrees;
            for (const auto& x : r.violation.trace) j["violation"]["trace"].push_back(model::describe(x));
        }
        std::cout << j.dump(2) << "\n";
        return code;
    }

    std::cout << "cowcheck prove: design " << o.model.design << ", bounds " << bounds_text(P::name, cfg) << ", "
              << r.actions << " actions per step, k = " << o.k;
    for (const auto& m : cfg.mutant_names()) std::cout << ", mutant " << m;
    std::cout << "\n";
    std::printf("  base case (BMC to depth %d): %.2f s; inductive step (%s): build %.2f s (%zu terms), solve %.2f s "
                "in %zu rounds%s; %.1f s CPU in all\n",
                o.k, r.base_seconds, o.k == 1 && !o.joint ? "one query per action" : "one query over every action",
                r.build_seconds, r.step_terms, r.solve_seconds, r.round_seconds.size(),
                o.threads > 1 ? (" (summed over " + std::to_string(o.threads) + " threads)").c_str() : "",
                r.cpu_seconds);
    if (r.leaves())
        std::printf("  frame: %zu of the %zu state leaves no action of this configuration moves off their initial "
                    "value, fixed there in s_0\n",
                    r.frame_leaves(), r.leaves());
    if (excluded) {
        std::cout << "  excluded (neither proved nor assumed):";
        for (const auto& i : props::invariants())
            if (excluded >> static_cast<int>(i.id) & 1) std::cout << " " << i.name;
        std::cout << "\n";
    }
    for (const auto& row : r.rows) {
        if (!(sel >> row.invariant & 1)) continue;
        const char* name = props::inv_name(static_cast<props::inv>(row.invariant));
        switch (row.status) {
            case solver::prove_status::proved:
                if (row.seconds >= 0) std::printf("  %-30s proved for these bounds (alone: %.2f s)\n", name, row.seconds);
                else std::printf("  %-30s proved for these bounds\n", name);
                break;
            case solver::prove_status::violation:
                std::printf("  %-30s VIOLATION (base case)\n", name);
                break;
            case solver::prove_status::cti:
                std::printf("  %-30s not proved: counterexample to induction (CTI %d)\n", name, row.cti + 1);
                break;
            case solver::prove_status::unknown:
                std::printf("  %-30s unknown\n", name);
                break;
        }
    }
    std::fflush(stdout);
    if (r.internal_error) {
        std::cerr << "cowcheck: internal error: " << r.reason << "\n";
        return code;
    }
    if (!r.reason.empty()) std::cout << "stopped: " << r.reason << "\n";
    if (r.violation.violated >= 0) {
        std::cout << "\nVIOLATION: " << props::inv_name(static_cast<props::inv>(r.violation.violated))
                  << " in the base case at depth " << r.violation.depth
                  << " (a real trace from the initial state, replayed on the concrete model)\n\n"
                  << solver::narrative<S>(cfg, r.violation.trace, r.violation.violated) << "\n";
    }
    if (!o.quiet) {
        for (std::size_t n = 0; n < r.ctis.size(); ++n) {
            bool shown = false;
            for (int i : r.ctis[n].broken) shown = shown || (sel >> i & 1);
            if (!shown) continue;
            std::cout << "\nCTI " << n + 1 << " (round " << r.ctis[n].round
                      << "): not proved: counterexample to induction — a state, not necessarily reachable, "
                         "where every assumed invariant holds and "
                      << o.k << (o.k == 1 ? " step breaks" : " steps break") << " the ones named; a "
                      << "strengthening invariant that excludes s_0 is missing (not a bug)\n"
                      << solver::cti_text(r.ctis[n]);
        }
    }
    std::cout << "\n" << proved << " proved, " << violations << " violated, " << ctis << " not proved (CTI), "
              << unknown << " unknown (" << r.seconds << " s)\n";
    if (!note.empty()) std::cout << "note: " << note << "\n";
    return code;
}

}  // namespace

void add_prove(CLI::App& app, int& code) {
    auto o = std::make_shared<prove_cli>();
    auto* cmd = app.add_subcommand(
        "prove",
        "k-induction: each invariant proved for these bounds at every depth (base case: BMC to depth k; "
        "inductive step from a free state satisfying every invariant that is not refuted; at k = 1 one query per "
        "action), or its "
        "counterexample to induction printed as a state (exit 3: not proved, which is not a bug), or a "
        "base-case violation (exit 1). A timeout is unknown (exit 3), never proved.");
    o->model.add_to(*cmd);
    cmd->add_option("--k", o->k, "induction depth")->capture_default_str();
    cmd->add_option("--timeout", o->timeout, "seconds for the whole run")->capture_default_str();
    cmd->add_flag("--json", o->json, "print the summary as one JSON object");
    cmd->add_flag("--quiet", o->quiet, "do not print the CTI states");
    cmd->add_flag("--each", o->each,
                  "after the proof, prove every proved selected invariant again on its own and time it");
    cmd->add_flag("--joint", o->joint,
                  "k = 1: ask one query over every action at once per round (the form k > 1 uses) instead of "
                  "one query per action");
    auto* threads = cmd->add_option("--threads", o->threads,
                    "k = 1 per action (the joint form has one solver): ask this many queries at once, each on "
                    "its own thread and z3 context; the answers are taken in query order and each query is "
                    "asked at a fixed point of that order, so the result does not depend on timing (the proved "
                    "set is the one 1 thread proves; the CTIs shown may differ)")
        ->capture_default_str();
    cmd->add_option("--exclude", o->exclude,
                    "leave this invariant out: neither proved nor assumed as strengthening (repeatable); "
                    "proving without an invariant the others do not need saves its share of every query")
        ->type_name("NAME");
    cmd->callback([o, &code, threads] {
        o->threads_given = threads->count() > 0;
        if (!o->threads_given && (o->k > 1 || o->joint)) o->threads = 1;
        if (o->model.bounds == "small") code = run_prove<model::preset_small>(*o);
        else if (o->model.bounds == "default") code = run_prove<model::preset_default>(*o);
        else if (o->model.bounds == "double") throw usage_error("prove supports --bounds small and default (double is out of its reach)");
        else throw usage_error("unknown bounds preset '" + o->model.bounds + "' (known: small, default, double)");
    });
}

}  // namespace cli
