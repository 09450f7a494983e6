// solver/dot.hpp — the object graph of a state as Graphviz, violating objects in red.
//
// What a kernel developer draws on a whiteboard for an rmap bug: each mm as a
// box holding its VMAs and present PTEs; anon_vmas with their root and parent
// links; the anon_vma_chain as dashed VMA -> anon_vma edges; folios with their
// mapping (folio_anon_vma); PTE -> folio and TLB entry -> folio translations,
// the TLB grouped per cpu.  Pointers to freed objects are drawn to a dashed
// "(freed)" node so use-after-free shows as an edge.  Under the COW context design
// (model/cow_context.hpp) the rmap objects are the contexts instead: one per mm
// (mm -> cow_context), the parent link and the children list (parent -> child,
// dashed, in list order), folio -> cow_context, and each context's remap records
// (remap_mt: one line per maple-tree entry, pgoff range -> offsets); a VMA shows
// its PoC offset (vm_start - vm_pgoff) and DUMMY_ANON_VMA once faulted.  With --phased
// migrate, a migration entry is a dashed node in its mm, drawn dashed to the old folio it
// points to.
//
// Highlighting: the kinds of object the broken invariant talks about
// (solver::objects_of).  For invariants over folios the culprits are narrowed
// without per-invariant code: the invariant is re-evaluated on copies of the
// state that keep one folio (and the PTEs, TLB entries and mmu_gather
// references to it) and drop the others; the folios whose copy still breaks it
// are the culprits.  Invariants about what reads return highlight the
// translations whose folio holds something other than the expected value.
#pragma once
#include <cstdint>
#include <set>
#include <sstream>
#include <string>

#include "narrative.hpp"

