// cli/cmd_compare.cpp — `cowcheck compare`: what the anon_vma and COW context designs
// cost on the same workloads (issue 8, "What it costs").
//
// Each sweep (solver/cost.hpp: fork-chain depth, fork width, VMAs per mm, mremaps, children
// that unmapped) runs one deterministic workload per point through the model's own
// actions, once per design, on the `cost` bounds preset (model/bounds.hpp; instantiated here only, concrete domain
// only), and counts rmap objects allocated per fork, per fault and per mremap, the objects
// alive at the end, and what the rmap walk of every folio examines.  The COW context
// design runs with every --cow-fix on (as coded the PoC breaks invariants the fixes
// repair; a broken invariant at the end of a workload is reported, exit 1).
// Output: a markdown table (or --json); --plots DIR writes one gnuplot PNG per sweep;
// --out DIR writes DIR/cost.md and the PNGs (bench/cost.sh).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common.hpp"
#include "solver/cost.hpp"

namespace cli {

namespace {

namespace cost = solver::cost;

struct compare_cli {
    std::vector<std::string> sweeps;
    int max = -1;
    bool json = false;
    std::string plots;
    std::string out;
};

struct point {
    int x;
    cost::figures av, cc;   // anon_vma, cow_context
};

struct sweep_result {
    const cost::sweep_info* info;
    std::vector<point> points;
};

/// "3", "1.5", "0.33": integers plain, else two decimals.
std::string num(double v) {
    if (std::fabs(v - std::round(v)) < 1e-9) return std::to_string(static_cast<long>(std::lround(v)));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

std::string pair_text(const cost::counts& total, int n) {
    if (n == 0) return "-";
    std::string s = num(cost::figures::per(total.objects, n));
    s += " + ";
    s += num(cost::figures::per(total.links, n));
    return s;
}

nlohmann::json per_json(const cost::counts& total, int n) {
    return {{"count", n}, {"objects", cost::figures::per(total.objects, n)}, {"links", cost::figures::per(total.links, n)}};
}

nlohmann::json figures_json(const cost::figures& f) {
    const int n = f.folios;
    return {{"steps", f.steps},
            {"per_fork", per_json(f.fork_alloc, f.forks)},
            {"per_fault", per_json(f.fault_alloc, f.faults)},
            {"per_mremap", per_json(f.mremap_alloc, f.mremaps)},
            {"alive", {{"objects", f.alive.objects}, {"links", f.alive.links}}},
            {"walk",
             {{"folios", n},
              {"examined_per_folio", cost::figures::per(f.walk_total.examined, n)},
              {"tree_entries_per_folio", cost::figures::per(f.walk_total.tree_entries, n)},
              {"handed_per_folio", cost::figures::per(f.walk_total.handed, n)},
              {"confirmed_per_folio", cost::figures::per(f.walk_total.confirmed, n)},
              {"wasted_per_folio", cost::figures::per(f.walk_total.wasted(), n)},
              {"max_handed", f.walk_max_handed}}}};
}

double handed(const cost::figures& f) { return cost::figures::per(f.walk_total.handed, f.folios); }
double wasted(const cost::figures& f) { return cost::figures::per(f.walk_total.wasted(), f.folios); }
double examined(const cost::figures& f) { return cost::figures::per(f.walk_total.examined, f.folios); }
double fork_total(const cost::figures& f) {
    return cost::figures::per(f.fork_alloc.objects + f.fork_alloc.links, f.forks);
}
double fault_total(const cost::figures& f) {
    return cost::figures::per(f.fault_alloc.objects + f.fault_alloc.links, f.faults);
}
double mremap_total(const cost::figures& f) {
    return cost::figures::per(f.mremap_alloc.objects + f.mremap_alloc.links, f.mremaps);
}

std::string markdown(const std::vector<sweep_result>& results) {
    std::ostringstream o;
    o << "Objects: anon_vma design = anon_vmas + anon_vma_chain links; COW context design = cow_contexts + "
         "remap_mt entries (allocated by the step, frees not subtracted; per step of that kind). Walk: the rmap "
         "walk of every allocated folio at the end, per folio: rmap objects examined (the folio's anon_vma, or "
         "contexts with a live mm), VMAs handed to rmap_one, of those mapping the folio (confirmed) or not "
         "(wasted), and the largest hand-out of one walk. cow_context runs with every --cow-fix on.\n";
    for (const auto& r : results) {
        o << "\n### " << r.info->name << ": " << r.info->axis << "\n\n" << r.info->workload << ".\n\n";
        o << "| x | design | per fork | per fault | per mremap | alive at end | examined | handed | confirmed | wasted "
             "| max handed |\n";
        o << "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
        for (const auto& p : r.points)
            for (const bool c : {false, true}) {
                const auto& f = c ? p.cc : p.av;
                const int n = f.folios;
                o << "| " << p.x << " | " << (c ? "cow_context" : "anon_vma") << " | " << pair_text(f.fork_alloc, f.forks)
                  << " | " << pair_text(f.fault_alloc, f.faults) << " | " << pair_text(f.mremap_alloc, f.mremaps) << " | "
                  << f.alive.objects << " + " << f.alive.links << " | "
                  << num(cost::figures::per(f.walk_total.examined, n)) << " | "
                  << num(cost::figures::per(f.walk_total.handed, n)) << " | "
                  << num(cost::figures::per(f.walk_total.confirmed, n)) << " | "
                  << num(cost::figures::per(f.walk_total.wasted(), n)) << " | " << f.walk_max_handed << " |\n";
            }
    }
    return o.str();
}

/// One PNG per sweep, four panels: allocated per fork, per fault (per mremap for the
/// mremaps sweep), alive at the end, and the walk per folio.
void plot(const std::vector<sweep_result>& results, const std::string& dir) {
    namespace fs = std::filesystem;
    if (std::system("command -v gnuplot >/dev/null 2>&1") != 0)
        throw usage_error("--plots/--out need gnuplot on PATH (Debian package gnuplot-nox)");
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir)) throw usage_error("cannot create the plot directory '" + dir + "': " + ec.message());
    const std::string term = std::system("gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1") == 0
                                 ? "pngcairo size 1400,1000 font 'sans,12'"
                                 : "png size 1400,1000";
    for (const auto& r : results) {
        const std::string base = (fs::path(dir) / (std::string("cost-") + r.info->name)).string();
        const std::string dat = base + ".dat", gp = base + ".gp";
        {
            std::ofstream d(dat);
            if (!d) throw usage_error("cannot write '" + dat + "'");
            d << "# x av_fork cc_fork av_fault cc_fault av_mremap cc_mremap av_alive cc_alive av_handed av_wasted "
                 "cc_handed cc_wasted av_examined cc_examined\n";
            for (const auto& p : r.points)
                d << p.x << ' ' << fork_total(p.av) << ' ' << fork_total(p.cc) << ' ' << fault_total(p.av) << ' '
                  << fault_total(p.cc) << ' ' << mremap_total(p.av) << ' ' << mremap_total(p.cc) << ' '
                  << p.av.alive.objects + p.av.alive.links << ' ' << p.cc.alive.objects + p.cc.alive.links << ' '
                  << handed(p.av) << ' ' << wasted(p.av) << ' ' << handed(p.cc) << ' ' << wasted(p.cc) << ' '
                  << examined(p.av) << ' ' << examined(p.cc) << "\n";
        }
        const bool mremaps = r.info->id == cost::sweep::mremaps;
        const bool logy = r.info->id == cost::sweep::vmas;   // 1 context vs 3n anon_vma objects: log y
        std::ofstream g(gp);
        g << "set terminal " << term << "\n"
          << "set output '" << base << ".png'\nset termoption noenhanced\n"
          << "set multiplot layout 2,2 title \"" << r.info->name << " sweep: x = " << r.info->axis
          << "   (anon_vma: anon_vmas + AVCs; cow_context, every fix on: contexts + remap entries)\" font ',14'\n"
          << "set grid\nset key top left box opaque\nset offsets 0, 0, graph 0.35, 0\n"
          << "set xlabel '" << r.info->axis << "'\n"
          << "set xrange [" << r.points.front().x - 0.5 << ":" << r.points.back().x + 0.5 << "]\n"
          << "set yrange [0:*]\n"
          << "av = 'lw 2 lc rgb \"#c0392b\" pt 7 ps 0.8'\ncc = 'lw 2 lc rgb \"#2471a3\" pt 5 ps 0.8'\n"
          << (logy ? "set logscale y\nset yrange [0.5:*]\nset offsets 0, 0, 0, 0\n" : "")
          << "set title 'rmap objects allocated per fork" << (logy ? " (log scale)" : "") << "'\nset ylabel 'objects + links'\n"
          << "plot '" << dat << "' using 1:2 with linespoints @av title 'anon_vma', '' using 1:3 with linespoints @cc "
             "title 'cow_context'\n";
        if (logy) g << "unset logscale y\nset yrange [0:*]\nset offsets 0, 0, graph 0.35, 0\n";
        if (mremaps)
            g << "set title 'rmap objects allocated per mremap'\nset ylabel 'objects + links'\n"
              << "plot '" << dat << "' using 1:6 with linespoints @av title 'anon_vma', '' using 1:7 with linespoints "
                 "@cc title 'cow_context'\n";
        else
            g << "set title 'rmap objects allocated per write fault (first touch and COW)'\nset ylabel 'objects + links'\n"
              << "plot '" << dat << "' using 1:4 with linespoints @av title 'anon_vma', '' using 1:5 with linespoints "
                 "@cc title 'cow_context'\n";
        g << (logy ? "set logscale y\nset yrange [0.5:*]\nset offsets 0, 0, 0, 0\n" : "")
          << "set title 'rmap objects alive at the end" << (logy ? " (log scale)" : "") << "'\nset ylabel 'objects + links'\n"
          << "plot '" << dat << "' using 1:8 with linespoints @av title 'anon_vma', '' using 1:9 with linespoints @cc "
             "title 'cow_context'\n"
          << (logy ? "unset logscale y\nset yrange [0:*]\nset offsets 0, 0, graph 0.35, 0\n" : "")
          << "set title 'rmap walk, mean per folio (every allocated folio at the end)'\nset ylabel 'count'\n"
          << "plot '" << dat << "' using 1:10 with linespoints @av title 'anon_vma: VMAs handed to rmap_one', "
          << "'' using 1:11 with linespoints @av dt 2 title 'anon_vma: wasted (not mapping the folio)', "
          << "'' using 1:12 with linespoints @cc title 'cow_context: VMAs handed', "
          << "'' using 1:13 with linespoints @cc dt 2 title 'cow_context: wasted', "
          << "'' using 1:15 with linespoints lw 2 lc rgb '#27ae60' pt 9 dt 3 title 'cow_context: contexts examined'\n"
          << "unset multiplot\n";
        g.close();
        const std::string cmd = "gnuplot '" + gp + "'";
        if (std::system(cmd.c_str()) != 0) throw std::runtime_error("gnuplot failed on " + gp);
        fs::remove(gp);
        fs::remove(dat);
    }
}

int run_compare(const compare_cli& o) {
    using P = model::preset_cost;
    using S = model::state<model::concrete, P>;
    std::vector<const cost::sweep_info*> chosen;
    for (const auto& name : o.sweeps) {
        const auto* s = cost::sweep_by_name(name);
        if (!s) {
            std::string known;
            for (const auto& k : cost::sweeps()) known += (known.empty() ? "" : ", ") + std::string(k.name);
            throw usage_error("--sweep: unknown sweep '" + name + "' (known: " + known + ")");
        }
        chosen.push_back(s);
    }
    if (chosen.empty())
        for (const auto& s : cost::sweeps()) chosen.push_back(&s);
    if (o.max == 0 || o.max < -1) throw usage_error("--max must be at least 1");
    const model::config av = cost::design_config<P>(false), cc = cost::design_config<P>(true);
    std::vector<sweep_result> results;
    std::string broken;
    for (const auto* s : chosen) {
        sweep_result r{s, {}};
        const int hi = o.max > 0 ? std::max(s->lo, std::min(s->hi, o.max)) : s->hi;
        for (int x = s->lo; x <= hi; ++x) {
            const auto t = cost::workload(s->id, x);
            point p{x, cost::measure<S>(av, t), cost::measure<S>(cc, t)};
            for (const auto* f : {&p.av, &p.cc})
                if (!f->broken.empty()) {
                    broken += std::string(s->name) + " x=" + std::to_string(x) + " ";
                    broken += (f == &p.av ? "anon_vma" : "cow_context");
                    broken += ": ";
                    broken += f->broken;
                    broken += "\n";
                }
            r.points.push_back(std::move(p));
        }
        results.push_back(std::move(r));
    }
    const std::string head = "cowcheck compare: bounds " + bounds_text(P::name, av) +
                             "; anon_vma vs cow_context with every --cow-fix on\n";
    if (o.json) {
        nlohmann::json j = {{"engine", "compare"}, {"bounds", bounds_json<P>(av)}, {"cow_fixes", cc.cow_fix_names()}};
        for (const auto& r : results) {
            nlohmann::json pts = nlohmann::json::array();
            for (const auto& p : r.points)
                pts.push_back({{"x", p.x}, {"anon_vma", figures_json(p.av)}, {"cow_context", figures_json(p.cc)}});
            j["sweeps"].push_back({{"name", r.info->name}, {"axis", r.info->axis}, {"workload", r.info->workload},
                                   {"points", pts}});
        }
        j["invariants_broken"] = broken;
        std::cout << j.dump(2) << "\n";
    } else {
        std::cout << head << "\n" << markdown(results);
    }
    if (!o.plots.empty()) plot(results, o.plots);
    if (!o.out.empty()) {
        plot(results, o.out);
        std::ofstream md(std::filesystem::path(o.out) / "cost.md");
        md << "# What the rmap designs cost\n\nWritten by `bench/cost.sh` (`cowcheck compare --out bench/`); "
              "README \"What it costs\" reads it.\n\n"
           << head << "\n";
        for (const auto& r : results) md << "![" << r.info->name << "](cost-" << r.info->name << ".png)\n";
        md << "\n" << markdown(results);
        if (!md) throw usage_error("--out: cannot write " + o.out + "/cost.md");
    }
    if (!broken.empty()) {
        std::cerr << "cowcheck compare: invariants broken at the end of a workload:\n" << broken;
        return exit_violation;
    }
    return exit_clean;
}

}  // namespace

