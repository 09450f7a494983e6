// model/rmap.hpp — the rmap design interface.
//
// Every point where the kernel calls into the anonymous rmap goes through one
// function here, which dispatches on config::rmap.  Today's design is
// `anon_vma` (model/anon_vma.hpp); the COW context proposal plugs in beside it.
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
//   mergeable                   is_mergeable_anon_vma()
#pragma once
#include "anon_vma.hpp"

namespace model::rmap {

/// mm_init(): a new address space (fork's child, execve's new mm).  anon_vma keeps no
/// per-mm rmap state; the COW context allocates the mm's context here.
template <class S> void mm_init(const config&, S&, int) {}

/// __mmdrop(): the address space is gone (exit, execve's old mm), after exit_mmap
/// unlinked every VMA.  anon_vma has nothing left to drop; the COW context drops the
/// mm's reference on its context here.
template <class S> void mm_teardown(const config&, S&, int) {}

template <class S> void prepare(const config& cfg, S& s, int m, int i) { anon_vma::prepare(cfg, s, m, i); }

/// folio_add_new_anon_rmap(folio, vma, addr, RMAP_EXCLUSIVE) -> __folio_set_anon():
/// mapping = vma->anon_vma, index = linear_page_index(vma, addr).
template <class S>
void add_new(const config&, S& s, typename S::domain::Int f, int m, int i, typename S::domain::Int vp) {
    using D = typename S::domain;
    const auto v = s.vma[m][i];
    D::update(s.folio, f, [&](auto& fo) {
        fo.mapping = v.anon_vma;
        fo.index = linear_page_index(v, vp);
    });
}

/// folio_move_anon_rmap(): an exclusively owned folio moves to the faulting VMA's anon_vma.
template <class S> void move_on_reuse(const config&, S& s, typename S::domain::Int f, int m, int i) {
    using D = typename S::domain;
    const auto av = s.vma[m][i].anon_vma;
    D::update(s.folio, f, [&](auto& fo) { fo.mapping = av; });
}

template <class S> void fork_vma(const config& cfg, S& s, int m, int m2, int i) { anon_vma::fork(cfg, s, m, m2, i); }

template <class S, class V> void clone(const config&, S& s, V& dst, const V& src) { anon_vma::clone_into(s, dst, src); }

template <class S> void dup_on_merge(const config&, S& s, int m, int dst,
                                     const vma_t<typename S::domain, typename S::preset>& src) {
    anon_vma::dup(s, m, dst, src);
}

template <class S> void unlink(const config&, S& s, int m, int i) { anon_vma::unlink(s, m, i); }

template <class S, class F>
void walk(const config&, S& s, typename S::domain::Int f, typename S::domain::Bool active, F&& visit) {
    anon_vma::walk(s, f, active, visit);
}

}  // namespace model::rmap