namespace solver {

namespace dot_detail {

inline std::string id(const char* kind, int a, int b = -1, int c = -1) {
    std::string s = kind;   // appended piecewise: GCC 12 warns (-Wrestrict) on "_" + std::string
    s += std::to_string(a);
    for (int x : {b, c})
        if (x >= 0) {
            s += '_';
            s += std::to_string(x);
        }
    return s;
}

/// A copy of s that keeps only folio `keep` (-1: none) and the references to it.
template <class S> S isolate_folio(const S& s, int keep) {
    using P = typename S::preset;
    S t = s;
    for (int f = 0; f < P::folios; ++f) {
        if (f == keep) continue;
        t.folio[f] = {};
        for (auto& m : t.mm) m.gather[f] = 0;
    }
    for (auto& per_mm : t.pte)
        for (auto& p : per_mm)
            if (p.present && p.folio.v != keep) p = {};
    for (auto& per_cpu : t.tlb)
        for (auto& per_mm : per_cpu)
            for (auto& e : per_mm)
                if (e.valid && e.folio.v != keep) e = {};
    for (auto& area : t.mermap)   // the mermap's slots and kernel TLB entries
        for (int k = 0; k < model::mermap_slots; ++k) {
            if (area.pte[k].v != keep) area.pte[k] = model::nil;
            if (area.tlb[k].v != keep) area.tlb[k] = model::nil;
        }
    for (auto& g : t.region) {   // mshare: the region's own PTEs and host gather
        for (auto& p : g.pte)
            if (p.present && p.folio.v != keep) p = {};
        for (int f = 0; f < P::folios; ++f)
            if (f != keep) g.gather[f] = 0;
    }
    return t;
}

/// The value a translation to `folio` reads.
template <class S> int reads(const S& s, int folio) {
    if (folio == model::zero_pfn) return 0;
    if (folio < 0 || folio >= static_cast<int>(s.folio.size())) return -1;
    return s.folio[folio].content.v;
}

}  // namespace dot_detail

/// Node ids of the objects the broken invariant `violated` involves in state s.
template <class S> std::set<std::string> involved(const config& cfg, const S& s, int violated) {
    using P = typename S::preset;
    using dot_detail::id;
    std::set<std::string> out;
    if (violated < 0) return out;
    const unsigned kinds = objects_of(violated);
    const auto inv = static_cast<props::inv>(violated);

    // Culprit folios, when the invariant can be blamed on single folios.
    std::set<int> culprits;
    if ((kinds & obj_folio) && props::holds(inv, cfg, dot_detail::isolate_folio(s, -1)))
        for (int f = 0; f < P::folios; ++f)
            if (!props::holds(inv, cfg, dot_detail::isolate_folio(s, f))) culprits.insert(f);
    // Translations that read the wrong value, for the invariants about reads.
    std::set<std::string> wrong;
    if (kinds & obj_ref) {
        for (int m = 0; m < P::mms; ++m)
            for (int v = 0; v < P::va_pages; ++v) {
                const auto& p = s.pte[m][v];
                if (p.present && dot_detail::reads(s, p.folio.v) != s.ref[m][v].v) {
                    wrong.insert(id("pte", m, v));
                    if (p.folio.v < P::folios) culprits.insert(p.folio.v);
                }
                for (int c = 0; c < P::cpus; ++c) {
                    const auto& e = s.tlb[c][m][v];
                    if (e.valid && dot_detail::reads(s, e.folio.v) != s.ref[m][v].v) {
                        wrong.insert(id("tlb", c, m, v));
                        if (e.folio.v < P::folios) culprits.insert(e.folio.v);
                    }
                }
            }
    }
    const bool narrow = !culprits.empty() || !wrong.empty();
    auto hit = [&](int f) { return !narrow || culprits.count(f); };

    out.insert(wrong.begin(), wrong.end());
    for (int f = 0; f < P::folios; ++f)
        if ((kinds & obj_folio) && hit(f) && (s.folio[f].allocated || narrow)) {
            out.insert(id("folio", f));
            if ((kinds & obj_anon_vma) && s.folio[f].allocated && s.folio[f].mapping.v < P::anon_vmas)
                out.insert(id("anon_vma", s.folio[f].mapping.v));
            if ((kinds & obj_anon_vma) && cfg.cow() && s.folio[f].allocated && s.folio[f].cow_context.v < P::anon_vmas)
                out.insert(id("cow_ctx", s.folio[f].cow_context.v));
        }
    for (int m = 0; m < P::mms; ++m) {
        if ((kinds & (obj_mm | obj_ref)) && s.mm[m].live) {
            bool mine = !narrow;
            for (int f : culprits) mine = mine || s.mm[m].gather[f].v;
            for (int v = 0; v < P::va_pages; ++v) mine = mine || wrong.count(id("pte", m, v));
            if (mine) out.insert(id("mm", m));
        }
        for (int v = 0; v < P::va_pages; ++v) {
            const auto& p = s.pte[m][v];
            if ((kinds & obj_pte) && p.present && hit(p.folio.v) && wrong.empty()) out.insert(id("pte", m, v));
            if ((kinds & obj_vma) && p.present && narrow && culprits.count(p.folio.v))
                if (const int i = model::find_vma(s, m, model::cint(v)).v; i < P::vmas) out.insert(id("vma", m, i));
            for (int c = 0; c < P::cpus; ++c) {
                const auto& e = s.tlb[c][m][v];
                if ((kinds & obj_tlb) && e.valid && hit(e.folio.v) && wrong.empty()) out.insert(id("tlb", c, m, v));
            }
        }
        if (!narrow && (kinds & obj_vma))
            for (int i = 0; i < P::vmas; ++i)
                if (s.vma[m][i].used) out.insert(id("vma", m, i));
    }
    for (int c = 0; c < P::cpus; ++c)   // the mermap's kernel TLB entries (model/mermap.hpp)
        for (int k = 0; k < model::mermap_slots; ++k) {
            const int f = s.mermap[c].tlb[k].v;
            if ((kinds & obj_tlb) && f != model::nil && hit(f) && wrong.empty()) out.insert(id("mermap_tlb", c, k));
        }
    if (kinds & obj_region)   // mshare: the region, and what of it the invariant is about
        for (int r = 0; r < model::regions_of<P>; ++r) {
            const auto& g = s.region[r];
            bool walked = false;
            for (int m = 0; m < P::mms; ++m) {
                // A process whose list entry, window and link disagree (attached_list_exact),
                // or that links the table (share_count_exact, table_lifetime).
                const bool odd = g.attached[m] != g.windowed[m] || (g.windowed[m] && !s.mm[m].live) ||
                                 (g.linked[m] && !g.windowed[m]) || (g.windowed[m] && !g.live);
                if (odd || (inv == props::inv::mshare_share_count_exact && g.linked[m])) {
                    out.insert(id("window", m, r));
                    if (s.mm[m].live) out.insert(id("mm", m));
                }
                walked = walked || g.linked[m];
                for (int c = 0; c < P::cpus; ++c)
                    if (s.psc[c][m][r]) {
                        walked = true;
                        if (inv == props::inv::mshare_table_lifetime && !(g.live && g.table)) out.insert(id("psc", c, m, r));
                    }
            }
            bool windows = false;
            for (int m = 0; m < P::mms; ++m) windows = windows || (g.windowed[m] && s.mm[m].live);
            if (g.live || g.table || walked || windows) {
                out.insert(id("region", r));
                if (inv == props::inv::mshare_table_lifetime || inv == props::inv::mshare_share_count_exact)
                    out.insert(id("region_table", r));
            }
        }
    if (!narrow && (kinds & obj_anon_vma))
        for (int k = 0; k < P::anon_vmas; ++k) {
            if (s.anon_vma[k].live) out.insert(id("anon_vma", k));
            if (cfg.cow() && s.cow_ctx[k].live) out.insert(id("cow_ctx", k));
        }
    return out;
}

/// Extra marks for the HTML viewer: the nodes a step changed (drawn in blue), and
/// SVG classes ("violating", "changed") on the marked nodes.
struct dot_marks {
    std::set<std::string> changed;
    bool classes = false;
};

/// Graphviz of the object graph of `s`; `title` goes on top (none if empty), `violated`
/// (or -1) picks the red objects, `marks` (optional) the changed ones.
template <class S>
std::string to_dot(const config& cfg, const S& s, int violated, const std::string& title, const dot_marks* marks = nullptr) {
    using P = typename S::preset;
    using dot_detail::id;
    const auto red = involved(cfg, s, violated);
    std::ostringstream o;
    std::set<std::string> freed;   // nodes for pointers to freed objects
    auto attrs = [&](const std::string& node) {
        const bool is_red = red.count(node) > 0, is_changed = marks && marks->changed.count(node) > 0;
        std::string a = is_red ? ", color=red, fontcolor=red, penwidth=2.5"
                               : is_changed ? ", color=\"#1565c0\", penwidth=2.5" : "";
        if (marks && marks->classes && (is_red || is_changed)) {
            a += ", class=\"";
            a += is_red ? (is_changed ? "violating changed" : "violating") : "changed";
            a += '"';
        }
        return a;
    };
    auto folio_ref = [&](int f) -> std::string {
        if (f == model::zero_pfn) return "zero_page";
        if (f < 0 || f >= P::folios) return "";
        if (!s.folio[f].allocated) freed.insert(id("folio", f));
        return id("folio", f);
    };
    auto cow_ref = [&](int k) -> std::string {
        if (k < 0 || k >= P::anon_vmas) return "";
        if (!s.cow_ctx[k].live) freed.insert(id("cow_ctx", k));
        return id("cow_ctx", k);
    };
    auto anon_vma_ref = [&](int k) -> std::string {
        if (k < 0 || k >= P::anon_vmas) return "";
        if (!s.anon_vma[k].live) freed.insert(id("anon_vma", k));
        return id("anon_vma", k);
    };
    auto region_ref = [&](int r) -> std::string {   // an mshare region (msharefs file + host mm)
        if (!s.region[r].live && !s.region[r].table) freed.insert(id("region", r));
        return id("region", r);
    };
    auto table_ref = [&](int r) -> std::string {   // an mshare region's host PTE table
        if (!s.region[r].table) freed.insert(id("region_table", r));
        return id("region_table", r);
    };
    std::string escaped;
    for (char c : title) escaped += c == '"' ? std::string("\\\"") : c == '\n' ? std::string("\\l") : std::string(1, c);
    std::string label_attr;   // built piecewise (GCC 12 -Wrestrict on "literal" + std::string)
    if (!title.empty()) {
        label_attr = ", label=\"";
        label_attr += escaped;
        label_attr += "\\l\"";
    }

    o << "digraph cowcheck {\n"
      << "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=12, labelloc=t, labeljust=l, nodesep=0.2, "
         "ranksep=0.7" << label_attr << "];\n"
      << "  node [fontname=\"Helvetica\", fontsize=10, shape=box, style=\"rounded,filled\", fillcolor=white];\n"
      << "  edge [fontname=\"Helvetica\", fontsize=9, color=gray30];\n";
    bool any_zero = false;
    std::ostringstream edges;

    // Each mm: its VMAs and present PTEs.
    for (int m = 0; m < P::mms; ++m) {
        const auto& mm = s.mm[m];
        if (!mm.live) continue;
        o << "  subgraph cluster_mm" << m << " {\n    label=\"mm" << m << "\"; style=\"rounded\"; color=gray60;\n";
        std::string label = "mm" + std::to_string(m) + (mm.locked ? " (mmap_lock held)" : "") + "\\nmm_cpumask {";
        for (int c = 0, n = 0; c < P::cpus; ++c)
            if (mm.cpumask[c]) label += (n++ ? "," : "") + std::string("cpu") + std::to_string(c);
        label += "}\\nexpected:";
        for (int v = 0; v < P::va_pages; ++v) label += " [" + std::to_string(v) + "]=" + std::to_string(s.ref[m][v].v);
        for (int f = 0; f < P::folios; ++f)
            if (mm.gather[f].v) label += "\\nmmu_gather: folio" + std::to_string(f) + " x" + std::to_string(mm.gather[f].v);
        o << "    " << id("mm", m) << " [label=\"" << label << "\", fillcolor=\"#dbe8f7\"" << attrs(id("mm", m)) << "];\n";
        for (int i = 0; i < P::vmas; ++i) {
            const auto& v = s.vma[m][i];
            if (!v.used) continue;
            const int fl = v.flags.v;
            o << "    " << id("vma", m, i) << " [label=\"vma" << i << " [" << int(v.start.v) << ","
              << int(v.start.v + v.pages.v) << ")\\nvm_pgoff " << int(v.pgoff.v) << ((fl & model::VM_WRITE) ? "  rw" : "  r-")
              << ((fl & model::VM_WIPEONFORK) ? "\\nVM_WIPEONFORK" : "") << ((fl & model::VM_DONTCOPY) ? "\\nVM_DONTCOPY" : "");
            if (cfg.cow()) {   // the PoC's offset, and the "faulted" marker
                o << "\\noffset " << static_cast<int>(static_cast<std::int8_t>(model::cow::vma_offset(v).v));
                if (v.anon_vma.v == model::cow::dummy_anon_vma) o << "  DUMMY_ANON_VMA";
            }
            o << "\", fillcolor=\"#fff4c2\"" << attrs(id("vma", m, i)) << "];\n";
            edges << "  " << id("mm", m) << " -> " << id("vma", m, i) << ";\n";
            const std::string av = anon_vma_ref(v.anon_vma.v);
            if (!av.empty()) edges << "  " << id("vma", m, i) << " -> " << av << " [label=\"anon_vma\", penwidth=1.6];\n";
            for (int k = 0; k < P::anon_vmas; ++k)
                if (v.chain[k] && k != v.anon_vma.v)
                    edges << "  " << id("vma", m, i) << " -> " << anon_vma_ref(k)
                          << " [label=\"avc\", style=dashed, color=gray50, fontcolor=gray40];\n";
        }
        for (int v = 0; v < P::va_pages; ++v) {
            const auto& p = s.pte[m][v];
            if (!p.present) continue;
            o << "    " << id("pte", m, v) << " [label=\"pte [" << v << "] " << (p.writable ? "rw" : "r-")
              << "\", shape=ellipse, style=filled, fillcolor=\"#eeeeee\"" << attrs(id("pte", m, v)) << "];\n";
            const std::string f = folio_ref(p.folio.v);
            any_zero = any_zero || f == "zero_page";
            if (!f.empty()) edges << "  " << id("pte", m, v) << " -> " << f << ";\n";
            // Lay the PTE out after the VMA that covers it (no line drawn).
            if (const int i = model::find_vma(s, m, model::cint(v)).v; i < P::vmas)
                edges << "  " << id("vma", m, i) << " -> " << id("pte", m, v) << " [style=invis];\n";
        }
        for (int v = 0; v < P::va_pages; ++v) {   // --phased migrate: migration entries (not present)
            const auto& e = s.migration_entry[m][v];
            if (e.folio.v == model::nil) continue;
            o << "    " << id("migration_entry", m, v) << " [label=\"migration entry [" << v << "] "
              << (e.writable ? "rw" : "r-") << "\", shape=ellipse, style=\"filled,dashed\", fillcolor=\"#f3e3f7\""
              << attrs(id("migration_entry", m, v)) << "];\n";
            if (const std::string f = folio_ref(e.folio.v); !f.empty())
                edges << "  " << id("migration_entry", m, v) << " -> " << f << " [style=dashed];\n";
            if (const int i = model::find_vma(s, m, model::cint(v)).v; i < P::vmas)
                edges << "  " << id("vma", m, i) << " -> " << id("migration_entry", m, v) << " [style=invis];\n";
        }
        for (int r = 0; r < model::regions_of<P>; ++r) {   // mshare windows onto a region
            const auto& g = s.region[r];
            if (!g.windowed[m] && !g.linked[m]) continue;
            const int w = g.window[m].v;
            o << "    " << id("window", m, r) << " [label=\"window [" << w << "," << w + model::region_pages_of<P>
              << ") -> region" << r << (g.attached[m] ? "\\non the attacher list" : "\\nnot on the attacher list")
              << (g.busy && g.todo[m] ? "\\nflush owed" : "") << "\", fillcolor=\"#fff4c2\", style=\"rounded,filled,dashed\""
              << attrs(id("window", m, r)) << "];\n";
            edges << "  " << id("mm", m) << " -> " << id("window", m, r) << ";\n";
            edges << "  " << id("window", m, r) << " -> " << region_ref(r)
                  << " [label=\"vm_file\", style=dashed, color=\"#ad1457\", fontcolor=\"#ad1457\"];\n";
            if (g.linked[m])
                edges << "  " << id("window", m, r) << " -> " << table_ref(r)
                      << " [label=\"linked (set_p4d)\", color=\"#ad1457\", penwidth=1.6];\n";
        }
        o << "  }\n";
        if (const std::string c = cfg.cow() ? cow_ref(mm.cow_context.v) : std::string(); !c.empty())
            edges << "  " << id("mm", m) << " -> " << c << " [label=\"cow_context\", color=\"#00838f\", penwidth=1.6];\n";
    }
    // COW contexts: mm (or NULL once dropped), refcnt, remap records; parent and children.
    for (int k = 0; k < P::anon_vmas && cfg.cow(); ++k) {
        const auto& x = s.cow_ctx[k];
        if (!x.live) continue;
        std::string label = "cow_context";   // built piecewise (GCC 12 -Wrestrict)
        label += std::to_string(k);
        label += "\\n";
        if (x.mm.v == model::nil) label += "mm NULL (dropped)";
        else {
            label += "mm";
            label += std::to_string(x.mm.v);
        }
        label += "  refcnt ";
        label += std::to_string(x.refcount.v);
        for (int p = 0; p < P::va_pages; ++p) {
            const int st = x.rstart[p].v;
            if (st == model::nil || (p > 0 && x.rstart[p - 1].v == st)) continue;
            int last = p;
            while (last + 1 < P::va_pages && x.rstart[last + 1].v == st) ++last;
            label += "\\nremap [";
            label += std::to_string(p);
            label += ',';
            label += std::to_string(last);
            label += "] {";
            for (int j = 0; j < x.rnr[p].v && j < static_cast<int>(x.roff[p].size()); ++j) {
                if (j) label += ",";
                label += std::to_string(static_cast<std::int8_t>(x.roff[p][j].v));
            }
            label += x.rnr[p].v == 1 ? "} simple" : "} dynarray";
        }
        o << "  " << id("cow_ctx", k) << " [label=\"" << label << "\", shape=box, style=\"filled\", fillcolor=\"#d4f1f4\""
          << attrs(id("cow_ctx", k)) << "];\n";
        if (const std::string par = cow_ref(x.parent.v); !par.empty())
            edges << "  " << id("cow_ctx", k) << " -> " << par << " [label=\"parent\", color=\"#00838f\"];\n";
        // The children list, in list order (first_child, then next sibling).
        int n = 0;
        for (int c = x.first_child.v; c != model::nil && c < P::anon_vmas && n < P::anon_vmas; ++n) {
            edges << "  " << id("cow_ctx", k) << " -> " << cow_ref(c) << " [label=\"child " << n
                  << "\", style=dashed, color=\"#00838f\", fontcolor=\"#00838f\"];\n";
            c = s.cow_ctx[c].next_sibling.v;
        }
    }
    // anon_vmas with their root and parent.
    for (int k = 0; k < P::anon_vmas; ++k) {
        const auto& a = s.anon_vma[k];
        if (!a.live) continue;
        const bool is_root = a.root.v == k;
        o << "  " << id("anon_vma", k) << " [label=\"anon_vma" << k << (is_root ? " (root)" : "") << "\\nrefcount "
          << int(a.refcount.v) << "  num_children " << int(a.num_children.v) << "\\nnum_active_vmas "
          << int(a.num_active_vmas.v) << "\", shape=box, style=\"filled\", fillcolor=\"#d9f2d9\"" << attrs(id("anon_vma", k))
          << "];\n";
        const std::string root = anon_vma_ref(a.root.v), parent = anon_vma_ref(a.parent.v);
        if (root == parent && !root.empty() && a.root.v != k)
            edges << "  " << id("anon_vma", k) << " -> " << root << " [label=\"root, parent\", color=\"#2e7d32\"];\n";
        else {
            if (!root.empty() && a.root.v != k)
                edges << "  " << id("anon_vma", k) << " -> " << root << " [label=\"root\", color=\"#2e7d32\", style=dashed];\n";
            if (!parent.empty() && a.parent.v != k)
                edges << "  " << id("anon_vma", k) << " -> " << parent << " [label=\"parent\", color=\"#2e7d32\"];\n";
        }
    }
    // Folios and their mapping.
    for (int f = 0; f < P::folios; ++f) {
        const auto& fo = s.folio[f];
        if (!fo.allocated) continue;
        o << "  " << id("folio", f) << " [label=\"folio" << f << "\\nmapcount " << int(fo.mapcount.v) << "  refcount "
          << int(fo.refcount.v) << (fo.pincount.v ? "  pins " + std::to_string(fo.pincount.v) : "")
          << (fo.anon_exclusive ? "\\nPageAnonExclusive" : "") << "\\nindex " << int(fo.index.v) << "  data "
          << int(fo.content.v) << "\", shape=box, style=filled, fillcolor=\"#fde3cf\"" << attrs(id("folio", f)) << "];\n";
        const std::string av = anon_vma_ref(fo.mapping.v);
        if (!av.empty()) edges << "  " << id("folio", f) << " -> " << av << " [label=\"mapping\", color=\"#b35900\"];\n";
        if (cfg.cow())
            if (const std::string c = cow_ref(fo.cow_context.v); !c.empty())
                edges << "  " << id("folio", f) << " -> " << c << " [label=\"cow_context\", color=\"#b35900\"];\n";
    }
    // mshare regions: the host mm's side (region, its one PTE table, the region's PTEs).
    for (int r = 0; r < model::regions_of<P>; ++r) {
        const auto& g = s.region[r];
        if (!g.live && !g.table) continue;
        std::string label = "region";   // built piecewise (GCC 12 -Wrestrict)
        label += std::to_string(r);
        label += g.live ? " (host mm)" : " (freed, table remains)";
        label += "\\nowner ";
        if (g.owner.v == model::nil) label += "none";
        else {
            label += "mm";
            label += std::to_string(g.owner.v);
        }
        label += g.mapped ? "  object mapped" : "";
        label += g.readonly ? "  PROT_READ" : "";
        label += "\\nattachers {";
        for (int m = 0, n = 0; m < P::mms; ++m)
            if (g.attached[m]) {
                label += n++ ? ",mm" : "mm";
                label += std::to_string(m);
            }
        label += "}";
        if (g.busy) {
            label += g.dying ? "\\nteardown in flight" : g.discard ? "\\nunmap in flight" : "\\nprotect/advise in flight";
            label += ", flush owed {";
            for (int m = 0, n = 0; m < P::mms; ++m)
                if (g.todo[m]) {
                    label += n++ ? ",mm" : "mm";
                    label += std::to_string(m);
                }
            label += "}";
        }
        label += "\\nexpected:";
        for (int p = 0; p < model::region_pages_of<P>; ++p) {
            label += " [";
            label += std::to_string(p);
            label += "]=";
            label += std::to_string(g.data[p].v);
        }
        for (int f = 0; f < P::folios; ++f)
            if (g.gather[f].v) {
                label += "\\nmmu_gather: folio";
                label += std::to_string(f);
            }
        o << "  subgraph cluster_region" << r << " {\n    label=\"mshare region" << r
          << "\"; style=\"rounded\"; color=\"#ad1457\";\n";
        o << "    " << id("region", r) << " [label=\"" << label << "\", fillcolor=\"#f8d7e6\"" << attrs(id("region", r)) << "];\n";
        if (g.table) {
            o << "    " << id("region_table", r) << " [label=\"PTE table (share count " << int(g.share.v)
              << ")\", shape=box3d, style=filled, fillcolor=\"#f8d7e6\"" << attrs(id("region_table", r)) << "];\n";
            edges << "  " << id("region", r) << " -> " << id("region_table", r) << ";\n";
        }
        for (int p = 0; p < model::region_pages_of<P>; ++p) {
            const auto& pt = g.pte[p];
            if (!pt.present) continue;
            o << "    " << id("region_pte", r, p) << " [label=\"pte [" << p << "] " << (pt.writable ? "rw" : "r-")
              << "\", shape=ellipse, style=filled, fillcolor=\"#eeeeee\"" << attrs(id("region_pte", r, p)) << "];\n";
            edges << "  " << table_ref(r) << " -> " << id("region_pte", r, p) << " [style=invis];\n";
            if (const std::string f = folio_ref(pt.folio.v); !f.empty()) edges << "  " << id("region_pte", r, p) << " -> " << f << ";\n";
        }
        o << "  }\n";
        for (int m = 0; m < P::mms; ++m)
            if (g.attached[m] && !g.windowed[m])   // listed without a window: draw the list entry itself
                edges << "  " << id("region", r) << " -> " << id("mm", m)
                      << " [label=\"attacher list\", style=dashed, color=\"#ad1457\", fontcolor=\"#ad1457\"];\n";
    }
    // TLB entries, per cpu.
    for (int c = 0; c < P::cpus; ++c) {
        std::ostringstream entries;
        for (int m = 0; m < P::mms; ++m)
            for (int v = 0; v < P::va_pages; ++v) {
                const auto& e = s.tlb[c][m][v];
                if (!e.valid) continue;
                entries << "    " << id("tlb", c, m, v) << " [label=\"mm" << m << "[" << v << "] "
                        << (e.writable ? "rw" : "r-") << "\", shape=cds, style=filled, fillcolor=\"#e6dcf5\""
                        << attrs(id("tlb", c, m, v)) << "];\n";
                const std::string f = folio_ref(e.folio.v);
                any_zero = any_zero || f == "zero_page";
                if (!f.empty())
                    edges << "  " << id("tlb", c, m, v) << " -> " << f << " [style=dotted, color=\"#6a3d9a\"];\n";
            }
        for (int m = 0; m < P::mms; ++m)   // mshare: paging-structure cache entries
            for (int r = 0; r < model::regions_of<P>; ++r) {
                if (!s.psc[c][m][r]) continue;
                entries << "    " << id("psc", c, m, r) << " [label=\"psc mm" << m << ": region" << r
                        << " table\", shape=cds, style=filled, fillcolor=\"#f3e5f5\"" << attrs(id("psc", c, m, r)) << "];\n";
                edges << "  " << id("psc", c, m, r) << " -> " << table_ref(r) << " [style=dotted, color=\"#ad1457\"];\n";
            }
        for (int k = 0; k < model::mermap_slots; ++k) {   // the mermap's kernel entries
            const std::string f = folio_ref(s.mermap[c].tlb[k].v);
            if (f.empty()) continue;
            entries << "    " << id("mermap_tlb", c, k) << " [label=\"mermap slot " << k
                    << "\", shape=cds, style=filled, fillcolor=\"#fde7c8\"" << attrs(id("mermap_tlb", c, k)) << "];\n";
            edges << "  " << id("mermap_tlb", c, k) << " -> " << f << " [style=dotted, color=\"#e65100\"];\n";
        }
        const int runs = s.cpu[c].mm.v;
        if (entries.str().empty() && runs == model::nil) continue;
        o << "  subgraph cluster_tlb" << c << " {\n    label=\"cpu" << c << " TLB"
          << (runs == model::nil ? std::string(" (idle)") : " (runs mm" + std::to_string(runs) + ")")
          << "\"; style=\"rounded,dashed\"; color=\"#6a3d9a\";\n";
        if (entries.str().empty())
            o << "    " << id("tlb_empty", c) << " [label=\"(empty)\", shape=plaintext, style=\"\"" << attrs(id("tlb_empty", c)) << "];\n";
        o << entries.str() << "  }\n";
    }
    if (any_zero) o << "  zero_page [label=\"zero page\", shape=box, style=filled, fillcolor=\"#f2f2f2\"];\n";
    for (const auto& n : freed)
        o << "  " << n << " [label=\"" << n << "\\n(freed)\", style=\"dashed,filled\", fillcolor=\"#f2f2f2\", fontcolor=gray30" << attrs(n) << "];\n";
    o << edges.str() << "}\n";
    return o.str();
}

/// Graphviz of the state where a trace ends (the failing step), titled with what broke.
template <class S>
std::string trace_dot(const config& cfg, const std::vector<action>& trace, int violated, const std::string& heading) {
    std::vector<S> all;
    replay<S>(cfg, trace, 0, &all);
    std::string title = heading;
    if (violated >= 0) {
        const auto& info = props::invariants()[violated];
        title += std::string(title.empty() ? "" : "\n") + info.name + " broken after step " +
                 std::to_string(all.size() - 1) + (all.size() < 2 ? "" : ": " + model::describe(trace[all.size() - 2])) +
                 "\n" + info.claim;
    }
    return to_dot(cfg, all.back(), violated, title);
}

}  // namespace solver
