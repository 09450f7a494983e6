// model/anon_walk.hpp — `--phased walk` under the anon_vma design (and mshare's private
// memory): rmap_walk_anon() in steps, so that what takes no anon_vma lock runs between two
// of its rmap_one calls.  It is there for B11 of ../shared/domain/anon-rmap.md (mremap
// against the walk's order, 38a76013ad80), with `--phased mremap` (model/mremap.hpp).
//
// Follows mm/rmap.c: rmap_walk_anon() -> rmap_walk_anon_lock() (folio_anon_vma(),
// anon_vma_lock_read() of its root), then anon_vma_interval_tree_foreach(avc,
// &anon_vma->rb_root, pgoff_start, pgoff_end): every AVC of the folio's anon_vma whose
// VMA's pgoff range covers folio->index, in the interval tree's order (by
// vma_start_pgoff(), i.e. vm_pgoff; an AVC inserted with a key equal to another's goes to
// its right, so after it: anon_vma_interval_tree_insert), each handed to rmap_one at
// vma_address(); then anon_vma_unlock_read().  The caller is folio_referenced() from
// reclaim (shrink_folio_list: the folio isolated, so a reference is held, and locked),
// or, with --phased migrate, remove_migration_ptes(src, dst) on the new folio
// (model/migrate.hpp): there the `migrate` step that unmapped begins the walk, and rmap_one
// turns the migration entry it finds back into a PTE (cow_walk.hpp remove_migration_pte);
// an entry left at the end is bug migration_entry_left.
//
//   anon_walk_begin(folio)  folio_get (the isolation's reference; it keeps migration off
//                           the folio), anon_vma_lock_read(root), rmap_one on the first VMA
//   anon_walk_step          rmap_one on the next VMA; the step that hands the last one also
//                           unlocks and drops the reference (folio_put)
//
// Completeness is judged as for the COW context walk (model/cow_walk.hpp walker_end): the
// mms that map the folio at anon_walk_begin are noted, a visit whose page_vma_mapped_walk
// confirms the mapping clears one, and a walk that ends with an mm still mapping the
// folio, never confirmed, sets state.walk_missed (rmap_complete).
//
// While the walk holds the root's lock for read, every operation that takes an anon_vma
// lock for write waits (anon_vma_prepare, anon_vma_clone/fork, the merges' vma_prepare,
// unlink_anon_vmas): model/actions.hpp phases_allow() lets only these run between steps:
// the walk's own steps, reads and writes whose fault needs no anon_vma_prepare (the VMA
// has its anon_vma, or no VMA covers the page), switch_mm, TLB evictions and late flushes,
// reads and writes through pins, the mermap, and a --phased mremap's move (mremap_move)
// when it takes no rmap locks.  That is fewer interleavings than the kernel has (a writer
// on an unrelated anon_vma, or mmap of a VMA that merges with nothing, does not wait in the
// kernel): the walk can miss interleavings, never show one that cannot happen.
//
// Simplifications: one walk at a time; read-only rmap_one (folio_referenced_one's young
// bit is not modelled); among VMAs with the same vm_pgoff the order is by (mm, slot),
// except that the destination VMA of a pending --phased mremap comes after the others:
// copy_vma's new VMA, or the neighbour it merged into, whose AVCs vma_merge took out and
// put back (anon_vma_interval_tree_pre/post_update_vma), so either went in after the
// source's.  The order among VMAs that do not move cannot hide a mapping.
// Concrete engines only: bmc and prove refuse --phased.
#pragma once
#include <array>
#include <tuple>
#include <utility>

#include "cow_walk.hpp"

