// model/rmap.hpp — the rmap design interface.
//
// Every point where the kernel calls into the anonymous rmap goes through one
// function here, which dispatches on config::rmap (a plain C++ `if` on the config,
// so both designs run in the concrete and the symbolic domain): `anon_vma`
// (model/anon_vma.hpp, today's kernel) or `cow_context` (model/cow_context.hpp, the
// proof of concept as coded).
//
//   mm_init / mm_teardown       mm_init(), __mmdrop()
//   prepare                     __anon_vma_prepare() on first fault
//   add_new                     folio_add_new_anon_rmap() -> __folio_set_anon()
//   move_on_reuse               folio_move_anon_rmap() (do_wp_page reuse)
//   dup_on_fork                 folio_try_dup_anon_rmap_pte() (copy_present_ptes)
//   fork_vma                    anon_vma_fork() from dup_mmap()
//   clone                       anon_vma_clone() for split and copy_vma (mremap)
//   dup_on_merge                dup_anon_vma() when a merge target was unfaulted
//   unlink                      unlink_anon_vmas() (free_pgtables, vma_complete)
//   walk                        rmap_walk_anon()
//   fork_done                   end of dup_mmap() (dup_cow_context)
//   copy_vma_remap              copy_vma(), new-VMA path of a faulted VMA (cow_context_do_remap)
//   vma_unmap                   remove_vma() (cow_context_vma_unmap)
//   folio_freed                 the last folio reference is dropped (folio_put)
// is_mergeable_anon_vma() / vma_is_fork_child() stay the anon_vma functions: under
// CONFIG_COW_CONTEXT_ANON_RMAP they read vma->anon_vma (DUMMY_ANON_VMA once faulted)
// and an always-empty anon_vma_chain, which is what model::anon_vma computes for a
// VMA whose chain is empty: every faulted VMA counts as a fork child, and two faulted
// VMAs merge (equal pointers).
#pragma once
#include "anon_vma.hpp"
#include "cow_context.hpp"

