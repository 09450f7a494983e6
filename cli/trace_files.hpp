// cli/trace_files.hpp — trace files on disk: loading one for `show` / `replay`
// (choosing the state type from the preset it names), and `--save DIR` of
// `check` and `explore` (a counterexample as .itf.json, .txt and .dot).
#pragma once
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common.hpp"
#include "solver/dot.hpp"
#include "solver/itf.hpp"
#include "solver/narrative.hpp"

namespace cli {

/// Read and parse a trace file; unreadable or malformed files are trace_errors.
inline solver::itf_json load_trace(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw solver::trace_error("no such file");
    if (!std::filesystem::is_regular_file(path, ec)) throw solver::trace_error("not a regular file");
    if (std::filesystem::file_size(path, ec) > (64u << 20)) throw solver::trace_error("larger than 64 MiB");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw solver::trace_error(std::string("cannot open: ") + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    return solver::parse_itf(text.str());
}

/// Run f.template operator()<P>() for the preset the trace names (#meta.bounds.preset).
template <class F> int with_trace_preset(const solver::itf_json& j, F&& f) {
    model_options mo;
    mo.bounds = solver::itf_preset(j);
    bool known = false;
    try {
        return mo.dispatch([&]<class P>() {
            known = true;
            return f.template operator()<P>();
        });
    } catch (const usage_error&) {
        if (known) throw;
        throw solver::trace_error("#meta.bounds.preset: unknown preset " + solver::itf_detail::quote(mo.bounds) +
                                  " (known: small, default, double)");
    }
}

/// `--from FILE [--from-step K]` of bmc and explore: the actions of FILE's trace (its
/// first K), checked to replay on this run's model (bounds, design, fixes, phases and
/// mutants come from the command line, not from the file).  Empty without --from.
template <class S>
std::vector<model::action> from_prefix(const std::string& from, int from_step, const model::config& cfg) {
    using P = typename S::preset;
    if (from.empty()) {
        if (from_step >= 0) throw usage_error("--from-step needs --from FILE");
        return {};
    }
    std::vector<model::action> prefix;
    try {
        const auto j = load_trace(from);
        if (solver::itf_preset(j) != P::name)
            throw solver::trace_error("recorded at bounds " + solver::itf_preset(j) + ", not " + P::name +
                                      " (pass --bounds " + solver::itf_preset(j) + ")");
        prefix = solver::from_itf<S>(j).trace;
    } catch (const solver::trace_error& e) {
        throw usage_error("--from " + from + ": " + e.what());
    }
    if (from_step > static_cast<int>(prefix.size()))
        throw usage_error("--from-step " + std::to_string(from_step) + ": the trace has only " +
                          std::to_string(prefix.size()) + " steps");
    if (from_step >= 0) prefix.resize(from_step);
    S s = model::initial_state<S>(&cfg);
    for (std::size_t k = 0; k < prefix.size(); ++k)
        if (!model::step(cfg, s, prefix[k]))
            throw usage_error("--from " + from + ": step " + std::to_string(k + 1) + " (" +
                              model::describe(prefix[k]) +
                              ") is not enabled on this model (different bounds, fixes, phases or mutants than the "
                              "file's?)");
    return prefix;
}

/// A prefix that already breaks a selected invariant: the line saying so (the caller
/// exits 1), else empty.
template <class S>
std::string prefix_violation(const model::config& cfg, const std::vector<model::action>& prefix,
                             props::inv_set selected, const std::string& from) {
    if (prefix.empty()) return {};
    const auto pre = solver::replay<S>(cfg, prefix, selected);
    if (pre.violated < 0) return {};
    return "the starting state is already past a violation: " +
           std::string(props::inv_name(static_cast<props::inv>(pre.violated))) + " breaks at step " +
           std::to_string(pre.violated_at) + " of " + from + " (use --from-step " + std::to_string(pre.violated_at - 1) +
           " to start before it)";
}

/// The file name stem of a saved counterexample: the mutants ("a+b"), else the invariant.
inline std::string counterexample_name(const model::config& cfg, int violated) {
    std::string name;
    for (const auto& m : cfg.mutant_names()) name += (name.empty() ? "" : "+") + m;
    return name.empty() ? props::inv_name(static_cast<props::inv>(violated)) : name;
}

/// `--save DIR`: write DIR/<name>.itf.json, .txt (narrative) and .dot for a violating
/// trace; an existing file is a usage error unless `force`.  `extra` is the engine's
/// provenance for #meta (engine, seed or depth, minimal).
template <class S>
void save_counterexample(const std::string& dir, bool force, const model::config& cfg, const std::vector<model::action>& trace,
                         int violated, solver::itf_json extra) {
    using P = typename S::preset;
    namespace fs = std::filesystem;
    const fs::path base = fs::path(dir) / counterexample_name(cfg, violated);
    const std::array<fs::path, 3> files = {base.string() + ".itf.json", base.string() + ".txt", base.string() + ".dot"};
    std::error_code ec;
    if (!force)
        for (const auto& f : files)
            if (fs::exists(f, ec)) throw usage_error("--save: " + f.string() + " exists (use --force to overwrite)");
    fs::create_directories(dir, ec);
    if (ec) throw usage_error("--save: cannot create directory " + dir + ": " + ec.message());

    const auto at = solver::breaks<S>(cfg, trace, violated);
    if (!at) throw std::logic_error("--save: the trace does not break " + std::string(props::inv_name(static_cast<props::inv>(violated))));
    if (solver::has_fixed_model(cfg) && !extra.contains("fixed_expect"))
        extra["fixed_expect"] = solver::fixed_outcome<S>(cfg, trace);
    const auto itf = solver::to_itf<S>(cfg, P::name, trace, violated, *at, extra);

    const auto& info = props::invariants()[violated];
    const std::string json_name = files[0].filename().string();
    std::ostringstream txt;
    txt << "cowcheck counterexample: " << info.name << " broken after step " << *at << "\n"
        << "  claim: " << info.claim << "\n"
        << "  design " << model::design_name(cfg.rmap) << ", bounds " << bounds_text(P::name, cfg);
    for (const auto& m : cfg.mutant_names()) txt << ", mutant " << m;
    txt << "\n";
    if (extra.contains("engine")) txt << "  found by " << extra["engine"].get<std::string>();
    if (extra.contains("seed")) txt << ", seed " << extra["seed"].dump();
    if (extra.contains("depth")) txt << ", depth " << extra["depth"].dump();
    if (extra.contains("minimal")) txt << "; minimal: " << extra["minimal"].get<std::string>();
    if (extra.contains("from"))
        txt << "; from the state after " << extra["from"]["steps"].dump() << " steps of "
            << extra["from"]["file"].get<std::string>() << "; continuation: "
            << extra["from"]["continuation"].get<std::string>();
    txt << "\n";
    if (solver::has_fixed_model(cfg))
        txt << "  " << solver::fixed_model_label(cfg) << ": " << solver::fixed_outcome_text(extra["fixed_expect"]) << "\n";
    txt << "  replay: cowcheck replay " << json_name << "    graph: cowcheck show " << json_name << " --svg out.svg\n\n"
        << solver::narrative<S>(cfg, trace, violated);

    std::string heading = "cowcheck: design " + std::string(model::design_name(cfg.rmap)) + ", bounds " + P::name;
    for (const auto& m : cfg.mutant_names()) heading += ", mutant " + m;
    const std::array<std::string, 3> texts = {solver::itf_text(itf), txt.str(),
                                              solver::trace_dot<S>(cfg, trace, violated, heading)};
    for (std::size_t k = 0; k < files.size(); ++k) {
        std::ofstream out(files[k], std::ios::binary | std::ios::trunc);
        out << texts[k];
        out.close();
        if (!out) throw usage_error("--save: cannot write " + files[k].string() + ": " + std::strerror(errno));
    }
    std::cerr << "saved " << files[0].string() << " (and .txt, .dot)\n";
}

}  // namespace cli
