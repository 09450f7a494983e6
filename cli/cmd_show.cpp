// cli/cmd_show.cpp — `cowcheck show FILE`: a trace file as a numbered narrative in
// kernel terms, and optionally the object graph at its failing step as Graphviz
// (--dot) or SVG (--svg, through Graphviz's `dot`), or the whole trace as one
// self-contained HTML page with a graph per step (--html, solver/html.hpp).
// --svg and --html need `dot` on PATH: without it, exit 2 naming what to install.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <unistd.h>

#include "common.hpp"
#include "solver/graphviz.hpp"
#include "solver/html.hpp"
#include "trace_files.hpp"

namespace cli {

namespace {

struct show_options {
    std::string file;
    std::string dot;
    std::string svg;
    std::string html;
};

/// Render dot text to an SVG file with `dot -Tsvg` (solver::dot_to_svgs), as dot writes it.
void write_svg(const std::string& dot_text, const std::string& out) {
    std::ofstream f(out, std::ios::binary | std::ios::trunc);
    if (!f) throw usage_error("--svg: cannot write " + out + ": " + std::strerror(errno));
    f << solver::dot_to_svgs({dot_text}).front() << "\n";   // dot ends its document with a newline
    if (!f.flush()) throw std::runtime_error("cannot write " + out);
}

template <class P> int run_show(const show_options& o, const solver::itf_json& j) {
    using S = model::state<model::concrete, P>;
    const auto t = solver::from_itf<S>(j);
    const auto& info = props::invariants()[t.invariant];
    const auto at = solver::breaks<S>(t.cfg, t.trace, t.invariant);

    std::ostringstream head;
    head << o.file << ": " << info.name << " recorded at step " << t.violated_at << "\n"
         << "  design " << model::design_name(t.cfg.rmap) << ", bounds " << bounds_text(P::name, t.cfg);
    for (const auto& m : t.cfg.mutant_names()) head << ", mutant " << m;
    head << "\n";
    if (t.meta.contains("engine")) head << "  found by " << t.meta["engine"].template get<std::string>();
    if (t.meta.contains("seed")) head << ", seed " << t.meta["seed"].dump();
    if (t.meta.contains("depth")) head << ", depth " << t.meta["depth"].dump();
    if (t.meta.contains("minimal")) head << "; minimal: " << t.meta["minimal"].template get<std::string>();
    if (t.meta.contains("engine") || t.meta.contains("minimal")) head << "\n";
    if (t.fixed_expect)
        head << "  " << solver::fixed_model_label(t.cfg) << ": " << solver::fixed_outcome_text(*t.fixed_expect)
             << " (recorded)\n";
    if (!at)
        head << "  note: on the current model " << info.name << " no longer breaks on this trace\n";
    else if (*at != t.violated_at)
        head << "  note: on the current model " << info.name << " breaks at step " << *at << "\n";
    const int shown = at ? t.invariant : -1;

    std::string heading = o.file + ": design " + model::design_name(t.cfg.rmap) + ", bounds " + P::name;
    for (const auto& m : t.cfg.mutant_names()) heading += ", mutant " + m;
    const std::string dot = solver::trace_dot<S>(t.cfg, t.trace, shown, heading);
    if (!o.svg.empty() && !solver::have_graphviz())
        throw usage_error("--svg needs Graphviz, and `dot` is not on PATH: install graphviz, or write --dot FILE");
    if (!o.html.empty() && !solver::have_graphviz())
        throw usage_error("--html needs Graphviz, and `dot` is not on PATH: install graphviz (Debian: apt-get install graphviz)");
    if (!o.dot.empty()) {
        std::ofstream out(o.dot, std::ios::binary | std::ios::trunc);
        out << dot;
        out.close();
        if (!out) throw usage_error("--dot: cannot write " + o.dot + ": " + std::strerror(errno));
    }
    if (!o.svg.empty()) write_svg(dot, o.svg);
    if (!o.html.empty()) {
        solver::html_header hh;
        hh.title = info.name;   // built piecewise: GCC 12 warns (-Wrestrict) on "literal" + std::string
        hh.title += " broken after step ";
        hh.title += std::to_string(t.violated_at);
        hh.facts.emplace_back("file", o.file);
        hh.facts.emplace_back("design", model::design_name(t.cfg.rmap));
        hh.facts.emplace_back("bounds", bounds_text(P::name, t.cfg));
        std::string mutants;
        for (const auto& m : t.cfg.mutant_names()) {
            if (!mutants.empty()) mutants += ", ";
            mutants += m;
        }
        hh.facts.emplace_back("mutants", mutants.empty() ? std::string("none") : mutants);
        hh.facts.emplace_back("invariant", info.name);
        hh.facts.emplace_back("recorded at step", std::to_string(t.violated_at));
        if (t.meta.contains("engine")) {
            std::string by = t.meta["engine"].template get<std::string>();
            if (t.meta.contains("seed")) by += ", seed " + t.meta["seed"].dump();
            if (t.meta.contains("depth")) by += ", depth " + t.meta["depth"].dump();
            hh.facts.emplace_back("found by", by);
        }
        if (t.meta.contains("minimal")) hh.facts.emplace_back("minimal", t.meta["minimal"].template get<std::string>());
        if (t.fixed_expect) hh.facts.emplace_back("fixed model", solver::fixed_outcome_text(*t.fixed_expect) + " (recorded)");
        if (t.meta.contains("description"))
            hh.facts.emplace_back("description", t.meta["description"].template get<std::string>());
        if (!at || *at != t.violated_at) {
            std::string note = "on the current model ";
            note += info.name;
            note += at ? " breaks at step " + std::to_string(*at) : std::string(" no longer breaks on this trace");
            hh.notes.push_back(note);
        }
        const std::string page = solver::trace_html<S>(t.cfg, t.trace, shown, hh);
        std::ofstream out(o.html, std::ios::binary | std::ios::trunc);
        out << page;
        out.close();
        if (!out) throw usage_error("--html: cannot write " + o.html + ": " + std::strerror(errno));
        std::cerr << "wrote " << o.html << " (" << t.trace.size() << " steps, " << page.size() / 1024 << " KiB)\n";
    }
    std::cout << head.str() << "\n" << solver::narrative<S>(t.cfg, t.trace, shown);
    return exit_clean;
}

}  // namespace

void add_show(CLI::App& app, int& code) {
    auto o = std::make_shared<show_options>();
    auto* cmd = app.add_subcommand(
        "show",
        "print a trace file (ITF JSON, as written by --save) as numbered kernel operations with what each "
        "changed, then the broken invariant and the objects involved; --dot/--svg draw the object graph at the "
        "failing step with those objects in red; --html writes the whole trace as one self-contained page with "
        "a graph per step. The trace is checked against the model first (exit 2 naming the first field that "
        "does not match).");
    cmd->add_option("file", o->file, "trace file (.itf.json)")->required();
    cmd->add_option("--dot", o->dot, "write the object graph at the failing step as Graphviz to this file");
    cmd->add_option("--svg", o->svg, "render the object graph to this SVG file (needs Graphviz's dot)");
    cmd->add_option("--html", o->html,
                    "write the whole trace as one self-contained HTML page: per step the object graph (changed "
                    "objects in blue, violating ones in red at the failing step), the narrative, parameters and "
                    "kernel function; slider and arrow keys; #step=N in the URL selects a step (needs Graphviz's "
                    "dot: without it, exit 2)");
    cmd->callback([o, &code] {
        try {
            const auto j = load_trace(o->file);
            code = with_trace_preset(j, [&]<class P>() { return run_show<P>(*o, j); });
        } catch (const solver::trace_error& e) {
            throw usage_error(o->file + ": " + e.what());
        }
    });
}

}  // namespace cli