namespace model {

/// Is an anon_vma rmap walk in steps under way (it holds its root's lock for read)?
template <class S> bool anon_walk_active(const config& cfg, const S& s) {
    if constexpr (S::domain::is_symbolic) {
        return false;
    } else {
        return !cfg.cow() && s.walker.folio != nil;
    }
}

/// The VMAs rmap_walk_anon() hands rmap_one for a folio of anon_vma av at page offset
/// index, in the interval tree's order: (m, i) pairs, n of them.
template <class S> struct anon_walk_order {
    std::array<std::pair<int, int>, S::preset::mms * S::preset::vmas> at{};
    int n = 0;
};

template <class S> anon_walk_order<S> anon_walk_vmas(const S& s, cint av, cint index) {
    using P = typename S::preset;
    anon_walk_order<S> o;
    for (int m = 0; m < P::mms; ++m)
        for (int i = 0; i < P::vmas; ++i) {
            const auto& v = s.vma[m][i];
            if (v.used && v.chain[av.get()] && pgoff_in_vma(v, index)) o.at[o.n++] = {m, i};
        }
    const auto& mp = s.mremap_phase;
    auto key = [&](const std::pair<int, int>& x) {
        const bool linked_last = x.first == mp.mm.get() && x.second == mp.dest_vma.get();
        return std::make_tuple(s.vma[x.first][x.second].pgoff.get(), linked_last, x.first, x.second);
    };
    for (int j = 1; j < o.n; ++j)   // insertion sort: a handful of VMAs
        for (int k = j; k > 0 && key(o.at[k]) < key(o.at[k - 1]); --k) std::swap(o.at[k], o.at[k - 1]);
    return o;
}

template <class S> typename S::domain::Bool enabled_anon_walk_begin(const config& cfg, const S& s, const args& a) {
    using B = typename S::domain::Bool;
    if constexpr (S::domain::is_symbolic) {
        return B(false);
    } else {
        if (cfg.cow() || !cfg.has_phase(phased_op::walk) || s.walker.folio != nil) return false;
        const auto& fo = s.folio[a.folio];
        return fo.allocated && !fo.shmem && fo.mapcount != 0 && fo.mapping != nil;
    }
}

template <class S> typename S::domain::Bool enabled_anon_walk_step(const config& cfg, const S& s, const args&) {
    return typename S::domain::Bool(anon_walk_active(cfg, s));
}

/// rmap_one on the next VMA of the walk's order (walker.curr of them handed so far); the
/// last one ends the walk (anon_vma_unlock_read, folio_put: walker_end).
template <class S> void anon_walk_next(const config& cfg, S& s) {
    auto& w = s.walker;
    const auto& fo = s.folio[w.folio.get()];
    const auto order = anon_walk_vmas(s, w.anon_vma, fo.index);
    const int k = w.curr.get();
    if (k < order.n) {
        const auto [m, i] = order.at[static_cast<std::size_t>(k)];
        walker_confirm(s, m, vma_address(s.vma[m][i], fo.index));   // page_vma_mapped_walk()
        w.curr = k + 1;
    }
    if (w.curr.get() >= order.n) walker_end(cfg, s);
}

/// rmap_walk_anon() on folio f (its reference taken, walker.pending set): the folio's
/// anon_vma, anon_vma_lock_read(root), rmap_one on the first VMA.  From anon_walk_begin,
/// and from --phased migrate's remove_migration_ptes (model/migrate.hpp).
template <class S> void anon_walk_start(const config& cfg, S& s, cint f) {
    auto& w = s.walker;
    w.folio = f;
    w.anon_vma = s.folio[f.get()].mapping;
    w.root = s.anon_vma[w.anon_vma.get()].root;   // anon_vma_lock_read(root)
    w.curr = 0;
    anon_walk_next(cfg, s);
}

template <class S> void do_anon_walk_begin(const config& cfg, S& s, const args& a) {
    MODEL_TYPES(S);
    if constexpr (D::is_symbolic) {
        return;
    } else {
        auto& fo = s.folio[a.folio];
        // rmap_walk_anon_lock(): folio_anon_vma() on a freed anon_vma is a use-after-free.
        bug_on(s, bug::rmap_walk_freed_anon_vma, !s.anon_vma[fo.mapping.get()].live);
        if (s.bug != 0) return;
        fo.refcount = fo.refcount + I(1);   // the isolation's folio_get
        for (int m = 0; m < P::mms; ++m) s.walker.pending[m] = s.mm[m].live && mm_maps_folio(s, m, a.folio);
        anon_walk_start(cfg, s, a.folio);
    }
}

template <class S> void do_anon_walk_step(const config& cfg, S& s, const args&) {
    if constexpr (!S::domain::is_symbolic) anon_walk_next(cfg, s);
}

/// Would a fault at vpage v of mm m call anon_vma_prepare() (a VMA covers v and has no
/// anon_vma yet)?  It takes an anon_vma lock for write (find_mergeable_anon_vma may pick
/// the walked one), so it waits for an anon_vma walk.
template <class S> bool fault_prepares_anon_vma(const S& s, int m, int v) {
    for (const auto& x : s.vma[static_cast<std::size_t>(m)])
        if (vma_covers(x, decltype(x.start)(v))) return x.anon_vma == nil;
    return false;
}

}  // namespace model