void add_compare(CLI::App& app, int& code) {
    auto o = std::make_shared<compare_cli>();
    auto* cmd = app.add_subcommand(
        "compare",
        "what the anon_vma and COW context designs cost on the same workloads: rmap objects allocated per fork, per "
        "fault and per mremap, objects alive, and the rmap walk per folio (VMAs handed to rmap_one, confirmed vs "
        "wasted), as fork-chain depth (1-16), fork width (1-16), VMAs per mm (1-64), mremaps (0-32) and children "
        "that unmapped (1-16) grow.  "
        "Workloads run through the model's own actions on the `cost` bounds preset; cow_context runs with every "
        "--cow-fix on.  Prints a markdown table (or --json).  Exit 0, 1 if an invariant broke in a workload, 2 usage.");
    cmd->add_option("--sweep", o->sweeps, "run only this sweep (repeatable): depth, width, vmas, mremaps, unmapped");
    cmd->add_option("--max", o->max, "end every sweep at x = N (at least its first point), for a quick run");
    cmd->add_flag("--json", o->json, "print one JSON object instead of the table");
    cmd->add_option("--plots", o->plots, "write DIR/cost-<sweep>.png with gnuplot (one 4-panel plot per sweep)");
    cmd->add_option("--out", o->out, "write DIR/cost.md (table) and DIR/cost-<sweep>.png (bench/cost.sh)");
    cmd->callback([o, &code] { code = run_compare(*o); });
}

}  // namespace cli
