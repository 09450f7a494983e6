// cli/cmd_litmus.cpp — `cowcheck litmus run|predict|check FILE...`: litmus programs
// on the real kernel and through the model (conformance/README.md).
//
//   run FILE       execute on this kernel, print the observations (needs root: exit 3
//                  with the reason otherwise)
//   predict FILE   the model's prediction of the same lines (exit 2 if the program is
//                  outside what the model covers, naming the line)
//   check FILE...  both, compared field by field: one line per difference; exit 0 all
//                  agree, 1 some differ, 2 bad input; when the kernel cannot be
//                  observed (not root, PFNs hidden) one line with the reason, exit 3.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "common.hpp"
#include "conformance/compare.hpp"
#include "conformance/generate.hpp"
#include "conformance/kernel.hpp"
#include "conformance/predict.hpp"

namespace cli {

namespace {

litmus::program load(const std::string& file) {
    try {
        return litmus::parse_file(file);
    } catch (const litmus::bad_input& e) {
        throw usage_error(e.what());
    }
}

/// The mutants named by --inject (a wrong model, to see the comparison catch it).
std::vector<model::mutant> mutants_of(const std::vector<std::string>& names) {
    std::vector<model::mutant> out;
    for (const auto& n : names) {
        auto m = model::mutant_by_name(n);
        if (!m) throw usage_error("unknown mutant '" + n + "' (see `cowcheck list`)");
        out.push_back(*m);
    }
    return out;
}

litmus::trace predict(const litmus::program& p, const std::vector<std::string>& inject, bool zero_page = true) {
    try {
        return litmus::predict::run(p, mutants_of(inject), zero_page);
    } catch (const litmus::bad_input& e) {
        throw usage_error(e.what());
    }
}

std::string stem(const std::string& file) { return std::filesystem::path(file).stem().string(); }

}  // namespace

void add_litmus(CLI::App& app, int& code) {
    auto* lit = app.add_subcommand("litmus", "litmus programs: run on this kernel, predict with the model, compare");
    lit->require_subcommand(1);

    static std::string run_file;
    auto* run = lit->add_subcommand("run", "run a litmus program on this kernel and print the observations");
    run->add_option("FILE", run_file, "litmus program (.jsonl)")->required();
    run->callback([&code] {
        const auto p = load(run_file);
        const std::string why = litmus::kernel::unobservable();
        if (!why.empty()) {
            std::cerr << "cowcheck litmus run: cannot observe the kernel: " << why << "\n";
            code = exit_unknown;
            return;
        }
        litmus::kernel::run(p).print(std::cout);
        code = exit_clean;
    });

    static std::string predict_file;
    static std::vector<std::string> inject;
    auto* pred = lit->add_subcommand("predict", "print the model's prediction of a litmus program's observations");
    pred->add_option("FILE", predict_file, "litmus program (.jsonl)")->required();
    pred->add_option("--inject", inject, "predict with a mutant injected (repeatable; see `cowcheck list`)")
        ->allow_extra_args(false);
    static bool no_zero_page = false;
    pred->add_flag("--no-zero-page", no_zero_page,
                   "predict for a kernel whose read faults allocate a page instead of mapping the shared zero page "
                   "(mm_forbids_zeropage(), pvm_no_zero_page=1; `litmus check` finds out by itself)");
    pred->callback([&code] {
        predict(load(predict_file), inject, !no_zero_page).print(std::cout);
        code = exit_clean;
    });

    static int g_count = 10, g_steps = 20;
    static std::uint64_t g_seed = 1;
    static std::string g_out;
    auto* gen = lit->add_subcommand("generate", "write random litmus programs the model can predict");
    gen->add_option("--count", g_count, "number of programs")->capture_default_str();
    gen->add_option("--seed", g_seed, "seed")->capture_default_str();
    gen->add_option("--steps", g_steps, "operations per program")->capture_default_str();
    gen->add_option("--out", g_out, "directory for gen-SEED-I.jsonl (default: print to stdout, programs separated by a comment line)");
    gen->callback([&code] {
        if (g_count < 1 || g_steps < 2) throw usage_error("litmus generate: --count >= 1 and --steps >= 2");
        if (!g_out.empty()) std::filesystem::create_directories(g_out);
        for (int i = 0; i < g_count; ++i) {
            const std::string text = litmus::generate(g_seed, i, {.steps = g_steps});
            const std::string name = "gen-" + std::to_string(g_seed) + "-" + std::to_string(i) + ".jsonl";
            if (g_out.empty())
                std::cout << "{\"comment\": \"" << name << "\"}\n" << text;
            else
                std::ofstream(g_out + "/" + name) << text;
        }
        code = exit_clean;
    });

    static std::vector<std::string> check_files;
    static std::string save_dir, recorded_dir;
    static bool quiet = false;
    auto* chk = lit->add_subcommand("check", "run each program on this kernel and through the model, compare");
    static int gen_count = 0, gen_steps = 20;
    static std::uint64_t gen_seed = 1;
    chk->add_option("FILE", check_files, "litmus programs (.jsonl)");
    chk->add_option("--generate", gen_count, "also check N random programs (see `litmus generate`)");
    chk->add_option("--seed", gen_seed, "seed of the random programs")->capture_default_str();
    chk->add_option("--steps", gen_steps, "operations per random program")->capture_default_str();
    chk->add_option("--save", save_dir, "write NAME.kernel.jsonl and NAME.model.jsonl into this directory");
    chk->add_option("--recorded", recorded_dir,
                    "compare with the kernel runs recorded in this directory (NAME.kernel.jsonl, as --save writes) "
                    "instead of running the kernel; needs no root");
    chk->add_flag("--quiet", quiet, "print only differences and the summary");
    chk->add_option("--inject", inject, "predict with a mutant injected (repeatable): the comparison must then fail")
        ->allow_extra_args(false);
    chk->callback([&code] {
        std::vector<std::pair<std::string, litmus::program>> progs;
        std::vector<litmus::trace> predicted;
        if (check_files.empty() && gen_count <= 0) throw usage_error("litmus check: give FILEs or --generate N");
        for (const auto& f : check_files) {   // every input is checked before any kernel run
            progs.emplace_back(f, load(f));
            predicted.push_back(predict(progs.back().second, inject));
        }
        for (int i = 0; i < gen_count; ++i) {
            const std::string name = "gen-" + std::to_string(gen_seed) + "-" + std::to_string(i) + ".jsonl";
            std::istringstream in(litmus::generate(gen_seed, i, {.steps = gen_steps}));
            progs.emplace_back(name, litmus::parse(in, name));
            predicted.push_back(predict(progs.back().second, inject));
            if (!save_dir.empty()) {
                std::filesystem::create_directories(save_dir);
                std::ofstream(save_dir + "/" + name) << litmus::generate(gen_seed, i, {.steps = gen_steps});
            }
        }
        std::vector<litmus::trace> recorded;
        for (const auto& [file, p] : progs) {
            if (recorded_dir.empty()) break;
            const std::string rf = recorded_dir + "/" + stem(file) + ".kernel.jsonl";
            std::ifstream in(rf);
            if (!in) throw usage_error("no recorded kernel run " + rf);
            try {
                recorded.push_back(litmus::read_trace(in, rf));
            } catch (const litmus::bad_input& e) {
                throw usage_error(e.what());
            }
        }
        const std::string why = recorded_dir.empty() ? litmus::kernel::unobservable() : "";
        if (!why.empty()) {   // unknown, not clean: nothing was compared
            std::cerr << "cowcheck litmus check: cannot observe the kernel: " << why
                      << " (--recorded DIR compares with recorded runs)\n";
            code = exit_unknown;
            return;
        }
        // A kernel whose read faults allocate instead of mapping the shared zero page
        // (mm_forbids_zeropage(); ours is booted with pvm_no_zero_page=1) is predicted so:
        // the probe here, or the recorded run's header (runs recorded before the probe
        // existed came from zero-page kernels).
        const bool live_zero_page = recorded_dir.empty() ? litmus::kernel::zero_page_on_read() : true;
        int without_zero_page = 0;
        for (std::size_t i = 0; i < progs.size(); ++i) {
            const bool zp = recorded_dir.empty() ? live_zero_page : recorded[i].header.value("zero_page_on_read", true);
            if (zp) continue;
            predicted[i] = predict(progs[i].second, inject, false);
            ++without_zero_page;
        }
        if (!save_dir.empty()) std::filesystem::create_directories(save_dir);
        int disagree = 0, known = 0, copies = 0;
        std::size_t steps = 0, records = 0, classified_total = 0;
        std::string kernel;
        for (std::size_t i = 0; i < progs.size(); ++i) {
            const auto& [file, p] = progs[i];
            const auto k = recorded_dir.empty() ? litmus::kernel::run(p) : recorded[i];
            kernel = k.header.value("kernel", "");
            if (!save_dir.empty()) {
                std::ofstream ko(save_dir + "/" + stem(file) + ".kernel.jsonl");
                k.print(ko);
                std::ofstream mo(save_dir + "/" + stem(file) + ".model.jsonl");
                predicted[i].print(mo);
            }
            auto diffs = litmus::compare(k, predicted[i]);
            steps += k.steps.size();
            for (const auto& s : k.steps) records += s.obs.size();
            // Differences from the step of a known divergence on are classified, not failures.
            const auto& kd = predicted[i].header;
            std::size_t classified = 0;
            // Rule reuse_or_copy: where the model reused a mapped-once, not exclusive page on a
            // write fault, the kernel may have copied it (only same_pfn_as_prev of that record shows it).
            if (kd.contains("may_copy")) {
                const auto before = diffs.size();
                std::erase_if(diffs, [&](const litmus::difference& d) {
                    if (d.field != "same_pfn_as_prev" || !d.kernel.is_null()) return false;
                    for (const auto& c : kd["may_copy"])
                        if (c["step"] == d.step && c["proc"] == d.proc && c["page"] == d.page) return true;
                    return false;
                });
                const std::size_t n = before - diffs.size();
                if (n) {
                    if (!quiet) std::cout << file << ": reuse_or_copy: the kernel copied " << n
                                          << " page(s) the model reused (allowed, classified)\n";
                    ++copies;
                    classified_total += n;
                }
            }
            if (kd.contains("known_divergence")) {
                const int from = kd["known_divergence"]["step"].get<int>();
                const auto before = std::stable_partition(diffs.begin(), diffs.end(),
                                                          [&](const litmus::difference& d) { return d.step < from; });
                classified = static_cast<std::size_t>(diffs.end() - before);
                diffs.erase(before, diffs.end());
                if (!quiet || !diffs.empty())
                    std::cout << file << ": known divergence " << kd["known_divergence"]["rule"].get<std::string>()
                              << " from step " << from << " (" << classified << " difference(s) classified)\n";
                ++known;
                classified_total += classified;
            }
            if (diffs.empty()) {
                if (!quiet && !classified) std::cout << file << ": agree (" << k.steps.size() << " steps)\n";
                continue;
            }
            ++disagree;
            for (const auto& d : diffs) std::cout << file << ": " << d.text() << "\n";
            std::cout << file << ": " << diffs.size() << " difference(s)\n";
        }
        std::cout << "litmus check: " << progs.size() << " programs: " << progs.size() - static_cast<std::size_t>(disagree)
                  << " agree (" << known << " up to a known divergence, " << copies << " with a reuse_or_copy, "
                  << classified_total << " differences classified), " << disagree << " disagree; " << steps << " steps, " << records
                  << " observation records; kernel " << kernel
                  << (without_zero_page ? " (read faults allocate: no zero page, predicted so)" : "") << "\n";
        code = disagree ? exit_violation : exit_clean;
    });
}

}  // namespace cli
