// cli/common.hpp — what every cowcheck command shares: exit codes, the bounds /
// design / mutant / invariant options, preset dispatch, and usage errors.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "props/props.hpp"

namespace cli {

enum exit_code : int { exit_clean = 0, exit_violation = 1, exit_usage = 2, exit_unknown = 3, exit_internal = 4 };

/// A usage or input error: one line, exit 2.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Options naming what is checked; shared by every engine.
struct model_options {
    std::string bounds = "default";
    int mms = -1, vmas = -1, va_pages = -1, folios = -1, anon_vmas = -1, cpus = -1;
    std::string design = "anon_vma";
    std::vector<std::string> inject;
    std::vector<std::string> cow_fix;
    std::vector<std::string> invariants;
    std::string mshare_flush, mshare_addr;
    std::vector<std::string> phased;

    void add_to(CLI::App& app) {
        app.add_option("--bounds", bounds, "bounds preset: small, default or double")->capture_default_str();
        app.add_option("--mms", mms, "lower the number of mm slots below the preset's");
        app.add_option("--vmas", vmas, "lower the VMA slots per mm");
        app.add_option("--va-pages", va_pages, "lower the virtual pages per mm");
        app.add_option("--folios", folios, "lower the folio slots");
        app.add_option("--anon-vmas", anon_vmas, "lower the anon_vma slots");
        app.add_option("--cpus", cpus, "lower the number of cpus");
        app.add_option("--design", design, "design: anon_vma, cow_context or mshare")->capture_default_str();
        app.add_option("--mshare-flush", mshare_flush,
                       "mshare only: flush_all, attacher_list (default) or notifier (model/mshare.hpp)");
        app.add_option("--mshare-addr", mshare_addr, "mshare only: per_process (default) or same window addresses");
        app.add_option("--cow-fix", cow_fix, "cow_context only: apply a fix to the PoC (repeatable; see `cowcheck list`)");
        app.add_option("--inject", inject, "inject a mutant (repeatable; see `cowcheck list`)");
        app.add_option("--invariant", invariants, "check only this invariant (repeatable; default: all)");
        app.add_option("--phased", phased,
                       "split an operation into phases so that other actions can run between them (repeatable; "
                       "fork, walk, walk_vma, walk_remap, walk_remap_slots, mremap; concrete engines only, see `cowcheck "
                       "list`)");
    }

    /// Build the run's config for preset P; bad names or bounds are usage errors.
    template <class P> model::config config() const {
        model::config cfg = model::config::defaults<P>();
        auto lower = [&](const char* flag, int asked, int& field, int max) {
            if (asked < 0) return;
            if (asked < 1 || asked > max)
                throw usage_error(std::string(flag) + " " + std::to_string(asked) + " is out of range: preset " +
                                  P::name + " allows 1.." + std::to_string(max));
            field = asked;
        };
        lower("--mms", mms, cfg.lim.mms, P::mms);
        lower("--vmas", vmas, cfg.lim.vmas, P::vmas);
        lower("--va-pages", va_pages, cfg.lim.va_pages, P::va_pages);
        lower("--folios", folios, cfg.lim.folios, P::folios);
        lower("--anon-vmas", anon_vmas, cfg.lim.anon_vmas, P::anon_vmas);
        lower("--cpus", cpus, cfg.lim.cpus, P::cpus);
        auto d = model::design_by_name(design);
        if (!d) throw usage_error("unknown design '" + design + "' (known: anon_vma, cow_context, mshare)");
        cfg.rmap = *d;
        if (!mshare_flush.empty()) {
            auto f = model::mshare_flush_by_name(mshare_flush);
            if (!f) throw usage_error("unknown --mshare-flush '" + mshare_flush + "' (known: flush_all, attacher_list, notifier)");
            if (!cfg.mshare()) throw usage_error("--mshare-flush needs --design mshare");
            cfg.flush = *f;
        }
        if (!mshare_addr.empty()) {
            auto a = model::mshare_addr_by_name(mshare_addr);
            if (!a) throw usage_error("unknown --mshare-addr '" + mshare_addr + "' (known: per_process, same)");
            if (!cfg.mshare()) throw usage_error("--mshare-addr needs --design mshare");
            cfg.addr = *a;
        }
        for (const auto& name : cow_fix) {
            auto f = model::cow_fix_by_name(name);
            if (!f) throw usage_error("unknown --cow-fix '" + name + "' (see `cowcheck list`)");
            if (!cfg.cow()) throw usage_error("--cow-fix " + name + " needs --design cow_context");
            cfg.fix(*f);
        }
        for (const auto& name : phased) {
            auto p = model::phased_by_name(name);
            if (!p) {
                std::string known;
                for (const auto& x : model::phased_ops()) known += std::string(known.empty() ? "" : ", ") + x.name;
                throw usage_error("unknown --phased '" + name + "' (known: " + known + ")");
            }
            cfg.phase(*p);
        }
        if (cfg.cow() && cfg.has_phase(model::phased_op::mremap))
            throw usage_error("--phased mremap is for the anon_vma and mshare designs (the COW context's mremap is one step)");
        for (const auto& name : inject) {
            auto m = model::mutant_by_name(name);
            if (!m) throw usage_error("unknown mutant '" + name + "' (see `cowcheck list`)");
            cfg.inject(*m);
        }
        return cfg;
    }

