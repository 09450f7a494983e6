// model/cow_walk.hpp — `--phased walk`: the COW context design's rmap walk in steps, so
// that other actions run while it is under way (the author's open problem "what the walk
// does while contexts are being freed"; docs/cow-context-findings.md, finding 8).
//
// Follows mm/cow_context.c at a4ac19665445: cow_context_walk() takes rcu_read_lock(),
// traverse_contexts(folio->cow_context, walk_context) visits the root, then loops (1)
// descend to the left-most child unless it just moved up, (2) stop at the root, else
// walk_context(curr), (3) parent = curr->parent, next = the next sibling ?: parent), and
// rcu_read_unlock().  The caller is folio_referenced() from reclaim
// (shrink_folio_list: the folio isolated, so a reference is held, and locked), or, with
// --phased migrate, remove_migration_ptes(src, dst) on the new folio (model/migrate.hpp):
// the `migrate` step that unmapped begins the walk (walker_start), and rmap_one turns the
// migration entry it finds back into a PTE (remove_migration_pte); an entry left at the
// end is bug migration_entry_left.  A fork beside the walk copies entries
// (model/fork.hpp), and as coded (post-order, a child at the head of its parent's list) it
// can copy one into a context the walk has passed (finding 14); `--cow-fix
// walk_parent_first` visits each context before its children instead (do_walk_step; the
// one-step walk likewise: model/cow_context.hpp walk_descendants_parent_first).
//
//   walk_begin(folio)  folio_get (the isolation's reference; it also keeps migration and
//                      wp_can_reuse_anon_folio off the folio, as the folio lock does),
//                      rcu_read_lock, walk_context(root)
//   walk_step          (3) from the context visited last, (1), (2): one walk_context per
//                      step; the step that reaches the root (or a walk_context returning
//                      false) ends the walk: rcu_read_unlock, folio_put
//
// Between two steps the walk is inside rmap_one on the last VMA walk_context(curr) handed
// (the callback may sleep, as the author notes), or, if it handed none, back in
// traverse_contexts.  Either way RCU is held as coded: a context freed meanwhile (an
// exit's __put_cow_context: list_del_rcu + kfree_rcu) stays readable until the walk ends
// (state.walker.rcu_freed: the slot is not reused, its parent and next pointers kept).
// Inside rmap_one, walk_context also holds mm_users of curr's mm (mmget_not_zero, until
// its mmput_async): that mm's exit_mmap waits (the model runs exit/execve of it only
// after the walk moved on: state.walker.pin_mm), and as drop_cow_context runs at
// __mmdrop, the mm's reference keeps curr alive.  `--cow-fix walk_drops_rcu` is the
// TODO's change: RCU is dropped around rmap_one (only there), so what kfree_rcu held may
// go; curr, pinned, cannot (a free of curr outside RCU would be bug
// rmap_walk_freed_cow_context).  `--cow-fix walk_pins_context` adds a reference on the
// visited context across the unlocked window, dropped after the next step moved on: with
// the mm pin modelled it protects nothing more (docs/cow-context-findings.md, finding 8).
//
// `--phased walk_vma` (the author's TODO "VMA is not stabilised" / "VMA not locked so
// unsafe to access" in walk_context_remap(), finding 9): between two steps the walk is
// inside rmap_one on the last VMA walk_context() handed it, found by for_each_vma_range()
// under RCU only.  A munmap, mremap or mprotect merge that frees that VMA meanwhile
// is seen when rmap_one returns at the next step (bug rmap_one_freed_vma).  VMAs are
// SLAB_TYPESAFE_BY_RCU (mm/vma_init.c), so RCU does not keep a freed VMA: the object can
// be reused at once.  (An exit of that mm cannot free it: walk_context holds its
// mm_users.)  `--cow-fix walk_locks_vma` read-locks the VMA (vma_start_read()) across
// rmap_one; a writer (vma_start_write()) waits for it.
//
// `--phased walk_remap` (docs/cow-context-findings.md, finding 10): walk_context()'s "Get
// unique remaps" loop reads the remap_mt entry holding folio->index under RCU only:
// mas_walk() returns the entry, then each iteration reads the dynarray's nr and a slot.
// When that entry is a heap dynarray (nr >= 2; a simple entry is a value in the tree
// slot), the step that visits the context stops after the load, holding RCU and the
// mm's mm_users, and the next step reads the array ("Get unique remaps") and walks the
// first of its offsets, each later step the next one (state.walker.arr_*): another cpu
// may run between any two.  A writer of that context's remap_mt may run between the two, on
// another cpu, as nothing the reader holds excludes it: an mremap's add_new_remap() that
// appends to a full heap array krealloc()s it, which kfree()s it at once (bug
// rmap_walk_freed_remap_array; model/cow_context.hpp walker_remap_written() says which
// writes free, copy or keep the array).  `--cow-fix remap_expand_rcu` frees the old array
// with kfree_rcu() instead.  The reader sees the array as it was at the load (in-place
// writes are taken to come after its reads), unless `--phased walk_remap_slots`: then
// each step reads nr and one slot of the array as it is now (state.walker.arr_slot,
// arr_got), so an in-place write between two slot reads is seen by the later ones: with
// `--cow-fix unmap_removes_records`, find_and_unmap_existing()'s shift under the reader
// makes it skip an offset (race (a) of the findings, finding 12).
// An mremap of the mm meanwhile may move a mapping of the folio to an offset the walk
// will not walk, or has walked already (finding 11); `--cow-fix walk_rereads_remaps` (a
// per-context sequence count around remap_mt writes and mremaps) makes walk_context
// start again after its last offset when the count moved since the load
// (read_seqcount_retry at the end of the read section).  Between two offsets the mm is
// held (mm_users) and, with walk_drops_rcu, RCU is dropped if rmap_one ran; with
// --phased walk_vma the walk is inside rmap_one on the last VMA handed at the offset
// just walked (if any), tracked and locked as the last VMA of a walk_context is.
//
// Every walk in steps is checked for completeness: walk_begin notes the mms that map the
// folio (state.walker.pending), a confirmed visit clears one, and a walk that ends with an
// mm still mapping the folio and never confirmed sets state.walk_missed (rmap_complete).
//
// Simplifications: one walk at a time; the walk is read-only (folio_referenced_one's
// young-bit clearing is not modelled: rmap_one only reads); walk_context itself is
// atomic but for --phased walk_remap's load and offsets (above) (its own
// READ_ONCE(context->mm) / mmget_not_zero and VMA reads are one step, so only the last
// VMA it hands in a step is inside rmap_one between steps (one VMA at most covers the
// page at each offset): without walk_remap the VMAs of a walk_context's earlier offsets
// are not; with walk_vma and walk_remap every VMA handed is, as the walk also pauses inside
// rmap_one on offset 0's VMA when remaps follow (state.walker.arr_pending); with walk_locks_vma
// a writer waits if it changes that VMA or a VMA range next to it, a little more than
// the kernel's merges lock: model/vma.hpp walk_locks_range);
// was_exclusive is read at each walk_context, as coded (with --cow-fix
// exclusive_at_walk_start, once, at walk_begin).  Concrete engines only: bmc and
// prove refuse --phased.
#pragma once
#include "args.hpp"
#include "cow_context.hpp"
#include "tlb.hpp"

