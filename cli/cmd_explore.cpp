// cli/cmd_explore.cpp — `cowcheck explore`: exhaustive breadth-first search.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common.hpp"
#include "solver/explore.hpp"
#include "solver/narrative.hpp"
#include "trace_files.hpp"

namespace cli {

namespace {

struct explore_cli {
    model_options model;
    int depth = 8;
    long max_states = 200'000'000;
    double max_memory_mb = 8192;
    double seconds = 0;
    int threads = 2;
    std::string actions;
    bool symmetry = false;
    bool json = false;
    bool quiet = false;
    std::string save;   // --save DIR: write the counterexample there
    bool force = false;
    std::string shard = "0/1";
    int shard_depth = 3;
    std::string dump_states;   // --dump-states FILE
    std::string from;          // --from FILE: start from the state after (a prefix of) its trace
    int from_step = -1;        // --from-step K: only the first K steps (-1: all)
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

template <class P> int run_explore(const explore_cli& o) {
    using S = model::state<model::concrete, P>;
    const model::config cfg = o.model.config<P>();
    if (o.depth < 0 || o.depth > 64) throw usage_error("--depth must be between 0 and 64");
    if (o.threads < 1 || o.threads > 64) throw usage_error("--threads must be between 1 and 64");
    solver::explore_options eo;
    eo.depth = o.depth;
    eo.max_states = o.max_states;
    eo.max_memory_mb = o.max_memory_mb;
    eo.seconds = o.seconds;
    eo.threads = o.threads;
    eo.selected = o.model.selected();
    eo.ops = parse_ops(o.actions);
    eo.symmetry = o.symmetry;
    std::tie(eo.shard, eo.shards) = parse_shard(o.shard);
    if (o.shard_depth < 0 || o.shard_depth > 64) throw usage_error("--shard-depth must be between 0 and 64");
    eo.shard_depth = o.shard_depth;
    if (o.symmetry && cfg.phased)
        throw usage_error("--symmetry cannot be combined with --phased" + o.model.phased_source());
    if (o.symmetry && !o.from.empty()) throw usage_error("--symmetry cannot be combined with --from");
    eo.prefix = from_prefix<S>(o.from, o.from_step, cfg);
    if (const auto past = prefix_violation<S>(cfg, eo.prefix, eo.selected, o.from); !past.empty()) {
        std::cout << past << "\n";
        return exit_violation;
    }
    const std::size_t pre = eo.prefix.size();
    const std::string after = pre ? " after the " + std::to_string(pre) + "-step prefix" : "";
    if (o.symmetry && cfg.rmap != model::design::anon_vma)
        throw usage_error("--symmetry is implemented for the anon_vma design only");
    if (!o.json && !o.quiet) {
        std::cout << "cowcheck explore: design " << o.model.design << ", bounds " << bounds_text(P::name, cfg)
                  << ", depth " << o.depth << ", " << o.threads << " threads";
        if (!o.actions.empty()) std::cout << ", actions " << o.actions;
        if (pre) std::cout << ", from the state after " << pre << " steps of " << o.from << " (depths count from there)";
        if (o.symmetry) std::cout << ", mm symmetry reduction";
        if (eo.shards > 1)
            std::cout << ", shard " << o.shard << " (its part of the states new at depth " << o.shard_depth << ")";
        for (const auto& m : cfg.mutant_names()) std::cout << ", mutant " << m;
        std::cout << "\n";
        eo.progress = [](int d, long fresh, long total, double secs, double mb) {
            std::printf("  depth %2d: %10ld new, %11ld total, %7.1f s, %9.0f states/s, %7.0f MB\n", d, fresh, total,
                        secs, secs > 0 ? total / secs : 0.0, mb);
            std::fflush(stdout);
        };
    }
    std::vector<std::uint64_t> fps;
    std::ofstream dump;
    if (!o.dump_states.empty()) {
        dump.open(o.dump_states);
        if (!dump) throw usage_error("--dump-states " + o.dump_states + ": cannot write");
        eo.states_out = &fps;
    }
    const auto r = solver::explore<S>(cfg, eo);
    if (dump.is_open()) {
        char line[24];
        for (std::uint64_t fp : fps) {
            std::snprintf(line, sizeof line, "%016llx\n", static_cast<unsigned long long>(fp));
            dump << line;
        }
    }
    if (r.violated >= 0 && !o.save.empty()) {
        // From a prefix the continuation is a shortest one, not the trace: uncertified,
        // with the prefix's length and file recorded.
        const std::string search =
            "(explore, bounds " + bounds_text(P::name, cfg) + (o.actions.empty() ? "" : ", actions " + o.actions) + ")";
        solver::itf_json extra = {{"engine", "explore"}, {"depth", o.depth}};
        extra["minimal"] = pre ? "uncertified" : "certified " + search;
        if (pre)
            extra["from"] = {{"file", std::filesystem::path(o.from).filename().string()}, {"steps", pre},
                             {"continuation", "certified shortest " + search}};
        save_counterexample<S>(o.save, o.force, cfg, r.trace, r.violated, extra);
    }
    const char* verdict = r.violated >= 0 ? "violation" : r.complete ? "clean" : "unknown";
    const int code = r.violated >= 0 ? exit_violation : r.complete ? exit_clean : exit_unknown;
    const std::string note = r.violated < 0 ? blind_spot(cfg) : "";
    if (o.json) {
        nlohmann::json j = summary_head<P>("explore", cfg);
        if (!note.empty()) j["note"] = note;
        j["depth"] = o.depth;
        j["result"] = verdict;
        j["clean_depth"] = r.clean_depth;
        j["states"] = r.states;
        j["states_checked"] = r.checked;   // the unfinished level's states included
        j["symmetry"] = o.symmetry;
        j["shard"] = o.shard;
        if (eo.shards > 1) {
            j["shard_depth"] = o.shard_depth;
            j["shard_dropped"] = r.shard_dropped;
        }
        j["seconds"] = r.seconds;
        j["peak_memory_mb"] = r.peak_mb;
        j["exhausted"] = r.exhausted;
        if (pre) j["from"] = {{"file", o.from}, {"steps", pre}};
        if (!r.stopped.empty()) j["stopped"] = r.stopped;
        for (const auto& l : r.levels)
            j["levels"].push_back({{"depth", l.depth}, {"new", l.fresh}, {"total", l.total}, {"seconds", l.seconds},
                                   {"memory_mb", l.memory_mb}});
        if (r.violated >= 0) {
            j["violation"]["invariant"] = props::inv_name(static_cast<props::inv>(r.violated));
            j["violation"]["length"] = r.trace.size();
            j["violation"]["shortest"] = true;   // from a prefix: the continuation after its first `prefix_steps`
            if (pre) j["violation"]["prefix_steps"] = pre;
            for (const auto& x : r.trace) j["violation"]["trace"].push_back(model::describe(x));
        }
        std::cout << j.dump(2) << "\n";
        return code;
    }
    if (r.violated >= 0) {
        const std::size_t d = r.trace.size() - pre;
        std::cout << "\nVIOLATION: " << props::inv_name(static_cast<props::inv>(r.violated)) << " at depth " << d
                  << after
                  << (pre ? " (a shortest continuation: every state up to depth " : " (a shortest trace at these bounds: every state up to depth ")
                  << r.clean_depth << after << " was checked)\n\n"
                  << solver::narrative<S>(cfg, r.trace, r.violated) << "\n";
        std::cout << "violation: found at depth " << d << after << " after " << r.states << " states in " << r.seconds
                  << " s\n";
    } else if (r.complete) {
        std::cout << "clean to depth " << (r.exhausted ? r.clean_depth : o.depth) << after << " at these bounds (" << r.states
                  << " states, " << r.seconds << " s)";
        if (r.exhausted) std::cout << "; the reachable state space ends at depth " << r.clean_depth;
        std::cout << "\n";
    } else {
        std::cout << "unknown: clean to depth " << r.clean_depth << " < " << o.depth << after << ", stopped: " << r.stopped
                  << " (" << r.states << " states, " << r.seconds << " s)\n";
    }
    if (!note.empty()) std::cout << "note: " << note << "\n";
    return code;
}

}  // namespace

void add_explore(CLI::App& app, int& code) {
    auto o = std::make_shared<explore_cli>();
    auto* cmd = app.add_subcommand(
        "explore",
        "exhaustive breadth-first search over concrete states to --depth: every enabled action from every state, "
        "all selected invariants on every new state. A violation found is a shortest one at these bounds. "
        "Visited states are kept as 64-bit fingerprints.");
    o->model.add_to(*cmd);
    cmd->add_option("--depth", o->depth, "search every trace up to this length")->capture_default_str();
    cmd->add_option("--max-states", o->max_states, "stop (exit 3) after this many states")->capture_default_str();
    cmd->add_option("--max-memory", o->max_memory_mb, "stop (exit 3) past this many MB")->capture_default_str();
    cmd->add_option("--seconds", o->seconds, "stop (exit 3) after this time");
    cmd->add_option("--threads", o->threads, "worker threads")->capture_default_str();
    cmd->add_option("--actions", o->actions, "only these actions, comma-separated (e.g. mmap,write,fork,exit_mmap)");
    cmd->add_flag("--symmetry", o->symmetry,
                  "keep one state per orbit of mm-slot permutations (processes are interchangeable; sound for the "
                  "anon_vma design, see solver/symmetry.hpp): fewer states, same violation depths");
    cmd->add_flag("--json", o->json, "print the summary as one JSON object");
    cmd->add_flag("--quiet", o->quiet, "no per-depth progress");
    cmd->add_option("--save", o->save, "on a violation, write DIR/<mutant-or-invariant>.itf.json, .txt and .dot");
    cmd->add_flag("--force", o->force, "let --save overwrite existing files");
    cmd->add_option("--shard", o->shard,
                    "I/N: every shard searches all states up to --shard-depth, then continues only from the "
                    "states new at that depth whose fingerprint falls in part I (fingerprint / 2 % N == I). The union of the N shards covers every "
                    "state to --depth (combine them with `cowcheck merge`); one shard's 'clean' speaks for its "
                    "part only")
        ->capture_default_str();
    cmd->add_option("--dump-states", o->dump_states,
                    "write the fingerprint of every state visited (hex, sorted, one per line) to this file: "
                    "the union over shards equals a single run's set");
    cmd->add_option("--from", o->from,
                    "start from the state after the trace in FILE (ITF, same --bounds; it must replay on this "
                    "model, with this run's --design, --cow-fix, --phased and --inject): 'from here, can --depth more "
                    "steps break it?' The continuation found is a shortest one; the whole trace is saved as uncertified");
    cmd->add_option("--from-step", o->from_step, "with --from: only the first K steps of the trace");
    cmd->add_option("--shard-depth", o->shard_depth, "the frontier depth where --shard partitions the states")
        ->capture_default_str();
    cmd->callback([o, &code] { code = o->model.dispatch([&]<class P>() { return run_explore<P>(*o); }); });
}

}  // namespace cli
