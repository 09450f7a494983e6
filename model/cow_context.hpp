// model/cow_context.hpp — the COW context design: Lorenzo Stoakes' proof of concept
// (LSFMM+BPF 2026, "Keeping COWs in context"), modelled as coded.
//
// Read from kernelorg-mirror/linux_kernel_git_ljs_linux (the mirror keeps each file at
// one commit): mm/cow_context.c at a4ac19665445 (the whole file), mm/rmap.c at
// d91a1a12c587 (CONFIG_COW_CONTEXT_ANON_RMAP: __anon_vma_prepare stores
// DUMMY_ANON_VMA, anon_vma_clone / anon_vma_fork copy the pointer, unlink_anon_vmas
// clears it; __folio_set_anon, __folio_set_anon_cow, folio_move_anon_rmap), mm/vma.c
// at d2a01aae3d44 (copy_vma calls cow_context_do_remap(new_vma, vma->vm_start) on the
// new-VMA path of a faulted VMA only; remove_vma calls cow_context_vma_unmap), mm/mmap.c
// at 1be9d553f4be (dup_mmap calls dup_cow_context after the VMA loop and nothing else:
// cow_context_do_fork has no caller there).  The call sites follow those files:
//   mm_init             mm_init_cow_context: refcnt 1 for the mm, empty remap_mt
//   fork_done           dup_cow_context: child->parent, list_add_rcu at the head of the
//                       parent's children, get_cow_context(parent)
//   fork_vma            anon_vma_fork: copies vma->anon_vma; with --cow-fix
//                       fork_records_remaps also cow_context_do_fork (no caller as read)
//   prepare             __anon_vma_prepare: vma->anon_vma = DUMMY_ANON_VMA
//   add_new             __folio_set_anon: mapping = the anon tag only, index =
//                       linear_page_index, __folio_set_anon_cow: get + folio->cow_context
//   move_on_reuse       folio_move_anon_rmap: if folio_context->mm != vma->vm_mm, get the
//                       faulting mm's context, store it, put the old one
//   copy_vma_remap      cow_context_do_remap -> __cow_context_do_remap (order of checks as
//                       coded: should_track_remap, both offsets 0, new offset 0 ->
//                       find_and_unmap_existing, find_and_remap_existing, add_new_remap)
//   vma_unmap           cow_context_vma_unmap from remove_vma, which runs after
//                       free_pgtables -> unlink_anon_vmas cleared vma->anon_vma, so
//                       should_track_remap is false there (kept as coded; --cow-fix
//                       unmap_removes_records calls it first from the unmap paths and
//                       splits straddling entries: model/rmap.hpp vma_unmap)
//   folio_freed         the folio's context reference is dropped when the folio is freed
//                       (mm/page_alloc.c at 783e3bdb5f85, __free_pages_prepare: an anon
//                       folio's folio_cow_context() is cleared and put_cow_context())
//   mm_teardown         drop_cow_context at __mmdrop: mm = NULL, put_cow_context
//   put                 __put_cow_context: iterative, unlink from the parent's list, drop
//                       the parent's reference, cascade while it hits zero
//   walk                cow_context_walk -> traverse_contexts (root first, then the
//                       descendants in post-order along first_child / next_sibling;
//                       --cow-fix walk_parent_first: in pre-order),
//                       walk_context (dead mm skipped, was_exclusive, offset 0, the
//                       exclusive early stop, the distinct recorded offsets collected with
//                       the dynarray append as coded, each walked), walk_context_remap (VMAs
//                       of the mm over [index + o, index + o + 1) whose own offset is o)
//
// Remap records (remap_mt) are modelled per pgoff with exact entry boundaries (see
// model/state.hpp): find_and_remap_existing, find_and_unmap_existing / shrink_remaps
// and add_new_remap (split_remap left and right, add_overlapping_remap: one new simple
// entry per gap, append to each entry) act on whole entries, as the maple-tree walks
// in the code do.  The append is __dynarray_append_value as coded: the duplicate check
// and insertion point scan from the top, the move loop stops at i <= insert_idx, the
// comparison is unsigned.  Array slots above nr keep their last value (kmalloc'd slots
// are uninitialised in the kernel; the model zeroes them when an entry is created); an
// entry with more offsets than its vmas + 1 slots is out of bounds (the kernel grows it).
//
// Simplifications: folios are single pages (folio_nr_pages = 1); was_exclusive and the
// early-stop recheck read the map count as rmap_one leaves it (migration's walks change
// it: model/migrate.hpp, finding 13), the other walks only read; the done() callback never
// ends the walk; the walk is one step (with --phased walk, one step per context:
// model/cow_walk.hpp, the RCU TODO); VMA stability within a context is not modelled;
// contexts use the preset's anon_vma slots; MAP_PRIVATE file mappings do not exist, so
// should_track_map_private_remap and cow_context_do_map_private_cow never act.
#pragma once
#include "core.hpp"

