// cli/cmd_refine.cpp — `cowcheck refine`: does the COW context design refine anon_vma?
//
// The same action sequences run on both designs (solver/refine.hpp): the same
// observations (every PTE, TLB entry, read result, reference memory) and the same
// confirmed rmap mappings after every step.  `--depth K` enumerates every sequence up
// to K (the first divergence is a shortest one); `--random` draws seeded sequences.
// --cow-fix options apply to the cow_context side; --inject to both.
#include <iostream>
#include <sstream>

#include "common.hpp"
#include "solver/refine.hpp"

namespace cli {

namespace {

struct refine_cli {
    model_options model;
    int depth = 5;
    bool random = false;
    long runs = 2000;
    int steps = 40;
    std::uint64_t seed = 1;
    long max_pairs = 50'000'000;
    double seconds = 0;
    std::string actions;
    bool all_fixes = false;
    bool json = false;
    bool quiet = false;
};

std::vector<int> parse_ops(const std::string& list) {
    std::vector<int> out;
    std::stringstream in(list);
    for (std::string name; std::getline(in, name, ',');) {
        if (name.empty()) continue;
        int found = -1;
        for (const auto& o : model::ops())
            if (name == o.name) found = static_cast<int>(o.id);
        if (found < 0) throw usage_error("--actions: unknown action '" + name + "' (see `cowcheck list`)");
        out.push_back(found);
    }
    return out;
}

template <class P> int run_refine(const refine_cli& o) {
    using S = model::state<model::concrete, P>;
    if (o.model.design != "anon_vma" && o.model.design != "cow_context")
        throw usage_error("unknown design '" + o.model.design + "' (known: anon_vma, cow_context)");
    // The cow_context side: the model options read as --design cow_context.
    model_options mo = o.model;
    mo.design = "cow_context";
    model::config cb = mo.config<P>();
    if (o.all_fixes)
        for (const auto& f : model::cow_fixes()) cb.fix(f.id);
    if (cb.has_phase(model::phased_op::migrate))
        throw usage_error("--phased migrate: refine compares the walks each design runs at once; a migration's "
                          "walk in steps is checked in each design on its own (check, explore)");
    model::config ca = cb;
    ca.rmap = model::design::anon_vma;
    ca.cow_fixed = 0;
    if (o.depth < 1 || o.depth > 32) throw usage_error("--depth must be between 1 and 32");
    if (o.runs < 1) throw usage_error("--runs must be at least 1");
    if (o.steps < 1 || o.steps > 100000) throw usage_error("--steps must be between 1 and 100000");
    solver::refine_options ro;
    ro.depth = o.depth;
    ro.max_pairs = o.max_pairs;
    ro.seconds = o.seconds;
    ro.ops = parse_ops(o.actions);
    ro.seed = o.seed;
    ro.runs = o.runs;
    ro.steps = o.steps;
    const auto r = o.random ? solver::refine_random<S>(ca, cb, ro) : solver::refine_search<S>(ca, cb, ro);
    std::string fixes;
    for (const auto& f : cb.cow_fix_names()) {
        if (!fixes.empty()) fixes += ',';
        fixes += f;
    }
    const char* verdict = r.diverged ? "diverged" : r.complete ? "refines" : "unknown";
    const int code = r.diverged ? exit_violation : r.complete ? exit_clean : exit_unknown;
    if (o.json) {
        nlohmann::json j = summary_head<P>("refine", cb);
        j["engine"] = o.random ? "refine-random" : "refine-search";
        j["result"] = verdict;
        if (!o.random) {
            j["depth"] = o.depth;
            j["clean_depth"] = r.clean_depth;
        } else {
            j["seed"] = o.seed;
            j["runs"] = o.runs;
            j["steps"] = o.steps;
        }
        j["pairs"] = r.pairs;
        j["bounds_split"] = r.bounds_split;
        j["guard_split"] = r.guard_split;
        j["seconds"] = r.seconds;
        if (!r.stopped.empty()) j["stopped"] = r.stopped;
        if (r.diverged) {
            j["divergence"]["what"] = r.what;
            j["divergence"]["length"] = r.trace.size();
            for (const auto& x : r.trace) j["divergence"]["trace"].push_back(model::describe(x));
        }
        std::cout << j.dump(2) << "\n";
        return code;
    }
    if (!o.quiet) {
        std::cout << "cowcheck refine: cow_context (fixes: " << (fixes.empty() ? "none, as coded" : fixes)
                  << ") against anon_vma, bounds " << bounds_text(P::name, cb);
        for (const auto& m : cb.mutant_names()) std::cout << ", mutant " << m;
        if (o.random)
            std::cout << ", random: seed " << o.seed << ", " << o.runs << " runs of " << o.steps << " steps\n";
        else
            std::cout << ", every sequence to depth " << o.depth << "\n";
    }
    if (r.diverged) {
        std::cout << "DIVERGED after " << r.trace.size() << " steps"
                  << (o.random ? "" : " (a shortest diverging sequence at these bounds)") << ": " << r.what << "\n";
        for (std::size_t k = 0; k < r.trace.size(); ++k)
            std::cout << "  " << k + 1 << ". " << model::describe(r.trace[k]) << "\n";
    } else if (r.complete) {
        if (o.random)
            std::cout << "refines: " << o.runs << " random sequences agree";
        else
            std::cout << "refines: every sequence up to depth " << r.clean_depth << " agrees";
        std::cout << " (" << r.pairs << " state pairs compared, " << r.bounds_split
                  << " steps out of bounds and " << r.guard_split
                  << " enabled in one design only, discarded; " << r.seconds << " s)\n";
    } else {
        std::cout << "unknown: ";
        if (!o.random) std::cout << "agrees to depth " << r.clean_depth << ", ";
        std::cout << "stopped: " << r.stopped << " (" << r.pairs << " state pairs, " << r.seconds << " s)\n";
    }
    return code;
}

}  // namespace

void add_refine(CLI::App& app, int& code) {
    auto o = std::make_shared<refine_cli>();
    auto* cmd = app.add_subcommand(
        "refine",
        "refinement of anon_vma by the COW context design: run the same action sequences on both and compare, "
        "after every step, every PTE, TLB entry and read result and, for every mapped folio, the mappings each "
        "rmap walk confirms. Exit 0 the designs agree, 1 a diverging sequence (printed), 3 a limit came first.");
    o->model.add_to(*cmd);
    cmd->add_option("--depth", o->depth, "every sequence up to this length (iterative deepening)")
        ->capture_default_str();
    cmd->add_flag("--random", o->random, "seeded random sequences instead of the exhaustive search");
    cmd->add_option("--runs", o->runs, "--random: number of sequences")->capture_default_str();
    cmd->add_option("--steps", o->steps, "--random: steps per sequence")->capture_default_str();
    cmd->add_option("--seed", o->seed, "--random: seed")->capture_default_str();
    cmd->add_option("--max-pairs", o->max_pairs, "stop (exit 3) after this many state pairs")->capture_default_str();
    cmd->add_option("--seconds", o->seconds, "stop (exit 3) after this time");
    cmd->add_option("--actions", o->actions, "only these actions, comma-separated");
    cmd->add_flag("--all-fixes", o->all_fixes, "apply every --cow-fix");
    cmd->add_flag("--json", o->json, "print the summary as one JSON object");
    cmd->add_flag("--quiet", o->quiet, "no header line");
    cmd->callback([o, &code] { code = o->model.dispatch([&]<class P>() { return run_refine<P>(*o); }); });
}

}  // namespace cli
