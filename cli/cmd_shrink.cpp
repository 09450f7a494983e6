// cli/cmd_shrink.cpp — `cowcheck shrink FILE`: make a saved counterexample as small
// as it gets, and certify it where the exhaustive search reaches (cli/minimize.hpp:
// delta debugging, lower bounds, then `explore` to one step less).  The shrinking
// proper is timed apart from the certification.
#include <iostream>

#include "common.hpp"
#include "solver/narrative.hpp"
#include "minimize.hpp"
#include "trace_files.hpp"

namespace cli {

namespace {

struct shrink_cli {
    std::string file;
    std::string certify = "explore";
    double certify_seconds = 60;
    double certify_memory_mb = 4096;
    bool keep_bounds = false;
    bool json = false;
    bool quiet = false;
    std::string save;
    bool force = false;
};

template <class P> int run_shrink(const shrink_cli& o, const solver::itf_json& j) {
    using S = model::state<model::concrete, P>;
    const auto t = solver::from_itf<S>(j);
    const int inv = t.invariant;
    const std::string inv_name = props::inv_name(static_cast<props::inv>(inv));
    if (!solver::breaks<S>(t.cfg, t.trace, inv))
        throw solver::trace_error("the trace no longer breaks " + inv_name +
                                  " on the current model (see `cowcheck replay`); nothing to shrink");

    minimize_options mo;
    mo.lower_bounds = !o.keep_bounds;
    mo.certify = o.certify == "explore";
    mo.certify_seconds = o.certify_seconds;
    mo.certify_memory_mb = o.certify_memory_mb;
    const minimized m = minimize<S>(t.cfg, t.trace, inv, mo);
    const auto& trace = m.trace;
    const auto& cfg = m.cfg;

    if (!o.save.empty()) {
        solver::itf_json extra = {{"minimal", m.minimal}};
        for (const char* k : {"engine", "seed", "depth"})
            if (t.meta.contains(k)) extra[k] = t.meta[k];
        save_counterexample<S>(o.save, o.force, cfg, trace, inv, extra);
    }
    if (o.json) {
        nlohmann::json out = summary_head<P>("shrink", cfg);
        out["file"] = o.file;
        out["invariant"] = inv_name;
        out["result"] = "violation";
        out["length_before"] = t.trace.size();
        out["length"] = trace.size();
        out["bounds_before"] = bounds_json<P>(t.cfg);
        out["minimal"] = m.minimal;
        out["shrink_seconds"] = m.shrink_seconds;
        out["certify_seconds"] = m.certify_seconds;
        for (const auto& x : trace) out["trace"].push_back(model::describe(x));
        std::cout << out.dump(2) << "\n";
    } else {
        std::cout << o.file << ": " << inv_name << ": " << t.trace.size() << " -> " << trace.size() << " steps, bounds "
                  << bounds_text(P::name, t.cfg) << " -> " << bounds_text(P::name, cfg) << " (shrink took "
                  << m.shrink_seconds << " s)\n";
        if (!m.note.empty()) std::cout << "  " << m.note << " (" << m.certify_seconds << " s)\n";
        std::cout << "  minimal: " << m.minimal << "\n";
        if (!o.quiet) std::cout << "\n" << solver::narrative<S>(cfg, trace, inv) << "\n";
    }
    return exit_violation;   // the file still describes a violation
}

}  // namespace

void add_shrink(CLI::App& app, int& code) {
    auto o = std::make_shared<shrink_cli>();
    auto* cmd = app.add_subcommand(
        "shrink",
        "shrink a saved counterexample (ITF JSON): drop actions and lower parameters while the recorded "
        "invariant still breaks (delta debugging), then lower the bounds as far as it still breaks, then "
        "certify minimality with `explore` to one step less (at the lowered bounds).  Prints the result; "
        "--save writes it.  Exit 1 (the trace still describes a violation), 2 if the file is unreadable, "
        "does not match the model, or no longer breaks its invariant.");
    cmd->add_option("file", o->file, "trace file (.itf.json)")->required();
    cmd->add_option("--certify", o->certify, "explore (default) or none")
        ->check(CLI::IsMember({"explore", "none"}));
    cmd->add_option("--certify-seconds", o->certify_seconds, "time limit of the certification")->capture_default_str();
    cmd->add_option("--certify-max-memory", o->certify_memory_mb, "memory limit of the certification, MB")
        ->capture_default_str();
    cmd->add_flag("--keep-bounds", o->keep_bounds, "do not lower the bounds");
    cmd->add_flag("--json", o->json, "print the result as one JSON object");
    cmd->add_flag("--quiet", o->quiet, "no narrative");
    cmd->add_option("--save", o->save, "write DIR/<mutant-or-invariant>.itf.json, .txt and .dot");
    cmd->add_flag("--force", o->force, "let --save overwrite existing files");
    cmd->callback([o, &code] {
        if (o->certify_seconds <= 0) throw usage_error("--certify-seconds must be positive");
        try {
            const auto j = load_trace(o->file);
            code = with_trace_preset(j, [&]<class P>() { return run_shrink<P>(*o, j); });
        } catch (const solver::trace_error& e) {
            throw usage_error(o->file + ": " + e.what());
        }
    });
}

}  // namespace cli
