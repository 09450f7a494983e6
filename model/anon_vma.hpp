// model/anon_vma.hpp — the anonymous reverse map of today's kernel.
//
// Models struct anon_vma (root, parent, refcount, num_children, num_active_vmas)
// and the anon_vma_chain relation (vma->chain[k] = "an AVC links this VMA into
// anon_vma k's interval tree").  The interval tree itself is derived: the VMAs
// whose chain contains k, queried by their pgoff range.
//
// Follows mm/rmap.c: __anon_vma_prepare, anon_vma_clone (with
// maybe_reuse_anon_vma's rule num_active_vmas == 0 && num_children < 2, from
// 2555283eb40d), anon_vma_fork, unlink_anon_vmas (two phases), put_anon_vma /
// __put_anon_vma, rmap_walk_anon; mm/vma.c: find_mergeable_anon_vma,
// reusable_anon_vma, anon_vma_compatible, dup_anon_vma, is_mergeable_anon_vma.
//
// Simplifies: when several anon_vmas on a chain are reusable, the lowest slot
// is reused (the kernel takes the first in chain order; DESIGN notes the order
// is not modelled); AVC/anon_vma allocation never fails (the zoo adds that);
// locks are implicit because every step here is atomic.
#pragma once
#include "core.hpp"

namespace model::anon_vma {

/// anon_vma_compatible(a, b): a ends where b starts, flags equal except
/// VM_ACCESS_FLAGS, and vm_pgoff linear across the boundary.
template <class V> auto compatible(const V& a, const V& b) {
    return a.used && b.used && a.start + a.pages == b.start &&
           ((a.flags ^ b.flags) & ~decltype(a.flags)(VM_WRITE)) == 0 && b.pgoff == a.pgoff + a.pages;
}

/// vma_is_fork_child(): faulted and linked into more than one anon_vma.
template <class D, class V> typename D::Bool is_fork_child(const V& v) {
    return v.anon_vma != nil && chain_length<D>(v) != 1;
}

/// is_mergeable_anon_vma(): may src's range join tgt?  copied_from_fork_child is
/// vma_is_fork_child(vmg->copied_from) for copy_vma (mremap), else false.
template <class D, class I>
typename D::Bool is_mergeable(I tgt_anon, typename D::Bool tgt_fork_child, I src_anon,
                              typename D::Bool src_fork_child) {
    const auto case1 = tgt_anon == nil && src_anon != nil;   // dup_anon_vma(src -> tgt)
    const auto case2 = tgt_anon != nil && src_anon == nil;   // use tgt's anon_vma
    return D::ite(case1, !src_fork_child, D::ite(case2, !tgt_fork_child, tgt_anon == src_anon));
}

/// anon_vma_alloc() for a new root: refcount 1, root = parent = self, and the
/// "self-parent link" num_children = 1 that __anon_vma_prepare adds.
template <class S> typename S::domain::Int alloc(const config& cfg, S& s) {
    MODEL_TYPES(S);
    return lowest_free<D>(s.anon_vma, cfg.lim.anon_vmas, [](const auto& a) { return a.live; });
}

/// __anon_vma_prepare(vma): reuse a neighbour's anon_vma (find_mergeable_anon_vma,
/// next first, then prev; only if its chain is singular) or allocate a new root.
template <class S> void prepare(const config& cfg, S& s, int m, int i) {
    MODEL_TYPES(S);
    D::when(s.vma[m][i].anon_vma == nil, s, [&](S& s) {
        I next_av = nil, prev_av = nil;
        for (int j = P::vmas - 1; j >= 0; --j) {
            if (j == i) continue;
            const auto& v = s.vma[m][i];
            const auto& o = s.vma[m][j];
            const B singular = o.anon_vma != nil && chain_length<D>(o) == 1;
            next_av = D::ite(compatible(v, o) && singular, o.anon_vma, next_av);
            prev_av = D::ite(compatible(o, v) && singular, o.anon_vma, prev_av);
        }
        const I reuse = D::ite(next_av != nil, next_av, prev_av);
        const I fresh = alloc(cfg, s);
        const B need = reuse == nil;
        out_of_bounds_if(s, need && fresh == nil);
        D::update(s.anon_vma, fresh, [&](auto& a) {
            D::when(need, a, [&](auto& a) {
                a.live = true; a.root = fresh; a.parent = fresh;
                a.refcount = 1; a.num_children = 1; a.num_active_vmas = 0;
            });
        });
        const I av = D::ite(need, fresh, reuse);
        auto& v = s.vma[m][i];
        v.anon_vma = av;
        for (int k = 0; k < P::anon_vmas; ++k) v.chain[k] = v.chain[k] || av == k;
        D::update(s.anon_vma, av, [](auto& a) { a.num_active_vmas = a.num_active_vmas + 1; });
    });
}

/// anon_vma_clone(dst, src) for VMA_OP_SPLIT / VMA_OP_REMAP / VMA_OP_MERGE_UNFAULTED:
/// dst->anon_vma already equals src->anon_vma; copy the chain, num_active_vmas++.
template <class S, class V> void clone_into(S& s, V& dst, const V& src) {
    MODEL_TYPES(S);
    dst.anon_vma = src.anon_vma;
    dst.chain = src.chain;
    D::update(s.anon_vma, src.anon_vma, [](auto& a) { a.num_active_vmas = a.num_active_vmas + 1; });
}

/// dup_anon_vma(dst, src): an unfaulted dst that absorbs a faulted src's range takes its anon_vma.
template <class S> void dup(S& s, int m, int dst, const vma_t<typename S::domain, typename S::preset>& src) {
    MODEL_TYPES(S);
    const B need = s.vma[m][dst].anon_vma == nil && src.anon_vma != nil;
    D::when(need, s, [&](S& s) { clone_into(s, s.vma[m][dst], src); });
}

/// anon_vma_fork(vma, pvma): child VMA (m2, i) of parent VMA (m, i).
template <class S> void fork(const config& cfg, S& s, int m, int m2, int i) {
    MODEL_TYPES(S);
    const auto pv = s.vma[m][i];
    D::when(pv.anon_vma != nil, s, [&](S& s) {
        auto& cv = s.vma[m2][i];
        cv.anon_vma = nil;
        cv.chain = pv.chain;  // anon_vma_clone(VMA_OP_FORK): one AVC per parent AVC
        // maybe_reuse_anon_vma(): an anon_vma with no VMA and fewer than two children.
        I reuse = nil;
        for (int k = P::anon_vmas - 1; k >= 0; --k) {
            const auto& a = s.anon_vma[k];
            B ok = pv.chain[k] && a.num_active_vmas == 0 && a.num_children < 2;
            if (cfg.has(mutant::anon_vma_degree_reuse)) {
                // Before 2555283eb40d (CVE-2022-42703), anon_vma_clone():
                //   if (!dst->anon_vma && src->anon_vma &&
                //       anon_vma != src->anon_vma && anon_vma->degree < 2)
                //           dst->anon_vma = anon_vma;
                // degree is exactly num_active_vmas + num_children: anon_vma_alloc() set 1
                // ("reference for first vma"), __anon_vma_prepare() added the root's self-parent
                // link, anon_vma_fork() did parent->degree++, the clone dst->anon_vma->degree++;
                // unlink_anon_vmas() did parent->degree-- for an emptied tree (the root's self
                // link included) and vma->anon_vma->degree--.  Only fork reuses: split, copy_vma
                // and vma_adjust pre-set dst->anon_vma (clone_into).
                ok = pv.chain[k] && I(k) != pv.anon_vma && a.num_active_vmas + a.num_children < 2;
            }
            if (cfg.has(mutant::anon_vma_no_reuse)) ok = false;   // 7a3ef208e662 reverted
            reuse = D::ite(ok, I(k), reuse);
        }
        D::update(s.anon_vma, reuse, [](auto& a) { a.num_active_vmas = a.num_active_vmas + 1; });
        const I fresh = alloc(cfg, s);
        const B need = reuse == nil;
        out_of_bounds_if(s, need && fresh == nil);
        const auto parent = D::select(s.anon_vma, pv.anon_vma);
        D::update(s.anon_vma, fresh, [&](auto& a) {
            D::when(need, a, [&](auto& a) {
                a.live = true; a.root = parent.root; a.parent = pv.anon_vma;
                a.refcount = 1; a.num_children = 0; a.num_active_vmas = 1;
            });
        });
        D::when(need, s, [&](S& s) {
            D::update(s.anon_vma, parent.root, [](auto& a) { a.refcount = a.refcount + 1; });  // get_anon_vma(root)
            D::update(s.anon_vma, pv.anon_vma, [](auto& a) { a.num_children = a.num_children + 1; });
        });
        auto& cv2 = s.vma[m2][i];
        cv2.anon_vma = D::ite(need, fresh, reuse);
        for (int k = 0; k < P::anon_vmas; ++k) cv2.chain[k] = cv2.chain[k] || (need && fresh == k);
    });
}

/// put_anon_vma(): drop a reference; __put_anon_vma frees it and drops its root's.
template <class S> void put(S& s, int k) {
    MODEL_TYPES(S);
    bug_on(s, bug::counter_underflow, s.anon_vma[k].refcount == 0);
    s.anon_vma[k].refcount = s.anon_vma[k].refcount - 1;
    const I root = s.anon_vma[k].root;
    D::when(s.anon_vma[k].refcount == 0, s, [&](S& s) {
        s.anon_vma[k] = anon_vma_t<D>{};
        D::when(root != k, s, [&](S& s) {
            const auto r = D::select(s.anon_vma, root);
            bug_on(s, bug::counter_underflow, r.refcount == 0);
            D::update(s.anon_vma, root, [](auto& a) {
                a.refcount = a.refcount - 1;
                D::when(a.refcount == 0, a, [](auto& a) { a = std::decay_t<decltype(a)>{}; });
            });
        });
    });
}

/// unlink_anon_vmas(vma): phase 1 removes the VMA's AVCs (an emptied tree drops
/// its parent's num_children) and num_active_vmas--; phase 2 puts the emptied anon_vmas.
template <class S> void unlink(S& s, int m, int i) {
    MODEL_TYPES(S);
    const auto v = s.vma[m][i];
    for (int k = 0; k < P::anon_vmas; ++k) s.vma[m][i].chain[k] = false;
    std::array<B, P::anon_vmas> emptied;
    for (int k = 0; k < P::anon_vmas; ++k) {
        B still_linked = false;
        for (int mm = 0; mm < P::mms; ++mm)
            for (int j = 0; j < P::vmas; ++j) still_linked = still_linked || s.vma[mm][j].chain[k];
        emptied[k] = v.chain[k] && !still_linked;
    }
    for (int k = 0; k < P::anon_vmas; ++k) {
        const I parent = s.anon_vma[k].parent;
        const B dec_parent = emptied[k];
        bug_on(s, bug::counter_underflow, dec_parent && D::select(s.anon_vma, parent).num_children == 0);
        D::update(s.anon_vma, parent, [&](auto& a) {
            a.num_children = a.num_children - D::ite(dec_parent, I(1), I(0));
        });
    }
    bug_on(s, bug::counter_underflow,
           v.anon_vma != nil && D::select(s.anon_vma, v.anon_vma).num_active_vmas == 0);
    D::update(s.anon_vma, v.anon_vma, [](auto& a) { a.num_active_vmas = a.num_active_vmas - 1; });
    s.vma[m][i].anon_vma = nil;
    for (int k = 0; k < P::anon_vmas; ++k) {
        D::when(emptied[k], s, [&](S& s) {
            bug_on(s, bug::unlink_anon_vma_counters,
                   s.anon_vma[k].num_children != 0 || s.anon_vma[k].num_active_vmas != 0);
            put(s, k);
        });
    }
}

/// rmap_walk_anon(folio): every VMA in folio_anon_vma(folio)'s interval tree whose
/// pgoff range covers folio->index, at vma_address().  visit(cond, m, i, vpage).
/// Reading a freed anon_vma is a use-after-free (anon_vmas are SLAB_TYPESAFE_BY_RCU).
template <class S, class F> void walk(S& s, typename S::domain::Int f, typename S::domain::Bool active, F&& visit) {
    MODEL_TYPES(S);
    const auto fo = D::select(s.folio, f);
    bug_on(s, bug::rmap_walk_freed_anon_vma, active && !D::select(s.anon_vma, fo.mapping).live);
    for (int m = 0; m < P::mms; ++m)
        for (int i = 0; i < P::vmas; ++i) {
            const auto& v = s.vma[m][i];
            const B in_tree = D::select(v.chain, fo.mapping) && pgoff_in_vma(v, fo.index);
            visit(active && in_tree, m, i, vma_address(v, fo.index));
        }
}

}  // namespace model::anon_vma