namespace model {

/// The links of a context that traverse_contexts() follows.
struct walker_links {
    cint parent = nil, first_child = nil, next_sibling = nil;
};

/// What the walk's cursor reads of context c: the slot, or for a context freed while
/// the walk held RCU, what kfree_rcu kept (mm NULL, no children, the old links).
template <class S> walker_links walker_view(const S& s, cint c) {
    const auto& w = s.walker;
    const auto k = static_cast<std::size_t>(c.get());
    if (k >= w.rcu_freed.size()) return {};
    if (w.rcu_freed[k]) return {w.rcu_parent[k], nil, w.rcu_next[k]};
    const auto& x = s.cow_ctx[k];
    return {x.parent, x.first_child, x.next_sibling};
}

template <class S> typename S::domain::Bool enabled_walk_begin(const config& cfg, const S& s, const args& a) {
    MODEL_TYPES(S);
    if (!(cfg.cow() && cfg.has_phase(phased_op::walk)) || s.walker.folio != nil) return B(false);
    const auto& fo = s.folio[a.folio];
    return fo.allocated && fo.mapcount != 0 && fo.cow_context != nil;
}

template <class S> typename S::domain::Bool enabled_walk_step(const config& cfg, const S& s, const args&) {
    return typename S::domain::Bool(cfg.cow() && cfg.walks_in_steps() && s.walker.folio != nil);
}

/// Does mm m map folio f (a PTE of m points to it)?
template <class S> bool mm_maps_folio(const S& s, int m, cint f) {
    for (const auto& p : s.pte[static_cast<std::size_t>(m)])
        if (p.present && p.folio == f) return true;
    return false;
}

/// Is the PTE of mm m at vpage v a migration entry to folio src (--phased migrate)?
template <class S> bool is_migration_entry_to(const S& s, int m, int v, cint src) {
    return s.migration_entry[static_cast<std::size_t>(m)][static_cast<std::size_t>(v)].folio == src;
}

/// --phased migrate: remove_migration_pte() on the VMA of mm m the walk handed, at vpage v
/// (page_vma_mapped_walk with PVMW_MIGRATION finds the entry): a migration entry to the
/// old folio becomes a PTE to the new one, the walk's folio, with the entry's write
/// permission (folio_get, folio_add_anon_rmap_pte).
template <class S> void remove_migration_pte(S& s, int m, int v) {
    auto& w = s.walker;
    if (!is_migration_entry_to(s, m, v, w.migrate_from)) return;
    auto& e = s.migration_entry[static_cast<std::size_t>(m)][static_cast<std::size_t>(v)];
    s.pte[m][v] = pte_t<typename S::domain>{true, w.folio, e.writable != 0};
    e = {};
    auto& to = s.folio[w.folio.get()];
    to.mapcount = to.mapcount + 1;
    to.refcount = to.refcount + 1;
    w.pending[m] = 0;
    for (int u = 0; u < S::preset::va_pages; ++u) w.pending[m] = w.pending[m] || is_migration_entry_to(s, m, u, w.migrate_from);
}

/// --phased migrate: remove_migration_ptes() is over.  An entry it missed stays behind
/// with the old folio unlocked: bug migration_entry_left (the BUG_ON in
/// pfn_swap_entry_folio() that the next fault on it, or its zap, hits; the model clears
/// the entry), and an mm that had an entry from the start and still has it is a mapping
/// the walk missed (rmap_complete).  Then the migration drops its reference on the old
/// folio, which frees it (folio_put).
template <class S> void end_remove_migration_ptes(const config& cfg, S& s, const typename S::walker_t& w) {
    MODEL_TYPES(S);
    bool left = false;
    for (int m = 0; m < P::mms; ++m)
        for (int v = 0; v < P::va_pages; ++v)
            if (is_migration_entry_to(s, m, v, w.migrate_from)) {
                left = true;
                s.migration_entry[m][v] = {};
                if (w.pending[m] && s.walk_missed == 0 && s.bug == 0) s.walk_missed = static_cast<std::uint8_t>(m + 1);
            }
    bug_on(s, bug::migration_entry_left, B(left));
    folio_put(cfg, s, I(w.migrate_from), I(1));
}

/// The walk handed rmap_one a VMA of mm m at vpage vp: page_vma_mapped_walk() confirms the
/// mapping if the PTE there maps the folio.
template <class S> void walker_confirm(S& s, int m, cint vp) {
    auto& w = s.walker;
    const auto& ptes = s.pte[static_cast<std::size_t>(m)];
    if (vp.get() >= static_cast<int>(ptes.size())) return;
    if (w.migrate_from != nil) return remove_migration_pte(s, m, vp.get());
    const auto& p = ptes[static_cast<std::size_t>(vp.get())];
    if (p.present && p.folio == w.folio) w.pending[m] = 0;
}

/// The walk is over: rcu_read_unlock() (the grace period ends: what kfree_rcu held is
/// free), the pinned context's reference, and folio_put of the isolation's reference.
/// An mm that mapped the folio when the walk began, still maps it and
/// was never confirmed is a mapping the walk missed although it lasted through the walk
/// (an mm that exited meanwhile is cleared by teardown_mm; a mapping zapped meanwhile
/// cannot come back in the same mm: the walk holds a folio reference, which keeps
/// migration and COW reuse off it).  Not judged after a use-after-free, which ended the
/// walk early.
template <class S> void walker_end(const config& cfg, S& s) {
    MODEL_TYPES(S);
    const auto w = s.walker;
    s.walker = typename S::walker_t{};
    // A migration's walk is judged by the entries it leaves (an mm whose entry was zapped
    // meanwhile no longer maps the new folio: the generic check below passes it too).
    if (w.migrate_from != nil) end_remove_migration_ptes(cfg, s, w);
    if (s.bug == 0 && s.walk_missed == 0)
        for (int m = 0; m < P::mms; ++m)
            if (w.pending[m] && s.mm[m].live && mm_maps_folio(s, m, w.folio)) {
                s.walk_missed = static_cast<std::uint8_t>(m + 1);
                break;
            }
    if (w.held) cow::put(s, I(w.curr));
    folio_put(cfg, s, I(w.folio), I(1));
}

/// --cow-fix walk_drops_rcu: the walk left RCU around an rmap_one call, so a grace period
/// may end, and what kfree_rcu held for the walk is free (the walk holds no pointer into
/// it: curr is pinned by its mm).
template <class S> void walker_rcu_dropped(S& s) {
    auto& w = s.walker;
    w.rcu = 0;
    w.rcu_freed = {};
    w.rcu_parent = {};
    w.rcu_next = {};
}

/// --phased walk_vma: the walk pauses inside rmap_one on VMA (last_mm, last_vma) (nil: it
/// handed none), the last one walk_context handed, or with --phased walk_remap the last
/// one handed at the offset just walked.  With --cow-fix walk_locks_vma it holds the VMA
/// read-locked, unless a fork of --phased fork holds its mm: dup_mmap write-locks the
/// VMAs, vma_start_read() fails, and the VMA is skipped, as lock_vma_under_rcu() callers
/// do (a munmap between its phases holds the mmap_lock downgraded to read, which does not
/// stop vma_start_read()).
template <class S> void walker_holds_vma(const config& cfg, S& s, int last_mm, int last_vma) {
    auto& w = s.walker;
    if (!cfg.has_phase(phased_op::walk_vma) || last_mm == nil) return;
    const bool locks = cfg.fixed(cow_fix::walk_locks_vma);
    if (locks && in_fork(s, last_mm)) return;
    w.vma_mm = last_mm;
    w.vma = last_vma;
    w.vma_locked = locks;
    w.vma_freed = 0;
}

/// walk_context(curr) has run its last rmap_one (on (last_mm, last_vma), nil: it handed
/// none) and returns true.  With --phased walk_vma the walk then stays inside rmap_one on
/// that VMA (walker_holds_vma).
template <class S> void walker_in_rmap_one(const config& cfg, S& s, int last_mm, int last_vma) {
    // Inside rmap_one on the last VMA handed, walk_context holds that mm (mmget_not_zero)
    // and, with walk_drops_rcu, has left RCU.
    s.walker.pin_mm = last_mm;
    if (last_mm != nil && cfg.fixed(cow_fix::walk_drops_rcu)) walker_rcu_dropped(s);
    walker_holds_vma(cfg, s, last_mm, last_vma);
}

/// The walk's rmap_one (folio_referenced_one: it only reads): each VMA walk_context hands
/// it is noted as the last one (last_mm, last_vma) and, where page_vma_mapped_walk finds
/// the folio mapped at vp, confirmed (walker_confirm).
template <class S> auto walker_rmap_one(S& s, int& last_mm, int& last_vma) {
    MODEL_TYPES(S);
    return [&s, &last_mm, &last_vma](B handed, int m, int i, I vp) {
        if (handed) last_mm = m, last_vma = i, walker_confirm(s, m, vp);
    };
}

template <class S> void walker_visit(const config& cfg, S& s, bool may_pause = true);

/// How many offsets context x records at pgoff p (0: no entry; 1: a simple entry, a value in
/// the tree slot; 2 or more: a heap dynarray).
template <class X> int remap_nr(const X& x, std::size_t p) { return p < x.rnr.size() ? x.rnr[p].get() : 0; }

/// walk_context(curr) after the non-remapped case, which handed rmap_one (last_mm,
/// last_vma) (nil: none): "Get unique remaps" and the offsets.  With --phased walk_remap
/// and a heap dynarray as the folio's remap_mt entry, it stops after loading that entry
/// (state.walker.arr_*), unless !may_pause: walker_read_remaps() goes on.
template <class S> void walker_remaps(const config& cfg, S& s, int last_mm, int last_vma, bool may_pause) {
    MODEL_TYPES(S);
    auto& w = s.walker;
    w.arr_pending = 0;
    const auto& fo = s.folio[w.folio.get()];
    const auto& x = s.cow_ctx[w.curr.get()];
    const auto p = static_cast<std::size_t>(fo.index.get());
    if (may_pause && cfg.has_phase(phased_op::walk_remap) && remap_nr(x, p) >= 2) {
        // remaps_for_each: mas_walk() has returned the entry, a struct dynarray pointer,
        // under RCU and with mm_users held; its nr and offsets are read at the next step.
        // The non-remapped case's rmap_one calls have returned (with walk_drops_rcu RCU was
        // dropped around them, and is held again).  curr's sequence count is read before
        // offset 0 (walk_rereads_remaps): arr_changed counts from there.
        if (last_mm != nil && cfg.fixed(cow_fix::walk_drops_rcu)) walker_rcu_dropped(s);
        w.pin_mm = x.mm;
        w.rcu = 1;
        w.arr_loaded = 1;
        w.arr_freed = 0;
        for (std::size_t q = 0; q < x.rstart.size(); ++q) w.arr_pgoffs[q] = x.rstart[q] == x.rstart[p];
        w.arr_nr = x.rnr[p];
        w.arr_offs = x.roff[p];   // arr_slot, arr_got: zero since the last read ended
        return;
    }
    const auto visit = walker_rmap_one(s, last_mm, last_vma);
    cow::walk_context_offsets(cfg, s, I(w.folio), fo.index, x.mm, D::select(x.rnr, fo.index),
                              D::select(x.roff, fo.index), B(true), visit, nullptr);
    // read_seqcount_retry (walk_rereads_remaps): the count moves only while walk_context
    // pauses (arr_pending), so only after that can it have moved.
    const bool retry = w.arr_changed && cfg.fixed(cow_fix::walk_rereads_remaps);
    w.arr_changed = 0;
    if (retry) {
        walker_visit(cfg, s, false);
        return;
    }
    walker_in_rmap_one(cfg, s, last_mm, last_vma);
}

/// walk_context(curr); ends the walk if it says so.
/// With --phased walk_vma and walk_remap, when the non-remapped case handed rmap_one a
/// VMA and remaps follow, it pauses inside that rmap_one (state.walker.arr_pending: the
/// remaps come at the next step), unless !may_pause.  Then walker_remaps().
template <class S> void walker_visit(const config& cfg, S& s, bool may_pause) {
    MODEL_TYPES(S);
    auto& w = s.walker;
    const auto& fo = s.folio[w.folio.get()];
    int last_mm = nil, last_vma = nil;
    const auto visit = walker_rmap_one(s, last_mm, last_vma);
    B stop = false;
    const B rest = cow::walk_context_head(cfg, s, I(w.folio), I(w.curr), B(true), B(w.exclusive_at_start != 0), visit,
                                          nullptr, stop);
    if (stop) {
        walker_end(cfg, s);
        return;
    }
    if (!rest) {   // a dead mm: walk_context returns true at once
        walker_in_rmap_one(cfg, s, nil, nil);
        return;
    }
    const auto& x = s.cow_ctx[w.curr.get()];
    const auto p = static_cast<std::size_t>(fo.index.get());
    if (may_pause && last_mm != nil && cfg.has_phase(phased_op::walk_vma) && cfg.has_phase(phased_op::walk_remap) &&
        remap_nr(x, p) >= 1) {
        // rmap_one on offset 0's VMA may sleep before walk_context goes on to the remaps.
        walker_in_rmap_one(cfg, s, last_mm, last_vma);
        w.arr_pending = 1;
        return;
    }
    walker_remaps(cfg, s, last_mm, last_vma, may_pause);
}

/// --phased walk_remap: walk_context(curr) walks the next offset it read, arr_offs[arr_next]
/// (rmap_one on the VMAs there).  Before the last it pauses (inside rmap_one, or between
/// two offsets).  After the last it is done: with walk_rereads_remaps it starts again if
/// curr's sequence count moved since the load, else it stays in rmap_one on the last VMA
/// handed, as walker_visit() does.
template <class S> void walker_next_offset(const config& cfg, S& s) {
    MODEL_TYPES(S);
    auto& w = s.walker;
    w.rcu = 1;   // rmap_one returned (with walk_drops_rcu it took RCU again)
    int last_mm = nil, last_vma = nil;
    const auto visit = walker_rmap_one(s, last_mm, last_vma);
    B found = false;
    const int k = w.arr_next++;
    cow::walk_context_remap(s, I(w.folio), s.folio[w.folio.get()].index, I(w.pin_mm), w.arr_offs[k],
                            B(k < w.arr_nr.get()), found, visit, nullptr);
    if (w.arr_next < w.arr_nr.get()) {   // the next offset comes at the next step
        // Inside rmap_one on the last VMA handed at this offset (walker_holds_vma), or
        // between two offsets if it handed none; curr's mm stays held (pin_mm).
        if (last_mm != nil && cfg.fixed(cow_fix::walk_drops_rcu)) walker_rcu_dropped(s);
        walker_holds_vma(cfg, s, last_mm, last_vma);
        return;
    }
    const bool retry = w.arr_changed && cfg.fixed(cow_fix::walk_rereads_remaps);
    w.arr_walking = w.arr_next = w.arr_changed = 0;
    w.arr_nr = 0;
    w.arr_offs = {};
    if (retry) {
        // --cow-fix walk_rereads_remaps: the context's sequence count moved since the load
        // (an mremap of its mm, or a remap_mt write): walk_context(curr) starts again, on
        // the context as it is now (offset 0 included: a VMA may have moved back there).
        walker_visit(cfg, s, false);
        return;
    }
    walker_in_rmap_one(cfg, s, last_mm, last_vma);
}

/// --phased walk_remap: walk_context(curr) goes on from the loaded entry: it reads its nr
/// and offsets ("Get unique remaps", into the walker's on-stack copy) and walks the first
/// (walker_next_offset).  A krealloc() since the load is a use-after-free, a kfree_rcu()
/// leaves the array readable as it was.  Without walk_remap_slots the whole loop is this
/// one step, and the in-place writes since the load (find_and_remap_existing()'s
/// set_multi_remap(), an append into spare capacity, find_and_unmap_existing()'s shift and
/// dynarray_shrink()) are taken to come after its reads.  With walk_remap_slots each step
/// reads nr (smp_load_acquire) and, below it, slot arr_slot of the array as it is now
/// (arr_offs follows the in-place writes: cow::walker_remap_refresh), appending it to the
/// on-stack dynarray; the step that finds arr_slot >= nr ends the loop (race (a) of
/// docs/cow-context-findings.md, finding 12).
template <class S> void walker_read_remaps(const config& cfg, S& s) {
    MODEL_TYPES(S);
    auto& w = s.walker;
    const bool freed = w.arr_freed;
    bug_on(s, bug::rmap_walk_freed_remap_array, freed);
    if (freed) {
        walker_end(cfg, s);
        return;
    }
    I unr = 0;
    if (cfg.has_phase(phased_op::walk_remap_slots)) {
        if (w.arr_slot < w.arr_nr.get()) {   // append_remap_offset(unique_remaps, slot i)
            cow::append_offset<D>(w.arr_got, w.arr_got_nr, w.arr_offs[w.arr_slot++], B(true),
                                  cfg.fixed(cow_fix::dynarray_insert_moves));
            return;   // RCU and mm_users held: the next slot comes at the next step
        }
        w.arr_offs = w.arr_got;
        unr = w.arr_got_nr;
    } else {
        w.arr_offs = cow::unique_remaps<S>(cfg, w.arr_nr, w.arr_offs, B(true), unr);
    }
    w.arr_nr = unr;
    w.arr_slot = 0;
    w.arr_got_nr = 0;
    w.arr_got = {};
    w.arr_loaded = 0;
    w.arr_pgoffs = {};
    w.arr_walking = 1;
    w.arr_next = 0;
    walker_next_offset(cfg, s);
}

/// --inject cow_walk_skips_descendants: the traversal ends after the folio's context.
template <class S> void walker_skip_descendants(const config& cfg, S& s) {
    const auto& w = s.walker;
    if (w.folio != nil && !w.arr_pending && !w.arr_loaded && !w.arr_walking && w.curr == w.root &&
        cfg.has(mutant::cow_walk_skips_descendants))
        walker_end(cfg, s);
}

/// cow_context_walk() on folio f (its reference taken, walker.pending set): rcu_read_lock(),
/// traverse_contexts() from the folio's context, which it visits first.  From walk_begin,
/// and from --phased migrate's remove_migration_ptes (model/migrate.hpp).
template <class S> void walker_start(const config& cfg, S& s, cint f) {
    MODEL_TYPES(S);
    auto& w = s.walker;
    const auto& fo = s.folio[f.get()];
    w.folio = f;
    w.rcu = 1;   // rcu_read_lock()
    w.exclusive_at_start = fo.mapcount == I(1);   // --cow-fix exclusive_at_walk_start
    w.root = w.curr = fo.cow_context;
    bug_on(s, bug::rmap_walk_freed_cow_context, !s.cow_ctx[w.root.get()].live);
    w.parent = nil;
    w.visited = 0;   // the loop starts at the root with (1)
    walker_visit(cfg, s);   // "Visit root first."
    walker_skip_descendants(cfg, s);
}

template <class S> void do_walk_begin(const config& cfg, S& s, const args& a) {
    MODEL_TYPES(S);
    if constexpr (D::is_symbolic) {
        return;
    } else {
        auto& fo = s.folio[a.folio];
        fo.refcount = fo.refcount + I(1);   // the isolation's folio_get
        for (int m = 0; m < P::mms; ++m) s.walker.pending[m] = s.mm[m].live && mm_maps_folio(s, m, a.folio);
        walker_start(cfg, s, a.folio);
    }
}

template <class S> void do_walk_step(const config& cfg, S& s, const args&) {
    MODEL_TYPES(S);
    if constexpr (D::is_symbolic) {
        return;
    } else {
        auto& w = s.walker;
        if (w.vma_mm != nil) {
            // rmap_one on the VMA handed last returns: folio_referenced_one() has read
            // vma->vm_mm and vma->vm_flags (VM_LOCKED) after page_vma_mapped_walk(), and a
            // VMA freed meanwhile (under SLAB_TYPESAFE_BY_RCU even RCU does not keep it: the
            // object can already be another VMA) was used after its free.  With
            // walk_locks_vma, vma_end_read().
            const bool freed = w.vma_freed;
            bug_on(s, bug::rmap_one_freed_vma, freed);
            w.vma_mm = w.vma = nil;
            w.vma_locked = w.vma_freed = 0;
            if (freed) {
                walker_end(cfg, s);
                return;
            }
        }
        if (w.arr_pending || w.arr_loaded || w.arr_walking) {   // --phased walk_remap: walk_context(curr) goes on
            if (w.arr_pending) {   // rmap_one on offset 0's VMA returns (RCU taken again)
                w.rcu = 1;
                walker_remaps(cfg, s, nil, nil, true);
            } else if (w.arr_loaded) {
                walker_read_remaps(cfg, s);
            } else {
                walker_next_offset(cfg, s);
            }
            walker_skip_descendants(cfg, s);
            return;
        }
        // rmap_one returns (RCU taken again around it), walk_context ends: mmput_async.
        w.pin_mm = nil;
        w.rcu = 1;
        const cint old = w.curr;
        const bool held = w.held;
        const bool pre_order = cfg.fixed(cow_fix::walk_parent_first);
        if (w.visited || pre_order) {
            // Reading curr's links: outside RCU with nothing holding it, curr may be gone, a
            // use-after-free (its ancestors are held by their children's references).
            bug_on(s, bug::rmap_walk_freed_cow_context, w.curr_freed != 0);
            if (w.curr_freed) {
                walker_end(cfg, s);
                return;
            }
        }
        if (pre_order) {
            // --cow-fix walk_parent_first: the next context in pre-order; none: back at the
            // root.  The cursor's view may hold freed slots, so the climb is bounded loosely.
            const cint next = cow::next_in_pre_order<D>(w.curr, w.root, [&](cint c) { return walker_view(s, c); },
                                                         P::anon_vmas + 1);
            w.curr = next != nil ? next : w.root;
        } else {
            if (w.visited) {   // (3) parent = curr->parent; next = list_next_or_null_rcu(...) ?: parent.
                const auto v = walker_view(s, w.curr);
                w.parent = v.parent;
                w.curr = v.next_sibling != nil ? v.next_sibling : v.parent;
            }
            // (1) if (curr != parent) descend to the left-most child, as far as it goes.
            for (int k = 0; k < P::anon_vmas && w.curr != w.parent; ++k) {
                const cint child = walker_view(s, w.curr).first_child;
                if (child == nil) break;
                w.curr = child;
            }
        }
        w.visited = 1;
        // --cow-fix walk_pins_context: a reference on the context about to be visited (the
        // root is the folio's), then the previous one's dropped (which may free it).
        const bool pin = cfg.fixed(cow_fix::walk_drops_rcu) && cfg.fixed(cow_fix::walk_pins_context) && w.curr != w.root;
        if (pin) cow::get(s, I(w.curr));
        w.held = pin;
        if (held) cow::put(s, I(old));
        // (2) the root ends the walk; else walk_context(curr).
        if (s.walker.curr == s.walker.root) walker_end(cfg, s);
        else walker_visit(cfg, s);
    }
}

}  // namespace model
