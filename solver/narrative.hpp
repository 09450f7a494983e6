// solver/narrative.hpp — a counterexample in kernel terms.
//
// Renders concrete states as the objects a kernel developer knows (mm, VMA,
// anon_vma, folio, PTE, TLB entry) and a trace as numbered steps, each followed
// by what it changed; the end names the broken invariant and the objects it
// involves.
#pragma once
#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "print.hpp"
#include "replay.hpp"

namespace solver {

inline std::string idx(const char* what, int i) { return i == model::nil ? "NULL" : what + std::to_string(i); }
inline std::string pfn(int f) { return f == model::zero_pfn ? "zero_page" : "folio" + std::to_string(f); }
/// The first n remap offsets of a walker array (signed 8-bit leaves) as " {a, b}".
template <class A> std::string offsets_text(const A& offs, int n) {
    std::string t = " {";
    for (int k = 0; k < n && k < static_cast<int>(offs.size()); ++k)
        t += (k ? ", " : "") + std::to_string(int(static_cast<std::int8_t>(offs[k].v)));
    return t + "}";
}

template <class V> std::string vma_line(int m, int i, const V& v) {
    std::ostringstream o;
    const int fl = v.flags.v;
    o << "mm" << m << " vma" << i << " [" << int(v.start.v) << "," << int(v.start.v + v.pages.v) << ")"
      << " vm_pgoff=" << int(v.pgoff.v) << ((fl & model::VM_WRITE) ? " rw" : " r-")
      << ((fl & model::VM_WIPEONFORK) ? " VM_WIPEONFORK" : "") << ((fl & model::VM_DONTCOPY) ? " VM_DONTCOPY" : "")
      << " anon_vma=" << (v.anon_vma.v == model::cow::dummy_anon_vma ? std::string("DUMMY_ANON_VMA") : idx("anon_vma", v.anon_vma.v))
      << " chain={";
    bool first = true;
    for (std::size_t k = 0; k < v.chain.size(); ++k)
        if (v.chain[k]) { o << (first ? "" : ",") << "anon_vma" << k; first = false; }
    o << "}";
    return o.str();
}

/// What kinds of object an invariant talks about (for "objects involved").
enum objects : unsigned {
    obj_mm = 1, obj_vma = 2, obj_pte = 4, obj_folio = 8, obj_anon_vma = 16, obj_tlb = 32, obj_ref = 64,
    obj_region = 128,   // mshare regions: host table, windows, attacher list, paging-structure caches
};

inline unsigned objects_of(int which) {
    using props::inv;
    switch (static_cast<inv>(which)) {
        case inv::reads_match_reference:
        case inv::every_read_matches_reference: return obj_ref | obj_pte | obj_tlb | obj_folio;
        case inv::rmap_complete:
        case inv::rmap_root_agrees:
        case inv::folio_index_linear: return obj_vma | obj_pte | obj_folio | obj_anon_vma;
        case inv::mapcount_exact:
        case inv::refcount_exact: return obj_pte | obj_folio | obj_mm;
        case inv::no_pte_to_freed_folio: return obj_pte | obj_folio;
        case inv::no_tlb_to_freed_folio:
        case inv::writable_tlb_is_exclusive: return obj_tlb | obj_folio;
        case inv::anon_exclusive_mapped_once:
        case inv::writable_pte_is_exclusive: return obj_pte | obj_folio;
        case inv::zero_page_never_written: return obj_mm | obj_pte | obj_folio;
        case inv::tlb_entry_backed: return obj_tlb | obj_folio | obj_mm;
        case inv::mshare_no_write_after_protect:
        case inv::mshare_no_read_outside_window: return obj_tlb | obj_folio | obj_mm | obj_region;
        case inv::mshare_attached_list_exact:
        case inv::mshare_share_count_exact:
        case inv::mshare_table_lifetime: return obj_mm | obj_tlb | obj_region;
        default: return obj_vma | obj_anon_vma | obj_folio;
    }
}

/// An mshare region (model/mshare.hpp) as lines: the region and its host table, each
/// window, and each paging-structure cache entry that may still walk the table.
/// Nothing when the region has never been used (every non-mshare state).
template <class S> std::string region_text(const S& s, int r, const std::string& ind) {
    using P = typename S::preset;
    const auto& g = s.region[r];
    std::ostringstream o;
    if (g.live || g.table) {
        o << ind << "region" << r << (g.live ? "" : " (freed)") << " owner=" << idx("mm", g.owner.v)
          << (g.mapped ? " mapped" : "") << (g.readonly ? " readonly" : "")
          << " table=" << (g.table ? "allocated" : "none") << " share=" << int(g.share.v) << " attachers={";
        for (int m = 0, n = 0; m < P::mms; ++m)
            if (g.attached[m]) o << (n++ ? "," : "") << "mm" << m;
        o << "}";
        if (g.busy) {
            o << " busy" << (g.dying ? "(teardown)" : g.discard ? "(unmap)" : "") << " flush owed={";
            for (int m = 0, n = 0; m < P::mms; ++m)
                if (g.todo[m]) o << (n++ ? "," : "") << "mm" << m;
            o << "}";
        }
        for (int f = 0; f < P::folios; ++f)
            if (g.gather[f].v) o << " gather:" << pfn(f);
        o << " data:";
        for (int p = 0; p < model::region_pages_of<P>; ++p) o << " [" << p << "]=" << int(g.data[p].v);
        o << "\n";
        for (int p = 0; p < model::region_pages_of<P>; ++p)
            if (g.pte[p].present)
                o << ind << "region" << r << " pte[" << p << "] -> " << pfn(g.pte[p].folio.v) << (g.pte[p].writable ? " rw" : " r-") << "\n";
    }
    for (int m = 0; m < P::mms; ++m)
        if (g.windowed[m] || g.linked[m])
            o << ind << "window mm" << m << "[" << int(g.window[m].v) << "," << int(g.window[m].v) + model::region_pages_of<P>
              << ") -> region" << r << (g.linked[m] ? " table linked" : " table not linked") << "\n";
    for (int c = 0; c < P::cpus; ++c)
        for (int m = 0; m < P::mms; ++m)
            if (s.psc[c][m][r]) o << ind << "psc cpu" << c << " mm" << m << " -> region" << r << " table" << (g.table ? "" : " (freed)") << "\n";
    return o.str();
}

/// The live objects of the given kinds, one per line.
template <class S> std::string objects_text(const S& s, unsigned kinds, const std::string& ind = "    ") {
    using P = typename S::preset;
    std::ostringstream o;
    if (kinds & obj_mm)
        for (int m = 0; m < P::mms; ++m) {
            if (!s.mm[m].live) continue;
            o << ind << "mm" << m
              << (model::in_mremap(s, m) ? " (mmap_lock held by mremap, until mremap_done)"
                  : !s.mm[m].locked        ? ""
                  : model::in_fork(s, m)   ? " (mmap_lock held by fork, until fork_done)"
                                           : " (mmap_lock held by munmap)")
              << " mm_cpumask={";
            for (int c = 0, n = 0; c < P::cpus; ++c)
                if (s.mm[m].cpumask[c]) o << (n++ ? "," : "") << "cpu" << c;
            o << "}";
            for (int f = 0; f < P::folios; ++f)
                if (s.mm[m].gather[f].v) o << " gather:" << pfn(f) << "x" << int(s.mm[m].gather[f].v);
            if (s.mm[m].foll_force) o << " forced write in flight at [" << int(s.mm[m].foll_vpage.v) << "] (mmap_lock held for read)";
            o << "\n";
        }
    if (kinds & obj_vma)
        for (int m = 0; m < P::mms; ++m)
            for (int i = 0; i < P::vmas; ++i)
                if (s.vma[m][i].used) o << ind << vma_line(m, i, s.vma[m][i]) << "\n";
    if (kinds & obj_anon_vma)
        for (int k = 0; k < P::anon_vmas; ++k) {
            const auto& a = s.anon_vma[k];
            if (!a.live) continue;
            o << ind << "anon_vma" << k << " root=" << idx("anon_vma", a.root.v) << " parent=" << idx("anon_vma", a.parent.v)
              << " refcount=" << int(a.refcount.v) << " num_children=" << int(a.num_children.v)
              << " num_active_vmas=" << int(a.num_active_vmas.v) << "\n";
        }
    if (kinds & obj_anon_vma)   // the COW context design's rmap objects
        for (int c = 0; c < P::anon_vmas; ++c) {
            const auto& x = s.cow_ctx[c];
            if (!x.live) continue;
            o << ind << "cow_context" << c << " mm=" << idx("mm", x.mm.v) << " parent=" << idx("cow_context", x.parent.v)
              << " refcnt=" << int(x.refcount.v) << " children={";
            int cur = x.first_child.v;
            for (int n = 0; cur != model::nil && cur < P::anon_vmas && n < P::anon_vmas; ++n) {
                o << (n ? "," : "") << "cow_context" << cur;
                cur = s.cow_ctx[cur].next_sibling.v;
            }
            o << "} remap_mt={";
            bool first = true;
            for (int p = 0; p < P::va_pages; ++p) {
                if (x.rstart[p].v == model::nil || (p > 0 && x.rstart[p - 1].v == x.rstart[p].v)) continue;
                int last = p;
                while (last + 1 < P::va_pages && x.rstart[last + 1].v == x.rstart[p].v) ++last;
                o << (first ? "" : " ") << "[" << p << "," << last << "]:";
                for (int k = 0; k < x.rnr[p].v && k < int(x.roff[p].size()); ++k)
                    o << (k ? "," : "") << int(static_cast<std::int8_t>(x.roff[p][k].v));
                first = false;
            }
            o << "}\n";
        }
    if (kinds & obj_folio)
        for (int f = 0; f < P::folios; ++f) {
            const auto& fo = s.folio[f];
            if (!fo.allocated) continue;
            o << ind << "folio" << f << " mapcount=" << int(fo.mapcount.v) << " refcount=" << int(fo.refcount.v)
              << (fo.pincount.v ? " pins=" + std::to_string(fo.pincount.v) : "")
              << (fo.anon_exclusive ? " PageAnonExclusive" : "") << " mapping=" << idx("anon_vma", fo.mapping.v)
              << " index=" << int(fo.index.v)
              << (fo.cow_context.v != model::nil ? " cow_context=" + idx("cow_context", fo.cow_context.v) : std::string())
              << " data=" << int(fo.content.v) << "\n";
        }
    // --phased migrate: the walk is remove_migration_ptes() (model/migrate.hpp).
    const std::string walk_of =
        "rmap walk of folio" + std::to_string(int(s.walker.folio.v)) +
        (s.walker.migrate_from.v != model::nil
             ? " (remove_migration_ptes from folio" + std::to_string(int(s.walker.migrate_from.v)) + ")"
             : std::string());
    if ((kinds & obj_folio) && s.walker.folio.v != model::nil && s.walker.anon_vma.v != model::nil) {
        // --phased walk under anon_vma (model/anon_walk.hpp)
        const auto& w = s.walker;
        o << ind << walk_of << ": " << idx("anon_vma", w.anon_vma.v) << "'s tree, root " << idx("anon_vma", w.root.v)
          << " locked for read, " << int(w.curr.v) << " VMA(s) handed to rmap_one so far\n";
    } else if ((kinds & obj_folio) && s.walker.folio.v != model::nil) {   // --phased walk (model/cow_walk.hpp)
        const auto& w = s.walker;
        o << ind << walk_of << ": at " << idx("cow_context", w.curr.v)
          << (w.visited ? " (visited)" : "") << ", root " << idx("cow_context", w.root.v)
          << (w.pin_mm.v != model::nil ? std::string(w.arr_loaded || w.arr_walking ? ", in walk_context" : ", in rmap_one") + " holding mm" +
                                                 std::to_string(w.pin_mm.v) + "'s mm_users"
                                           : std::string())
          << (w.rcu ? ", inside rcu_read_lock" : ", outside RCU")
          << (w.held ? ", holds a reference on it" : "") << (w.curr_freed ? ", which was FREED" : "");
        if (w.vma_mm.v != model::nil)   // --phased walk_vma
            o << "; rmap_one on mm" << int(w.vma_mm.v) << " vma" << int(w.vma.v)
              << (w.vma_locked ? " (read-locked)" : " (not locked)") << (w.vma_freed ? ", which was FREED" : "");
        if (w.arr_pending)   // --phased walk_vma and walk_remap: rmap_one on offset 0's VMA
            o << "; walk_context goes on to the remap_mt entry of pgoff " << int(s.folio[w.folio.v].index.v)
              << " when rmap_one returns" << (w.arr_changed ? " (its context's sequence count moved)" : "");
        if (w.arr_loaded) {   // --phased walk_remap
            o << "; walk_context has loaded the remap_mt entry of pgoff " << int(s.folio[w.folio.v].index.v)
              << " (a heap dynarray" << offsets_text(w.arr_offs, w.arr_nr.v);
            if (w.arr_slot) {   // --phased walk_remap_slots
                o << "), has read slot" << (w.arr_slot > 1 ? "s 0-" + std::to_string(w.arr_slot - 1) : " 0")
                  << " and collected" << offsets_text(w.arr_got, w.arr_got_nr.v);
            } else {
                o << ") and has not read it yet";
            }
            o << (w.arr_freed ? "; that array was FREED (krealloc)" : "");
        }
        if (w.arr_walking) {   // --phased walk_remap: the offsets read, walked one per step
            o << "; walk_context read the offsets" << offsets_text(w.arr_offs, w.arr_nr.v) << " and walks offset " << int(static_cast<std::int8_t>(w.arr_offs[w.arr_next].v)) << " next"
              << (w.arr_changed ? " (its context's sequence count moved)" : "");
        }
        for (std::size_t k = 0; k < w.rcu_freed.size(); ++k)
            if (w.rcu_freed[k]) o << "; cow_context" << k << " freed, kept by kfree_rcu";
        o << "\n";
    }
    if (kinds & obj_folio)   // --phased migrate (model/migrate.hpp)
        for (int m = 0; m < P::mms; ++m)
            for (int v = 0; v < P::va_pages; ++v)
                if (const auto& e = s.migration_entry[m][v]; e.folio.v != model::nil)
                    o << ind << "migration entry mm" << m << "[" << v << "] -> folio" << int(e.folio.v)
                      << (e.writable ? " (writable)" : "") << "\n";
    if ((kinds & obj_folio) && s.walk_missed)   // --phased walk (model/cow_walk.hpp walker_end)
        o << ind << "the last rmap walk ended without reaching mm" << int(s.walk_missed) - 1
          << "'s mapping of the folio, which lasted through it\n";
    if ((kinds & obj_folio) && s.zero_page.v) o << ind << "zero_page data=" << int(s.zero_page.v) << " (the shared zero page was written)\n";
    if (kinds & obj_pte)
        for (int m = 0; m < P::mms; ++m)
            for (int v = 0; v < P::va_pages; ++v) {
                const auto& p = s.pte[m][v];
                if (p.present) o << ind << "pte mm" << m << "[" << v << "] -> " << pfn(p.folio.v) << (p.writable ? " rw" : " r-") << "\n";
            }
    if (kinds & obj_tlb)
        for (int c = 0; c < P::cpus; ++c)
            for (int m = 0; m < P::mms; ++m)
                for (int v = 0; v < P::va_pages; ++v) {
                    const auto& t = s.tlb[c][m][v];
                    if (t.valid) o << ind << "tlb cpu" << c << " mm" << m << "[" << v << "] -> " << pfn(t.folio.v) << (t.writable ? " rw" : " r-") << "\n";
                }
    if (kinds & obj_tlb)   // the mermap (model/mermap.hpp): slot PTEs and the cpu's kernel TLB entries
        for (int c = 0; c < P::cpus; ++c)
            for (int k = 0; k < model::mermap_slots; ++k) {
                const auto& area = s.mermap[c];
                if (area.pte[k].v != model::nil) o << ind << "mermap cpu" << c << " slot" << k << " pte -> " << pfn(area.pte[k].v) << "\n";
                if (area.tlb[k].v != model::nil) o << ind << "mermap tlb cpu" << c << " slot" << k << " -> " << pfn(area.tlb[k].v) << "\n";
            }
    if (kinds & obj_region)
        for (int r = 0; r < model::regions_of<P>; ++r) o << region_text(s, r, ind);
    if (kinds & obj_ref)
        for (int m = 0; m < P::mms; ++m) {
            if (!s.mm[m].live) continue;
            o << ind << "expected memory mm" << m << ":";
            for (int v = 0; v < P::va_pages; ++v) o << " [" << v << "]=" << int(s.ref[m][v].v);
            o << "\n";
        }
    return o.str();
}

/// The objects of a state as lines, for step-by-step diffs.
template <class S> std::vector<std::string> object_lines(const S& s) {
    std::vector<std::string> out;
    std::istringstream in(objects_text(s, ~0u, ""));
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

/// The object an object line describes: "folio3", "pte mm0[1]", "mm0 vma1",
/// "migration entry mm0[2]", ...
inline std::string object_key(const std::string& line) {
    const bool translation = line.rfind("pte", 0) == 0 || line.rfind("tlb", 0) == 0 || line.rfind("mermap", 0) == 0 ||
                             line.rfind("migration entry", 0) == 0;
    const auto cut = line.find(translation ? " -> " : " ");
    const auto cut2 = line.rfind("mm", 0) == 0 ? line.find(' ', line.find(' ') + 1) : cut;
    return line.substr(0, line.rfind("expected", 0) == 0 ? line.find(':') : cut2);
}

/// What a step changed, as object lines: "+ line" new or changed, "- line" gone.
template <class S> std::string object_diff(const S& before, const S& after, const std::string& ind) {
    const auto a = object_lines(before), b = object_lines(after);
    auto has = [](const std::vector<std::string>& v, const std::string& x) {
        return std::find(v.begin(), v.end(), x) != v.end();
    };
    const auto key = object_key;
    std::ostringstream o;
    for (const auto& x : a)
        if (!has(b, x)) {
            bool replaced = false;
            for (const auto& y : b) replaced = replaced || key(y) == key(x);
            if (!replaced) o << ind << "- " << x << "\n";
        }
    for (const auto& y : b)
        if (!has(a, y)) o << ind << "+ " << y << "\n";
    return o.str();
}

/// A step's title: model::describe(x), which names the action alone (it is also the
/// action's identity in replay), told more exactly where the state before it decides what
/// the action does: a walk_step inside offset 0's rmap_one goes on to the remaps (--phased
/// walk_vma with walk_remap), a walk_step after walk_context has loaded a remap array reads it, and
/// one after it has read it walks the next offset (--phased walk_remap); neither moves to
/// the next context.  A mermap_get on a used-up area says where mermap_alloc's wrap goes
/// and whether it flushed (model/mermap.hpp).
template <class S> std::string step_title(const config& cfg, const S& before, const action& x) {
    if constexpr (!S::domain::is_symbolic) {
        if (x.kind == model::op::walk_step && before.walker.arr_pending)
            return "rmap walk: rmap_one on offset 0 returns, walk_context goes on to the remapped offsets";
        if (x.kind == model::op::walk_step && before.walker.arr_loaded &&
            cfg.has_phase(model::phased_op::walk_remap_slots)) {
            const auto& w = before.walker;
            return w.arr_slot < w.arr_nr.v
                       ? "rmap walk: walk_context reads nr (" + std::to_string(int(w.arr_nr.v)) + ") and slot " +
                             std::to_string(int(w.arr_slot)) + " of the remap array it loaded"
                       : "rmap walk: walk_context reads nr (" + std::to_string(int(w.arr_nr.v)) +
                             "): no slot left, it walks the first offset collected";
        }
        if (x.kind == model::op::walk_step && before.walker.arr_loaded)
            return "rmap walk: walk_context reads the remap array it loaded";
        if (x.kind == model::op::walk_step && before.walker.arr_walking)
            return "rmap walk: walk_context walks its next remapped offset";
        if (x.kind == model::op::anon_walk_begin || x.kind == model::op::anon_walk_step) {
            // --phased walk under anon_vma: the VMA rmap_one gets (model/anon_walk.hpp).
            const auto& w = before.walker;
            const bool first = x.kind == model::op::anon_walk_begin;
            const int f = first ? x.a.folio : w.folio.v;
            const auto& fo = before.folio[f];
            const auto av = first ? fo.mapping : w.anon_vma;
            const int k = first ? 0 : w.curr.v;
            std::string t = model::describe(x);
            if (av.v == model::nil || !before.anon_vma[av.v].live) return t;
            const auto order = model::anon_walk_vmas(before, av, fo.index);
            if (k >= order.n) return t + ": no VMA in " + idx("anon_vma", av.v) + "'s tree covers pgoff " +
                                     std::to_string(int(fo.index.v)) + ", the walk ends";
            const auto [m, i] = order.at[static_cast<std::size_t>(k)];
            const auto& v = before.vma[m][i];
            const int at = model::vma_address(v, fo.index).v;
            const auto& p = before.pte[m][at];
            t += ": rmap_one on mm" + std::to_string(m) + "'s VMA " + model::range_text(v.start.v, v.pages.v) + " pgoff " +
                 std::to_string(int(v.pgoff.v)) + " at [" + std::to_string(at) + "]: " + (p.present && p.folio.v == f ? "the folio is mapped there" : "nothing of the folio there");
            if (k + 1 >= order.n) t += "; the last VMA: unlock, the walk ends";
            return t;
        }
        if (x.kind == model::op::mremap && model::phased_mremap(cfg))
            return model::describe(x) + ": copy_vma (move_ptes and the unmap follow, mmap_lock held)";
        if (x.kind == model::op::mremap_move && before.mremap_phase.mm.v == x.a.mm) {
            const auto& mp = before.mremap_phase;
            const bool locks = mp.rmap_locks && !cfg.has(model::mutant::mremap_skips_rmap_locks);
            return "mm" + std::to_string(x.a.mm) + " mremap: move_ptes " + model::range_text(mp.start.v, mp.pages.v) +
                   " -> " + std::to_string(int(mp.to.v)) +
                   (locks             ? " under the anon_vma locks (need_rmap_locks)"
                    : mp.rmap_locks   ? " WITHOUT the anon_vma locks need_rmap_locks asks for"
                                      : " without anon_vma locks (need_rmap_locks is false: the new VMA is walked after the old)");
        }
        if (x.kind == model::op::mremap_done && before.mremap_phase.mm.v == x.a.mm) {
            const auto& mp = before.mremap_phase;
            return "mm" + std::to_string(x.a.mm) + " mremap: unmap the source " +
                   model::range_text(mp.start.v, mp.pages.v) + ", mmap_write_unlock";
        }
        if (x.kind == model::op::mermap_get && before.mermap[x.a.cpu].next.v == model::mermap_slots) {
            const int held = model::mermap::wrap_next<model::concrete>(before.mermap[x.a.cpu]).v - 1;   // -1: none
            return model::describe(x) + ": the area is used up, mermap_alloc wraps to slot " + std::to_string(held + 1) +
                   (held >= 0 ? " (past slot " + std::to_string(held) + ", still in use)" : "") +
                   (cfg.has(model::mutant::mermap_wrap_without_flush) ? " with no arch_mermap_flush_tlb"
                                                                       : " after arch_mermap_flush_tlb");
        }
    }
    return model::describe(x);
}

/// Numbered steps, each with what it changed, then the broken invariant and its objects.
template <class S>
std::string narrative(const config& cfg, const std::vector<action>& trace, int violated, bool with_diffs = true) {
    std::vector<S> all;
    replay<S>(cfg, trace, 0, &all);   // every state, not stopping at the first violation
    std::ostringstream o;
    o << "  0. initial state: mm0 running on cpu0, no VMAs\n";
    for (std::size_t k = 0; k < trace.size() && k + 1 < all.size(); ++k) {
        o << "  " << k + 1 << ". " << step_title(cfg, all[k], trace[k]) << "\n";
        if (with_diffs) o << object_diff(all[k], all[k + 1], "        ");
    }
    if (violated >= 0 && !all.empty()) {
        const auto& info = props::invariants()[violated];
        o << "\n  broken after step " << all.size() - 1 << ": " << info.name << "\n"
          << "    claim: " << info.claim << "\n"
          << "    kernel rule: " << info.rule << "\n";
        if (all.back().bug.v) o << "    BUG: " << model::bug_name(all.back().bug.v) << "\n";
        o << "  objects involved:\n" << objects_text(all.back(), objects_of(violated), "    ");
    }
    return o.str();
}

}  // namespace solver