namespace model::rmap {

/// mm_init(): a new address space (fork's child, execve's new mm).  anon_vma keeps no
/// per-mm rmap state; the COW context allocates the mm's context here.
template <class S> void mm_init(const config& cfg, S& s, int m) {
    if (cfg.cow()) cow::mm_init(cfg, s, m);
}

/// __mmdrop(): the address space is gone (exit, execve's old mm), after exit_mmap
/// unlinked every VMA.  anon_vma has nothing left to drop; the COW context drops the
/// mm's reference on its context here.
template <class S> void mm_teardown(const config& cfg, S& s, int m) {
    if (cfg.cow()) cow::drop(s, m);
}

/// __anon_vma_prepare(); under COW contexts it only stores DUMMY_ANON_VMA
/// (cow_context_do_map_private_cow acts on private file mappings only).
template <class S> void prepare(const config& cfg, S& s, int m, int i) {
    using D = typename S::domain;
    if (cfg.cow()) {
        auto& v = s.vma[m][i];
        const typename D::Bool first = v.anon_vma == nil;
        v.anon_vma = D::ite(first, typename D::Int(cow::dummy_anon_vma), v.anon_vma);
        if (cfg.fixed(cow_fix::fault_records_remap)) {
            const auto w = s.vma[m][i];   // add_new_remap(context, pgoff, nr_pages, offset)
            cow::do_remap(cfg, s, m, w, w.start, false, first);
        }
        return;
    }
    anon_vma::prepare(cfg, s, m, i);
}

/// folio_add_new_anon_rmap(folio, vma, addr, RMAP_EXCLUSIVE) -> __folio_set_anon():
/// mapping = vma->anon_vma, index = linear_page_index(vma, addr).
template <class S>
void add_new(const config& cfg, S& s, typename S::domain::Int f, int m, int i, typename S::domain::Int vp) {
    using D = typename S::domain;
    if (cfg.cow()) return cow::add_new(cfg, s, f, m, i, vp);
    const auto v = s.vma[m][i];
    D::update(s.folio, f, [&](auto& fo) {
        fo.mapping = v.anon_vma;
        fo.index = linear_page_index(v, vp);
    });
}

/// folio_move_anon_rmap(): an exclusively owned folio moves to the faulting VMA's anon_vma.
template <class S> void move_on_reuse(const config& cfg, S& s, typename S::domain::Int f, int m, int i) {
    using D = typename S::domain;
    if (cfg.cow()) return cow::move_on_reuse(s, f, m);
    const auto av = s.vma[m][i].anon_vma;
    D::update(s.folio, f, [&](auto& fo) { fo.mapping = av; });
}

/// anon_vma_fork(); under COW contexts it copies vma->anon_vma, and with --cow-fix
/// fork_records_remaps dup_mmap also calls cow_context_do_fork(vma, pvma), which
/// records an inherited moved VMA in the child's context (is_remap = false: always add).
template <class S> void fork_vma(const config& cfg, S& s, int m, int m2, int i) {
    using D = typename S::domain;
    if (cfg.cow()) {
        s.vma[m2][i].anon_vma = s.vma[m][i].anon_vma;
        if (cfg.fixed(cow_fix::fork_records_remaps)) {
            const auto v = s.vma[m2][i];
            cow::do_remap(cfg, s, m2, v, v.start, false, typename D::Bool(true));
        }
        return;
    }
    anon_vma::fork(cfg, s, m, m2, i);
}

/// dup_cow_context(mm, oldmm) after dup_mmap's VMA loop succeeded.
template <class S> void fork_done(const config& cfg, S& s, int m, int m2) {
    if (cfg.cow()) cow::dup(s, m, m2);
}

/// anon_vma_clone(); under COW contexts it copies the pointer.
template <class S, class V> void clone(const config& cfg, S& s, V& dst, const V& src) {
    if (cfg.cow()) {
        dst.anon_vma = src.anon_vma;
        return;
    }
    anon_vma::clone_into(s, dst, src);
}

/// dup_anon_vma(); under COW contexts dst->anon_vma = src->anon_vma if dst was unfaulted.
template <class S> void dup_on_merge(const config& cfg, S& s, int m, int dst,
                                     const vma_t<typename S::domain, typename S::preset>& src) {
    using D = typename S::domain;
    if (cfg.cow()) {
        auto& d = s.vma[m][dst];
        d.anon_vma = D::ite(d.anon_vma == nil && src.anon_vma != nil, src.anon_vma, d.anon_vma);
        return;
    }
    anon_vma::dup(s, m, dst, src);
}

/// unlink_anon_vmas(); under COW contexts vma->anon_vma = NULL.
template <class S> void unlink(const config& cfg, S& s, int m, int i) {
    if (cfg.cow()) {
        s.vma[m][i].anon_vma = nil;
        return;
    }
    anon_vma::unlink(s, m, i);
}

/// copy_vma(): `if (faulted_in_anon_vma) cow_context_do_remap(new_vma, vma->vm_start)`,
/// with vma the whole source VMA; nothing on the merged path.
template <class S, class V>
void copy_vma_remap(const config& cfg, S& s, int m, const V& new_vma, const V& src, typename S::domain::Bool on) {
    if (!cfg.cow()) return;
    // --inject cow_partial_remap_unrecorded: only a move of the whole VMA is recorded.
    if (cfg.has(mutant::cow_partial_remap_unrecorded)) on = on && new_vma.pages == src.pages;
    // --inject cow_remap_wrong_side: the moved part's offset goes over the pgoff range the
    // source VMA starts at (src->vm_pgoff, the part left behind when the tail moves).
    V w = new_vma;
    if (cfg.has(mutant::cow_remap_wrong_side)) {
        w.pgoff = src.pgoff;
        w.start = new_vma.start - new_vma.pgoff + src.pgoff;
    }
    cow::do_remap(cfg, s, m, w, src.start - new_vma.pgoff + w.pgoff, true, on && src.anon_vma != nil,
                  cfg.fixed(cow_fix::remap_clips_entries));
}

/// copy_vma()'s merged path makes no call as coded; with --cow-fix copy_vma_merge_records
/// the moved range (as a VMA of its own: new address, pgoff, length) goes through
/// cow_context_do_remap like a new VMA.
template <class S, class V>
void copy_vma_merged(const config& cfg, S& s, int m, const V& moved, const V& src, typename S::domain::Bool on) {
    if (cfg.cow() && cfg.fixed(cow_fix::copy_vma_merge_records)) copy_vma_remap(cfg, s, m, moved, src, on);
}

/// remove_vma() -> cow_context_vma_unmap(vma), v the VMA as the caller sees it.  As coded
/// remove_vma() runs after free_pgtables() -> unlink_anon_vmas() set vma->anon_vma = NULL,
/// so should_track_remap() is false and nothing is removed.  --cow-fix
/// unmap_removes_records calls it before that, from the unmap paths (model/vma.hpp
/// unmap_vma_range, model/mm.hpp exit_mmap; a merge's removal of a VMA, vma_complete(),
/// does not call remove_vma()), and splits the entries straddling the unmapped pgoff range
/// first (as remap_clips_entries does for a move), so only v's pages lose their record.
template <class S, class V> void vma_unmap(const config& cfg, S& s, int m, const V& v) {
    using D = typename S::domain;
    if (!cfg.cow()) return;
    const bool fix = cfg.fixed(cow_fix::unmap_removes_records);
    const auto off = cow::vma_offset(v);
    const typename D::Bool track = cow::should_track(v);
    const auto c = s.mm[m].cow_context;
    const auto x = D::select(s.cow_ctx, c);
    auto y = x;
    if (fix) cow::split_at<D>(y, v.pgoff, v.pages);
    cow::unmap_existing<D>(y, v.pgoff, v.pages, off);   // find_and_unmap_existing()
    const auto r = D::ite(track, y, x);
    if constexpr (!D::is_symbolic)   // --phased walk_remap: what it does to the walk's array
        if (track) {
            if (fix) cow::walker_remap_written(cfg, s, c, x, v.pgoff, v.pages, cow::remap_write::clip);
            cow::walker_remap_written(cfg, s, c, x, v.pgoff, v.pages, cow::remap_write::shrink, off);
        }
    D::update(s.cow_ctx, c, [&](auto& dst) { dst = r; });
    cow::walker_remap_refresh(cfg, s, c);
}

/// rmap_walk_anon(folio): visit(cond, m, i, vpage) for each VMA handed to rmap_one.
template <class S, class F>
void walk(const config& cfg, S& s, typename S::domain::Int f, typename S::domain::Bool active, F&& visit) {
    if (cfg.cow()) return cow::walk(cfg, s, f, active, visit);
    anon_vma::walk(s, f, active, visit);
}

}  // namespace model::rmap