namespace model::cow {

/// DUMMY_ANON_VMA: what vma->anon_vma holds once faulted under CONFIG_COW_CONTEXT_ANON_RMAP.
inline constexpr int dummy_anon_vma = 0xfd;

/// The PoC's VMA offset: (vm_start >> PAGE_SHIFT) - vm_pgoff (two's complement, 8 bits).
template <class V> auto vma_offset(const V& v) { return v.start - v.pgoff; }

/// should_track_remap() -> should_track_anon_remap(): faulted and vm_pgoff != vm_start.
template <class V> auto should_track(const V& v) { return v.used && v.anon_vma != nil && v.start != v.pgoff; }

// ---------------------------------------------------------------------------
// The dynarray append and the remap_mt operations, on one context value x.
// ---------------------------------------------------------------------------

/// __dynarray_append_value(arr, new) as coded, when `on`; returns "out of slots".
template <class D, class A> typename D::Bool append_offset(A& arr, typename D::Int& nr, typename D::Int val,
                                                           typename D::Bool on, bool fixed = false) {
    using B = typename D::Bool;
    using I = typename D::Int;
    constexpr int cap = static_cast<int>(array_traits<A>::size);
    // "Check if dupe, find insert point": from the top, stop at an equal or smaller value.
    B done = false, dupe = false;
    I brk = nil;
    for (int k = cap - 1; k >= 0; --k) {
        const B act = on && !done && I(k) < nr;
        const B eq = act && arr[k] == val;
        const B lt = act && !eq && arr[k] < val;
        dupe = dupe || eq;
        brk = D::ite(lt, I(k), brk);
        done = done || eq || lt;
    }
    const I insert = D::ite(brk == nil, I(0), brk + I(1));
    const B change = on && !dupe;
    const B overflow = change && nr == I(cap);
    // "Move everything up": for i from nr - 1 down, break at i <= insert_idx.
    for (int k = cap - 2; k >= 0; --k) {
        // --cow-fix dynarray_insert_moves: break at i < insert_idx instead.
        const B move = change && I(k) < nr && (fixed ? I(k) >= insert : I(k) > insert);
        arr[k + 1] = D::ite(move, arr[k], arr[k + 1]);
    }
    for (int k = 0; k < cap; ++k) arr[k] = D::ite(change && I(k) == insert, val, arr[k]);
    nr = D::ite(change && !overflow, nr + I(1), nr);
    return overflow;
}

/// For each pgoff: does the entry holding it overlap [lo, lo + n)?
template <class D, class X> auto overlapping(const X& x, typename D::Int lo, typename D::Int n) {
    using B = typename D::Bool;
    using I = typename D::Int;
    constexpr int va = static_cast<int>(array_traits<decltype(x.rstart)>::size);
    std::array<B, va> ov;
    for (int p = 0; p < va; ++p) {
        B any = false;
        for (int q = 0; q < va; ++q) any = any || (lo <= I(q) && I(q) < lo + n && x.rstart[q] == x.rstart[p]);
        ov[p] = x.rstart[p] != nil && any;
    }
    return ov;
}

/// find_and_remap_existing(): every offset equal to old_off in an entry overlapping the
/// range becomes new_off (a simple entry is re-stored over its whole range, a dynarray
/// slot is set in place).  Returns whether any was found.
template <class D, class X>
typename D::Bool remap_existing(X& x, typename D::Int pgoff, typename D::Int nr, typename D::Int old_off,
                                typename D::Int new_off) {
    using B = typename D::Bool;
    using I = typename D::Int;
    const auto ov = overlapping<D>(x, pgoff, nr);
    B found = false;
    for (std::size_t p = 0; p < ov.size(); ++p)
        for (std::size_t k = 0; k < x.roff[p].size(); ++k) {
            const B hit = ov[p] && I(int(k)) < x.rnr[p] && x.roff[p][k] == old_off;
            found = found || hit;
            x.roff[p][k] = D::ite(hit, new_off, x.roff[p][k]);
        }
    return found;
}

/// find_and_unmap_existing() + shrink_remaps(): in every entry overlapping the range,
/// the first offset equal to old_off is removed (later ones shift down); an entry left
/// with none is erased over its whole range.
template <class D, class X>
void unmap_existing(X& x, typename D::Int pgoff, typename D::Int nr, typename D::Int old_off) {
    using B = typename D::Bool;
    using I = typename D::Int;
    const auto ov = overlapping<D>(x, pgoff, nr);
    for (std::size_t p = 0; p < ov.size(); ++p) {
        auto& offs = x.roff[p];
        B seen = false;
        I idx = 0;
        for (std::size_t k = 0; k < offs.size(); ++k) {
            const B hit = !seen && I(int(k)) < x.rnr[p] && offs[k] == old_off;
            idx = D::ite(hit, I(int(k)), idx);
            seen = seen || hit;
        }
        const B act = ov[p] && seen;
        for (std::size_t k = 1; k < offs.size(); ++k)
            offs[k - 1] = D::ite(act && I(int(k)) > idx && I(int(k)) < x.rnr[p], offs[k], offs[k - 1]);
        x.rnr[p] = D::ite(act, x.rnr[p] - I(1), x.rnr[p]);
        x.rstart[p] = D::ite(act && x.rnr[p] == 0, I(nil), x.rstart[p]);
    }
}

/// add_new_remap()'s split_remap() calls: an entry holding pgoff that starts before it
/// is split LEFT, an entry holding pgoff_last that ends after it is split RIGHT (the
/// contents are duplicated, so only the boundaries change).
template <class D, class X> void split_at(X& x, typename D::Int pgoff, typename D::Int nr) {
    using I = typename D::Int;
    constexpr int va = static_cast<int>(array_traits<decltype(x.rstart)>::size);
    const I last = pgoff + nr - I(1);
    const I s0 = D::select(x.rstart, pgoff);
    for (int q = 0; q < va; ++q)
        x.rstart[q] = D::ite(s0 != nil && s0 < pgoff && x.rstart[q] == s0 && I(q) >= pgoff, pgoff, x.rstart[q]);
    const I s1 = D::select(x.rstart, last);
    for (int q = 0; q < va; ++q)
        x.rstart[q] = D::ite(s1 != nil && x.rstart[q] == s1 && I(q) > last, last + I(1), x.rstart[q]);
}

/// add_new_remap(): split the entries straddling either end, then add_overlapping_remap:
/// each gap in the range becomes one simple entry, each entry gets the offset appended.
/// Returns "out of slots".
template <class D, class X>
typename D::Bool add_new_remap(X& x, typename D::Int pgoff, typename D::Int nr, typename D::Int new_off,
                               bool fixed_insert = false) {
    using B = typename D::Bool;
    using I = typename D::Int;
    constexpr int va = static_cast<int>(array_traits<decltype(x.rstart)>::size);
    const I last = pgoff + nr - I(1);
    split_at<D>(x, pgoff, nr);
    // add_overlapping_remap().
    B overflow = false;
    I gap = nil;
    for (int q = 0; q < va; ++q) {
        const B in = pgoff <= I(q) && I(q) <= last;
        const B is_gap = in && x.rstart[q] == nil;
        gap = D::ite(is_gap, D::ite(gap == nil, I(q), gap), I(nil));
        overflow = overflow || append_offset<D>(x.roff[q], x.rnr[q], new_off, in && !is_gap, fixed_insert);
        x.rstart[q] = D::ite(is_gap, gap, x.rstart[q]);
        x.rnr[q] = D::ite(is_gap, I(1), x.rnr[q]);
        for (std::size_t k = 0; k < x.roff[q].size(); ++k)
            x.roff[q][k] = D::ite(is_gap, k == 0 ? new_off : I(0), x.roff[q][k]);
    }
    return overflow;
}

// ---------------------------------------------------------------------------
// Context lifetime.
// ---------------------------------------------------------------------------

/// A free context slot: not live, every pointer NULL, an empty remap_mt (what a walk
/// that reads freed memory sees in the model).
template <class X> void clear(X& x) {
    x = X{};
    x.mm = nil;
    x.parent = nil;
    x.first_child = nil;
    x.next_sibling = nil;
    for (auto& r : x.rstart) r = nil;
}

/// --phased walk: context slot c is freed (after list_del_rcu) while a walk is under way.
/// Inside rcu_read_lock() (as coded) kfree_rcu() keeps the memory until the walk's
/// rcu_read_unlock(): the slot is not reused and keeps the parent and next pointers the
/// walk may still follow.  Outside it (--cow-fix walk_drops_rcu) the memory goes now.
template <class S> void walker_freed(S& s, cint c) {
    auto& w = s.walker;
    if (w.folio == nil || c.get() >= static_cast<int>(w.rcu_freed.size())) return;
    if (w.rcu) {
        const auto& x = s.cow_ctx[c.get()];
        w.rcu_freed[c.get()] = 1;
        w.rcu_parent[c.get()] = x.parent;
        w.rcu_next[c.get()] = x.next_sibling;
    } else if (c == w.curr) {
        w.curr_freed = 1;
    }
}

/// --cow-fix walk_rereads_remaps: write_seqcount_begin() on context c's sequence count,
/// around every remap_mt write (walker_remap_written) and every mremap of c's mm (the move
/// in do_mremap).  A walk that has loaded c's remaps (--phased walk_remap) sees the count
/// moved when it has walked the last of them (walker.arr_changed, read_seqcount_retry) and
/// starts walk_context(c) again.  Returns whether such a walk is in c.  Concrete only, like
/// the walker.
template <class S> bool cow_seq_write(S& s, cint c) {
    auto& w = s.walker;
    const bool reading = w.folio != nil && (w.arr_pending || w.arr_loaded || w.arr_walking) && w.curr == c;
    if (reading) w.arr_changed = 1;
    return reading;
}

/// How a remap_mt writer acts on the entries overlapping its pgoff range, for the array
/// a walk has loaded (--phased walk_remap).
enum class remap_write { append, clip, rewrite, shrink };

/// --phased walk_remap (model/cow_walk.hpp): a writer of context c's remap_mt acts on
/// [lo, lo + n) while the walk has loaded a heap dynarray of c and not yet read it; x is
/// the context before the write.  Concrete only (the symbolic engines refuse --phased).
///  - split_remap() (add_new_remap, and remap_clips_entries' split): the part of a
///    straddling entry outside the range gets dynarray_dup()'s copy, a new array; the
///    loaded array stays with the part inside.
///  - add_overlapping_remap() -> append_remap_offset() -> __dynarray_append(): an array
///    with nr == cap is expanded first (also for an offset already there: the duplicate
///    check comes after) by __dynarray_expand(), which krealloc()s a heap array.  From cap
///    2 to 4 the size goes from 24 to 40 bytes, past the kmalloc-32 object krealloc() could
///    reuse, so it allocates anew and kfree()s the old array at once.  A heap array's cap
///    is the smallest power of two >= nr: it is born when an offset is appended to a simple
///    entry (cap 2, nr 2), grows by doubling, and dynarray_dup() keeps cap; nothing removes
///    an offset as coded (find_and_unmap_existing() never acts: docs/cow-context-findings.md,
///    "Other observations").  So the expand happens exactly at nr = 2, 4, ...  With
///    --cow-fix remap_expand_rcu the old array goes by kfree_rcu(): the reader keeps it.
///    Simplification: with --cow-fix unmap_removes_records offsets are removed, and
///    dynarray_shrink() keeps cap, so after a removal the array may have room where this
///    rule says it is full (the model then takes an append for a reallocation).
///  - find_and_remap_existing() without a split rewrites offsets in place (rewrite).
///  - shrink_remaps() (the entry holds old_off): at nr 2 it stores a simple entry and
///    frees the array with kfree_rcu() (the reader keeps it); above, it shrinks in place.
///    find_and_unmap_existing() shifts the later offsets down in place before it.  With
///    --phased walk_remap_slots the in-place writes reach the reader (walker_remap_refresh).
/// Every write of c's remap_mt moves c's sequence count (cow_seq_write).
template <class S, class X>
void walker_remap_written(const config& cfg, S& s, cint c, const X& x, cint lo, cint n, remap_write how,
                          cint old_off = 0) {
    auto& w = s.walker;
    if (!cow_seq_write(s, c) || w.arr_freed) return;
    constexpr int va = static_cast<int>(array_traits<decltype(x.rstart)>::size);
    const int a = lo.get(), b = lo.get() + n.get();
    int q0 = -1;
    for (int q = a; q < b && q < va && q0 < 0; ++q)
        if (w.arr_pgoffs[q]) q0 = q;
    if (q0 < 0) return;   // the range does not reach the loaded array
    const int nr = x.rnr[q0].get();
    if (how == remap_write::rewrite) return;   // in place: the reader's copy is taken to come first
    if (how == remap_write::shrink) {
        bool holds = false;
        for (int k = 0; k < nr && k < static_cast<int>(x.roff[q0].size()); ++k) holds = holds || x.roff[q0][k] == old_off;
        if (holds && nr <= 2) {
            // shrink_remaps() at nr 2 stores a simple entry and kfree_rcu() keeps the array
            // for the reader.  find_and_unmap_existing() has shifted it in place before
            // (nr stays 2): a reader slot by slot (walk_remap_slots) reads the shifted slots.
            if (cfg.has_phase(phased_op::walk_remap_slots) && nr == 2 && w.arr_offs[0] == old_off)
                w.arr_offs[0] = w.arr_offs[1];
            w.arr_pgoffs = {};
        }
        return;
    }
    for (int q = 0; q < va; ++q)
        if (q < a || q >= b) w.arr_pgoffs[q] = 0;   // split_remap: the part outside gets the copy
    if (how == remap_write::append && nr >= 2 && (nr & (nr - 1)) == 0) {   // nr == cap: __dynarray_expand()
        if (cfg.fixed(cow_fix::remap_expand_rcu)) w.arr_pgoffs = {};
        else w.arr_freed = 1;   // krealloc(): kfree() of the array the walk is about to read
    }
}

/// --phased walk_remap_slots: after a write of context c's remap_mt, the array the walk is
/// reading slot by slot holds what the entry of its pgoffs (arr_pgoffs) now holds, if it
/// is still that entry's array: the write changed it in place (find_and_unmap_existing()'s
/// shift and dynarray_shrink(), set_multi_remap(), an append into spare capacity).  A
/// write that replaced it (walker_remap_written cleared arr_pgoffs) leaves the reader the
/// old one.  Concrete only.
template <class S, class C> void walker_remap_refresh(const config& cfg, S& s, const C& c) {
    if constexpr (!S::domain::is_symbolic) {
        auto& w = s.walker;
        if (!cfg.has_phase(phased_op::walk_remap_slots) || w.folio == nil || !w.arr_loaded || w.arr_freed ||
            w.curr != c)
            return;
        const auto& x = s.cow_ctx[static_cast<std::size_t>(c.get())];
        for (std::size_t q = 0; q < w.arr_pgoffs.size(); ++q)
            if (w.arr_pgoffs[q]) {
                w.arr_nr = x.rnr[q];
                w.arr_offs = x.roff[q];
                return;
            }
    }
}

/// mm_init_cow_context(mm): every mm has a context from birth.
template <class S> void mm_init(const config& cfg, S& s, int m) {
    MODEL_TYPES(S);
    // A slot kfree_rcu() still holds for a walk (--phased walk) is not free yet.
    const I c = lowest_free<D>(s.cow_ctx, cfg.lim.anon_vmas, [&](const auto& x) {
        return x.live || B(s.walker.rcu_freed[static_cast<std::size_t>(&x - s.cow_ctx.data())] != 0);
    });
    out_of_bounds_if(s, c == nil);
    D::update(s.cow_ctx, c, [&](auto& x) {
        clear(x);
        x.live = true;
        x.mm = m;
        x.refcount = 1;   // "Referenced by the mm."
    });
    s.mm[m].cow_context = c;
}

/// dup_cow_context(mm, oldmm): link the child's context under the parent's.
template <class S> void dup(S& s, int m, int m2) {
    MODEL_TYPES(S);
    const I pc = s.mm[m].cow_context, c = s.mm[m2].cow_context;
    const I head = D::select(s.cow_ctx, pc).first_child;
    D::update(s.cow_ctx, c, [&](auto& x) { x.parent = pc; x.next_sibling = head; });
    D::update(s.cow_ctx, pc, [&](auto& x) { x.first_child = c; x.refcount = x.refcount + I(1); });
}

/// get_cow_context().
template <class S> void get(S& s, typename S::domain::Int c) {
    MODEL_TYPES(S);
    D::update(s.cow_ctx, c, [](auto& x) { x.refcount = x.refcount + I(1); });
}

/// put_cow_context() -> __put_cow_context(): on zero, iteratively unlink from the
/// parent's children (delete_child_from_parent), drop the parent's reference, free
/// (delete_remaps, kfree_rcu) and cascade while the parent's count hits zero.
template <class S> void put(S& s, typename S::domain::Int c, typename S::domain::Bool on = true) {
    MODEL_TYPES(S);
    const auto cx = D::select(s.cow_ctx, c);
    bug_on(s, bug::counter_underflow, on && cx.live && cx.refcount == 0);
    D::update(s.cow_ctx, c, [&](auto& x) { x.refcount = x.refcount - D::ite(on, I(1), I(0)); });
    B going = on && cx.live && cx.refcount == 1;
    bug_on(s, bug::cow_context_freed_with_children, going && cx.first_child != nil);
    I curr = c;
    for (int it = 0; it < P::anon_vmas; ++it) {
        const auto x = D::select(s.cow_ctx, curr);
        const I par = x.parent, nxt = x.next_sibling;
        D::when(going && par != nil, s, [&](S& s) {   // list_del_rcu(&context->siblings)
            D::update(s.cow_ctx, par, [&](auto& p) { p.first_child = D::ite(p.first_child == curr, nxt, p.first_child); });
            for (int k = 0; k < P::anon_vmas; ++k) {
                auto& y = s.cow_ctx[k];
                y.next_sibling = D::ite(y.live && y.next_sibling == curr && curr != k, nxt, y.next_sibling);
            }
            bug_on(s, bug::counter_underflow, D::select(s.cow_ctx, par).refcount == 0);
            D::update(s.cow_ctx, par, [&](auto& p) { p.refcount = p.refcount - I(1); });
        });
        if constexpr (!D::is_symbolic)   // --phased walk: a walk under way sees this free
            if (going) walker_freed(s, curr);
        D::update(s.cow_ctx, curr, [&](auto& y) {
            D::when(going, y, [](auto& y) { clear(y); });
        });
        const B next = going && par != nil && D::select(s.cow_ctx, par).refcount == 0;
        curr = par;
        going = next;
    }
}

/// drop_cow_context() at __mmdrop(): context->mm = NULL, put.
template <class S> void drop(S& s, int m) {
    MODEL_TYPES(S);
    const I c = s.mm[m].cow_context;
    D::update(s.cow_ctx, c, [](auto& x) { x.mm = nil; });
    put(s, c);
    s.mm[m].cow_context = nil;
}

// ---------------------------------------------------------------------------
// VMA and folio hooks.
// ---------------------------------------------------------------------------

/// __cow_context_do_remap(vma, pgoff_orig, is_remap): vma is the VMA after the move.
template <class S, class V>
void do_remap(const config& cfg, S& s, int m, const V& v, typename S::domain::Int pgoff_orig, bool is_remap,
              typename S::domain::Bool on, bool clip = false) {
    MODEL_TYPES(S);
    const bool fixed_insert = cfg.fixed(cow_fix::dynarray_insert_moves);
    const I old_off = pgoff_orig - v.pgoff;
    const I new_off = vma_offset(v);
    const B track = on && should_track(v);
    const B both0 = old_off == 0 && new_off == 0;
    const B back_to_0 = track && !both0 && new_off == 0;
    const B rest = track && !both0 && new_off != 0;
    const I c = s.mm[m].cow_context;
    const auto x = D::select(s.cow_ctx, c);
    auto y = x;   // find_and_unmap_existing(context, pgoff, nr_pages, old_offset)
    unmap_existing<D>(y, v.pgoff, v.pages, old_off);
    auto z = x;   // find_and_remap_existing(context, pgoff, nr_pages, old_offset, new_offset)
    if (clip) split_at<D>(z, v.pgoff, v.pages);   // --cow-fix remap_clips_entries
    const B found = is_remap ? remap_existing<D>(z, v.pgoff, v.pages, old_off, new_off) : B(false);
    auto w = x;   // add_new_remap(context, pgoff, nr_pages, new_offset)
    const B use_add = rest && !found;
    const B overflow = use_add && add_new_remap<D>(w, v.pgoff, v.pages, new_off, fixed_insert);
    const auto r = D::ite(back_to_0, y, D::ite(rest && found, z, D::ite(use_add, w, x)));
    if constexpr (!D::is_symbolic) {   // --phased walk_remap: what it does to the walk's array
        if (back_to_0) walker_remap_written(cfg, s, c, x, v.pgoff, v.pages, remap_write::shrink, old_off);
        else if (rest && found)
            walker_remap_written(cfg, s, c, x, v.pgoff, v.pages, clip ? remap_write::clip : remap_write::rewrite);
        else if (use_add) walker_remap_written(cfg, s, c, x, v.pgoff, v.pages, remap_write::append);
    }
    D::update(s.cow_ctx, c, [&](auto& dst) { dst = r; });
    walker_remap_refresh(cfg, s, c);
    out_of_bounds_if(s, overflow);
}

/// __folio_set_anon() + __folio_set_anon_cow(): the anon tag only (mapping stays nil),
/// index = linear_page_index(vma, addr), a reference on the faulting mm's context.
template <class S>
void add_new(const config& cfg, S& s, typename S::domain::Int f, int m, int i, typename S::domain::Int vp) {
    MODEL_TYPES(S);
    const auto v = s.vma[m][i];
    const I c = s.mm[m].cow_context;
    // --inject cow_folio_ref_not_taken: the pointer is stored without get_cow_context();
    // the folio's free still puts one, so the context goes one put early.
    if (!cfg.has(mutant::cow_folio_ref_not_taken)) get(s, c);
    D::update(s.folio, f, [&](auto& fo) {
        fo.mapping = nil;
        fo.index = linear_page_index(v, vp);
        fo.cow_context = c;
    });
}

/// folio_move_anon_rmap() under CONFIG_COW_CONTEXT_ANON_RMAP: if folio_context->mm is
/// not the faulting mm, get the faulting mm's context, store it, put the old one.
template <class S> void move_on_reuse(S& s, typename S::domain::Int f, int m) {
    MODEL_TYPES(S);
    const I old = D::select(s.folio, f).cow_context;
    const I mine = s.mm[m].cow_context;
    const B move = D::select(s.cow_ctx, old).mm != m;
    D::when(move, s, [&](S& s) {
        get(s, mine);
        D::update(s.folio, f, [&](auto& fo) { fo.cow_context = mine; });
        put(s, old);
    });
}

/// The folio is freed: its context reference goes (__free_pages_prepare, see header).
template <class S> void folio_freed(S& s, typename S::domain::Int c, typename S::domain::Bool freed) {
    S::domain::when(freed && c != nil, s, [&](S& s) { put(s, c); });
}

// ---------------------------------------------------------------------------
// The walk.
// ---------------------------------------------------------------------------

/// What one walk examined (for the cost figures; concrete runs only read it).
template <class I> struct walk_cost {
    I contexts = 0;   // walk_context() calls on a context with a live mm
    I vmas = 0;       // rwc_walk_one() calls (VMAs handed to rmap_one)
};

/// walk_context_remap(context, folio, offset): the VMAs of mm over [index + o, index + o + 1)
/// whose own offset is o, each handed to rmap_one at max(vm_start, range_start) = index + o
/// (visit(cond, m, i, vpage), in the order the code hands them).  `found` collects what
/// rmap_one's page_vma_mapped_walk confirms: the PTE at vpage maps the folio.
template <class S, class F>
void walk_context_remap(S& s, typename S::domain::Int f, typename S::domain::Int index, typename S::domain::Int mm,
                        typename S::domain::Int off, typename S::domain::Bool on, typename S::domain::Bool& found,
                        F& visit, walk_cost<typename S::domain::Int>* cost) {
    MODEL_TYPES(S);
    const I vp = index + off;   // folio->index is the folio's pgoff
    for (int m = 0; m < P::mms; ++m) {
        if (D::known_false(on && mm == m)) continue;
        for (int i = 0; i < P::vmas; ++i) {
            const auto& v = s.vma[m][i];
            const B hit = on && mm == m && vma_covers(v, vp) && vma_offset(v) == off;
            if (D::known_false(hit)) continue;
            // page_vma_mapped_walk() found the folio there: mapped before rmap_one ran
            // (try_to_migrate_one turns the PTE into a migration entry), or after it
            // (remove_migration_pte turns the entry back into a PTE).
            const auto before = D::select(s.pte[m], vp);
            visit(hit, m, i, vp);
            const auto after = D::select(s.pte[m], vp);
            found = found || (hit && ((before.present && before.folio == f) || (after.present && after.folio == f)));
            if (cost) cost->vmas = cost->vmas + D::ite(hit, I(1), I(0));
        }
    }
}

/// walk_context(context, folio) up to "Get unique remaps": READ_ONCE(context->mm),
/// mmget_not_zero(), was_exclusive, the non-remapped case, the exclusive early stop.
/// Returns whether the rest runs (a live mm and no stop); *stop: the early stop was taken.
/// exclusive_at_start: the folio was mapped exactly once when the walk began (what
/// --cow-fix exclusive_at_walk_start decides by; as coded each walk_context() reads
/// !folio_maybe_mapped_shared() anew, and rmap_one may have changed the map count since:
/// try_to_migrate_one lowers it, remove_migration_pte raises it from 0).
template <class S, class F>
typename S::domain::Bool walk_context_head(const config& cfg, S& s, typename S::domain::Int f,
                                           typename S::domain::Int ctx, typename S::domain::Bool on,
                                           typename S::domain::Bool exclusive_at_start, F& visit,
                                           walk_cost<typename S::domain::Int>* cost, typename S::domain::Bool& stop) {
    MODEL_TYPES(S);
    const I mm = D::select(s.cow_ctx, ctx).mm;
    const B alive = on && mm != nil;   // READ_ONCE(context->mm), mmget_not_zero()
    if (cost) cost->contexts = cost->contexts + D::ite(alive, I(1), I(0));
    // folio_maybe_mapped_shared() of a small folio: folio_mapcount() > 1.
    const B was_exclusive = cfg.fixed(cow_fix::exclusive_at_walk_start)
                                ? exclusive_at_start
                                : !(D::select(s.folio, f).mapcount > I(1));
    B found = false;
    const I index = D::select(s.folio, f).index;
    walk_context_remap(s, f, index, mm, I(0), alive, found, visit, cost);   // "Try the non-remapped case."
    // "Check again in case fork raced, otherwise, abort the walk we're done."
    stop = alive && was_exclusive && !(D::select(s.folio, f).mapcount > I(1));
    if (cfg.fixed(cow_fix::early_stop_if_found)) stop = stop && found;
    return alive && !stop;
}

/// walk_context()'s "Get unique remaps": the offsets offs[0 .. nr) of the entry holding
/// folio->index, appended into a zeroed on-stack dynarray as coded; *unr: how many.
template <class S, class A>
typename cow_context_t<typename S::domain, typename S::preset>::offs_t
unique_remaps(const config& cfg, typename S::domain::Int nr, const A& offs, typename S::domain::Bool on,
              typename S::domain::Int& unr) {
    MODEL_TYPES(S);
    constexpr int cap = cow_context_t<D, P>::remap_cap;
    typename cow_context_t<D, P>::offs_t uniq{};
    unr = 0;
    for (int k = 0; k < cap; ++k)
        append_offset<D>(uniq, unr, offs[k], on && I(k) < nr, cfg.fixed(cow_fix::dynarray_insert_moves));
    return uniq;
}

/// walk_context()'s "Get unique remaps" and "...And check each one": each unique offset
/// walked in mm.
template <class S, class A, class F>
void walk_context_offsets(const config& cfg, S& s, typename S::domain::Int f, typename S::domain::Int index,
                          typename S::domain::Int mm, typename S::domain::Int nr, const A& offs,
                          typename S::domain::Bool on, F& visit, walk_cost<typename S::domain::Int>* cost) {
    MODEL_TYPES(S);
    constexpr int cap = cow_context_t<D, P>::remap_cap;
    I unr = 0;
    const auto uniq = unique_remaps<S>(cfg, nr, offs, on, unr);
    B found = false;
    for (int k = 0; k < cap; ++k) walk_context_remap(s, f, index, mm, uniq[k], on && I(k) < unr, found, visit, cost);
}

/// walk_context(context, folio), every step at once (see the two halves above).
/// Returns false to end the whole traversal.
template <class S, class F>
typename S::domain::Bool walk_context(const config& cfg, S& s, typename S::domain::Int f, typename S::domain::Int ctx,
                                      typename S::domain::Bool on, typename S::domain::Bool exclusive_at_start, F& visit,
                                      walk_cost<typename S::domain::Int>* cost) {
    MODEL_TYPES(S);
    B stop = false;
    const B rest = walk_context_head(cfg, s, f, ctx, on, exclusive_at_start, visit, cost, stop);
    const auto x = D::select(s.cow_ctx, ctx);
    const I index = D::select(s.folio, f).index;
    walk_context_offsets(cfg, s, f, index, x.mm, D::select(x.rnr, index), D::select(x.roff, index), rest, visit, cost);
    return !stop;
}

/// --cow-fix walk_parent_first: the context after curr in pre-order below root: curr's
/// first child, else the next sibling of curr or of its nearest ancestor below root that
/// has one; nil when none is left.  links(c) reads c's parent, first_child and
/// next_sibling (the slot, or what the walk's cursor sees of it: model/cow_walk.hpp
/// walker_view); the climb takes at most `levels` steps.
template <class D, class L>
typename D::Int next_in_pre_order(typename D::Int curr, typename D::Int root, const L& links, int levels) {
    using I = typename D::Int;
    I next = links(curr).first_child, k = curr;
    for (int up = 0; up < levels; ++up) {
        const auto climb = next == I(nil) && k != root && k != I(nil);
        if (D::known_false(climb)) break;
        const auto x = links(k);
        next = D::ite(climb, I(x.next_sibling), next);
        k = D::ite(climb, I(x.parent), k);
    }
    return next;
}

/// --cow-fix walk_parent_first, every step at once: the contexts below root in pre-order,
/// each before its children (as model/cow_walk.hpp's do_walk_step goes, one context per step).
template <class S, class F>
void walk_descendants_parent_first(const config& cfg, S& s, typename S::domain::Int f, typename S::domain::Int root,
                                   typename S::domain::Bool go, typename S::domain::Bool exclusive_at_start, F& visit,
                                   walk_cost<typename S::domain::Int>* cost) {
    MODEL_TYPES(S);
    const auto links = [&](I c) { return D::select(s.cow_ctx, c); };
    I curr = root;
    for (int it = 0; it + 1 < P::anon_vmas; ++it) {   // each context below root once
        if (D::known_false(go)) break;
        const I next = next_in_pre_order<D>(curr, root, links, P::anon_vmas - 1);   // a tree is that deep at most
        go = go && next != nil;
        go = go && walk_context(cfg, s, f, next, go, exclusive_at_start, visit, cost);
        curr = D::ite(go, next, curr);
    }
}

/// cow_context_walk(folio, rwc), every step at once: rcu_read_lock, traverse_contexts
/// from folio->cow_context, rcu_read_unlock.  See walk_context() for visit().
template <class S, class F>
void walk(const config& cfg, S& s, typename S::domain::Int f, typename S::domain::Bool active, F&& visit,
          walk_cost<typename S::domain::Int>* cost = nullptr) {
    MODEL_TYPES(S);
    const auto fo = D::select(s.folio, f);
    const I root = fo.cow_context;
    bug_on(s, bug::rmap_walk_freed_cow_context, active && !D::select(s.cow_ctx, root).live);
    const B exclusive_at_start = fo.mapcount == I(1);   // --cow-fix exclusive_at_walk_start

    // traverse_contexts(root, walk_context): root first, then post-order descendants.
    B go = active && root != nil;
    go = go && walk_context(cfg, s, f, root, go, exclusive_at_start, visit, cost);
    // --inject cow_walk_skips_descendants: the traversal ends after the folio's context.
    if (cfg.has(mutant::cow_walk_skips_descendants)) go = false;
    if (cfg.fixed(cow_fix::walk_parent_first))
        return walk_descendants_parent_first(cfg, s, f, root, go, exclusive_at_start, visit, cost);
    I curr = root, parent = nil;
    for (int it = 0; it < 2 * P::anon_vmas + 1; ++it) {
        if (D::known_false(go)) break;
        const auto x = D::select(s.cow_ctx, curr);
        const B descend = go && curr != parent && x.first_child != nil;
        const B at_visit = go && !descend;
        const B at_root = at_visit && curr == root;
        const B visiting = at_visit && !at_root;
        const B cont = walk_context(cfg, s, f, curr, visiting, exclusive_at_start, visit, cost);
        go = go && !at_root && (descend || cont);
        parent = D::ite(visiting, x.parent, parent);
        const I next = D::ite(x.next_sibling != nil, x.next_sibling, x.parent);
        curr = D::ite(descend, x.first_child, D::ite(visiting, next, curr));
    }
}

}  // namespace model::cow