    /// For an error about --phased: "" when the command line named the phases, else which
    /// --inject turned them on (a mutant that lives in a phased operation: config::inject).
    std::string phased_source() const {
        if (!phased.empty()) return "";
        for (const auto& name : inject) {
            const auto m = model::mutant_by_name(name);
            if (!m) continue;
            model::config c;
            c.inject(*m);
            std::string names;
            for (const auto& p : c.phased_names()) names += (names.empty() ? "--phased " : " and --phased ") + p;
            if (!names.empty()) return " (--inject " + name + " turns on " + names + ")";
        }
        return "";
    }

    /// The bit of the invariant called `name`; a usage error if there is none.
    static props::inv_set selection_of(const std::string& name) {
        for (const auto& i : props::invariants())
            if (name == i.name) return props::inv_set(1) << static_cast<int>(i.id);
        throw usage_error("unknown invariant '" + name + "' (see `cowcheck list`)");
    }

    props::inv_set selected() const {
        if (invariants.empty()) return props::all_invariants;
        props::inv_set sel = 0;
        for (const auto& name : invariants) sel |= selection_of(name);
        return sel;
    }

    /// Run f.template operator()<P>() for the chosen preset.
    template <class F> int dispatch(F&& f) const {
        if (bounds == "small") return f.template operator()<model::preset_small>();
        if (bounds == "default") return f.template operator()<model::preset_default>();
        if (bounds == "double") return f.template operator()<model::preset_double>();
        throw usage_error("unknown bounds preset '" + bounds + "' (known: small, default, double)");
    }
};

/// The bounds of a config as JSON.
template <class P> nlohmann::json bounds_json(const model::config& cfg) {
    return {{"preset", P::name}, {"mms", cfg.lim.mms}, {"vmas_per_mm", cfg.lim.vmas}, {"va_pages", cfg.lim.va_pages},
            {"folios", cfg.lim.folios}, {"anon_vmas", cfg.lim.anon_vmas}, {"cpus", cfg.lim.cpus}};
}

/// The head every engine's --json summary starts with: engine, design, bounds, mutants.
template <class P> nlohmann::json summary_head(const std::string& engine, const model::config& cfg) {
    return {{"engine", engine}, {"design", model::design_name(cfg.rmap)}, {"bounds", bounds_json<P>(cfg)},
            {"mutants", cfg.mutant_names()}, {"cow_fixes", cfg.cow_fix_names()}, {"phased", cfg.phased_names()}};
}

inline std::string bounds_text(const char* preset, const model::config& cfg) {
    return std::string(preset) + " (mms " + std::to_string(cfg.lim.mms) + ", vmas/mm " + std::to_string(cfg.lim.vmas) +
           ", pages/mm " + std::to_string(cfg.lim.va_pages) + ", folios " + std::to_string(cfg.lim.folios) +
           ", anon_vmas " + std::to_string(cfg.lim.anon_vmas) + ", cpus " + std::to_string(cfg.lim.cpus) + ")";
}

/// `--shard I/N`: shard I of N, 0 <= I < N; anything else is a usage error.
inline std::pair<int, int> parse_shard(const std::string& s) {
    int i = 0, n = 0;
    char extra = 0;
    if (std::sscanf(s.c_str(), "%d/%d%c", &i, &n, &extra) != 2 || n < 1 || i < 0 || i >= n)
        throw usage_error("--shard '" + s + "' must be I/N with 0 <= I < N");
    return {i, n};
}

/// Registration of the subcommands; each returns the exit code through `code`.
void add_list(CLI::App& app, int& code);
void add_check(CLI::App& app, int& code);
void add_explore(CLI::App& app, int& code);
void add_bmc(CLI::App& app, int& code);
void add_prove(CLI::App& app, int& code);
void add_show(CLI::App& app, int& code);
void add_replay(CLI::App& app, int& code);
void add_shrink(CLI::App& app, int& code);
void add_litmus(CLI::App& app, int& code);
void add_ci(CLI::App& app, int& code);
void add_merge(CLI::App& app, int& code);
void add_refine(CLI::App& app, int& code);
void add_compare(CLI::App& app, int& code);

/// The explore search that reaches each mutant, without --design (the caller adds it):
/// `cowcheck ci` runs it, and `cowcheck list --json` hands it ("explore_args") to
/// scripts/regen-corpus.sh and bench/zoo.py, so the three use one list.
inline std::vector<std::string> explore_args_for(const std::string& mutant) {
    if (mutant == "anon_vma_degree_reuse")   // CVE-2022-42703: the structural break at depth 11
        return {"--bounds", "default", "--mms", "4", "--vmas", "2", "--va-pages", "2", "--folios", "1",
                "--anon-vmas", "5", "--cpus", "1", "--depth", "11", "--actions", "mmap,write,fork,exit_mmap,mprotect",
                "--invariant", "anon_vma_chain_shape", "--max-memory", "4000"};
    if (mutant == "anon_vma_no_reuse")
        return {"--bounds", "default", "--mms", "2", "--vmas", "1", "--va-pages", "1", "--cpus", "1", "--folios", "2",
                "--depth", "10", "--actions", "mmap,write,fork,exit_mmap,switch_mm"};
    if (mutant.rfind("mshare_", 0) == 0)
        return {"--bounds", "small", "--depth", "10", "--actions",
                "mshare_create,mshare_map,mshare_attach,mshare_attach_join,mshare_detach,mshare_unmap,mshare_advise,"
                "mshare_protect,mshare_flush,mshare_notifier,mshare_flush_all,mshare_free,fork,switch_mm,read,write,"
                "exit_mmap"};
    // The mermap's wrap: two pages, a slot put, a wrap and an access (depth 9).
    if (mutant == "mermap_wrap_without_flush")
        return {"--bounds", "small", "--depth", "10", "--actions", "mmap,write,mermap_get,mermap_use,mermap_put"};
    // A partial mremap needs a VMA of two pages and a free page to move to: three pages.
    if (mutant == "cow_partial_remap_unrecorded" || mutant == "cow_remap_wrong_side")
        return {"--bounds", "default", "--mms", "2", "--va-pages", "3", "--folios", "2", "--cpus", "1",
                "--anon-vmas", "3", "--depth", "6"};
    // B11: page 1 of a faulted two-page VMA moved away and back (merging into page 0's VMA)
    // needs three pages; the mutant turns --phased mremap and --phased walk on.  Without the
    // action subset explore also finds it at depth 9 (9.4 million states, 17 s in bench/b11-runs.md).
    if (mutant == "mremap_skips_rmap_locks")
        return {"--bounds", "default", "--mms", "1", "--vmas", "2", "--va-pages", "3", "--folios", "1",
                "--anon-vmas", "1", "--cpus", "1", "--depth", "10", "--actions",
                "mmap,write,mremap,mremap_move,mremap_done,anon_walk_begin,anon_walk_step"};
    return {"--bounds", "small", "--depth", "8"};
}

/// What an injected mutant cannot show at these bounds, printed beside a clean or unknown
/// result so that it is not read as "the mutant is harmless" ("" when there is nothing to
/// say).  anon_vma_no_reuse breaks only anon_vma_chain_bounded, whose bound is 2 x mms x
/// vmas (props/props.hpp): a longer chain needs more anon_vma slots than that.
inline std::string blind_spot(const model::config& cfg) {
    if (!cfg.has(model::mutant::anon_vma_no_reuse) || cfg.cow()) return "";
    const int bound = 2 * cfg.lim.mms * cfg.lim.vmas;
    if (cfg.lim.anon_vmas > bound) return "";
    std::string search;
    for (const auto& a : explore_args_for("anon_vma_no_reuse")) search += " " + a;
    return "anon_vma_no_reuse breaks anon_vma_chain_bounded, which cannot fail at these bounds: a chain longer than "
           "2 x mms x vmas = " + std::to_string(bound) + " needs more anon_vmas than the " +
           std::to_string(cfg.lim.anon_vmas) +
           " slots of these bounds (the growth ends in pool exhaustion, whose steps are discarded); explore finds it at" +
           search;
}

}  // namespace cli
