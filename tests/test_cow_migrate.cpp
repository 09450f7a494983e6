// tests/test_cow_migrate.cpp — --phased migrate under the COW context design:
// remove_migration_ptes() as cow_context_walk in steps (model/migrate.hpp,
// model/cow_walk.hpp), and finding 14 (docs/cow-context-findings.md): a fork beside
// that walk copies a migration entry into a context the walk has already passed.
#include <catch2/catch.hpp>

#include "cli_run.hpp"
#include "solver/dot.hpp"
#include "solver/explore.hpp"
#include "tests/scenario.hpp"

using namespace scenario;
using props::inv;

namespace {

const action walk_step{op::walk_step, {}};

/// The COW context with every --cow-fix (walk_parent_first too, unless !parent_first) and
/// --phased migrate (at default: four mms).
model::config migrate_cfg(bool parent_first = true) {
    auto cfg = model::config::defaults<model::preset_default>();
    cfg.rmap = model::design::cow_context;
    for (const auto& f : model::cow_fixes())
        if (parent_first || f.id != model::cow_fix::walk_parent_first) cfg.fix(f.id);
    cfg.phase(model::phased_op::migrate);
    return cfg;
}

/// mm0 maps folio0 and forks mm1, which forks mm2: contexts 0 <- 1 <- 2, all three map
/// it.  The migration unmaps the three, and its remove_migration_ptes() visits the root
/// (mm0's context, the folio's) first.
const std::vector<action> three_gens = {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1),
                                        act::fork(1, 2), act::migrate(0)};

/// Finding 14: the walk has visited mm2's context (post-order: the leaf before its
/// parent); mm1 forks mm3, whose context goes at the head of mm1's children (list_add_rcu,
/// before the copy with fork_links_first) and which gets mm1's migration entry; the walk
/// visits mm1's context, restores mm1's entry, and ends at the root.
std::vector<action> fork_beside_walk() {
    auto t = three_gens;
    for (const auto& x : {walk_step, act::fork(1, 3), walk_step, walk_step}) t.push_back(x);
    return t;
}

/// explore from scratch at the default preset lowered to `mms`, `vmas`, `pages` and
/// `contexts` (context slots), two folio slots (one to migrate to) and one cpu, with the
/// operations `ops` only and `no_kernel_bug` only, to `depth`.
auto explore_bug(model::config cfg, int mms, int vmas, int pages, int contexts, const std::vector<op>& ops, int depth) {
    cfg.lim.mms = mms;
    cfg.lim.vmas = vmas;
    cfg.lim.va_pages = pages;
    cfg.lim.anon_vmas = contexts;
    cfg.lim.folios = 2;
    cfg.lim.cpus = 1;
    solver::explore_options eo;
    for (auto k : ops) eo.ops.push_back(static_cast<int>(k));
    eo.depth = depth;
    eo.selected = props::inv_set(1) << static_cast<int>(inv::no_kernel_bug);
    return solver::explore<model::state<model::concrete, model::preset_default>>(cfg, eo);
}

}  // namespace

TEST_CASE("phased migrate, COW context: remove_migration_ptes walks the contexts in steps, faults wait, every "
          "entry comes back to the new folio", "[cow_context][phased][migrate]") {
    const auto cfg = migrate_cfg();
    const auto o = run<default_state>(cfg, three_gens);   // every invariant after every step
    const auto& s = o.final();
    CHECK(s.walker.folio == 1);          // rmap_walk(dst)
    CHECK(s.walker.migrate_from == 0);   // remove_migration_ptes(src = folio0, dst)
    CHECK(s.walker.root == 0);           // from the folio's context
    CHECK(s.pte[0][0].present);          // "Visit root first."
    CHECK(s.pte[0][0].folio == 1);
    CHECK(s.migration_entry[1][0].folio == 0);
    CHECK(s.migration_entry[2][0].folio == 0);
    CHECK(s.folio[1].cow_context == 0);
    CHECK(s.cow_ctx[0].refcount == 4);   // mm0, its child's context, folio0, folio1
    {
        auto w = s;   // cpu1 runs mm1
        REQUIRE(model::step(cfg, w, act::switch_mm(1, 1)));
        CHECK_FALSE(model::enabled(cfg, w, act::read(1, 1, 0)));   // migration_entry_wait
        CHECK_FALSE(model::enabled(cfg, w, act::write(1, 1, 0, 2)));
        CHECK(model::enabled(cfg, w, act::read(0, 0, 0)));          // the restored PTE
    }
    CHECK_FALSE(model::enabled(cfg, s, act::migrate(1)));         // one migration walk at a time
    // A fork beside the RCU walk copies the entry, read-only in both (copy_nonpresent_pte).
    {
        auto f = s;
        REQUIRE(model::enabled(cfg, f, act::fork(2, 3)));
        REQUIRE(model::step(cfg, f, act::fork(2, 3)));
        CHECK(f.migration_entry[3][0].folio == 0);
        CHECK(f.migration_entry[3][0].writable == 0);
        CHECK(f.migration_entry[2][0].writable == 0);
        CHECK_FALSE(f.folio[1].anon_exclusive);
        // A zap clears an entry (zap_nonpresent_ptes).
        REQUIRE(model::step(cfg, f, act::munmap(3, 0, 1)));
        CHECK(f.migration_entry[3][0].folio == model::nil);
    }
    // Each walk_step visits one context (pre-order with walk_parent_first: mm1's, then
    // mm2's), the last one finds the walk back at the root and ends it.
    // An mprotect beside the walk makes a writable entry read-only, even one that adds
    // PROT_WRITE (change_pte_range: "A protection check is difficult so just be safe and
    // disable write").  Under the COW context a writable entry is restored in the migrate
    // step itself (its folio's context is its mapper's, the walk's root), so the entry is
    // made writable by hand here.
    {
        auto w = s;
        w.migration_entry[1][0].writable = 1;
        REQUIRE(model::enabled(cfg, w, act::mprotect(1, 0, 1, true)) == false);   // already PROT_WRITE: no change
        REQUIRE(model::enabled(cfg, w, act::mprotect(1, 0, 1, false)));
        REQUIRE(model::step(cfg, w, act::mprotect(1, 0, 1, false)));
        CHECK(w.migration_entry[1][0].folio == 0);
        CHECK(w.migration_entry[1][0].writable == 0);
        w.migration_entry[1][0].writable = 1;   // and PROT_WRITE back
        REQUIRE(model::enabled(cfg, w, act::mprotect(1, 0, 1, true)));
        REQUIRE(model::step(cfg, w, act::mprotect(1, 0, 1, true)));
        CHECK(w.migration_entry[1][0].folio == 0);
        CHECK(w.migration_entry[1][0].writable == 0);
    }
    // An exit beside the walk zaps its entry; the walk then has nothing to restore there.
    {
        auto e = s;
        REQUIRE(model::enabled(cfg, e, act::exit(2)));
        REQUIRE(model::step(cfg, e, act::exit(2)));
        CHECK(e.migration_entry[2][0].folio == model::nil);
        CHECK_FALSE(model::enabled(cfg, e, act::exit(0)));   // the walk holds mm0's mm_users
        for (int k = 0; k < 8 && e.walker.folio != model::nil; ++k) REQUIRE(model::step(cfg, e, walk_step));
        CHECK(e.walker.folio == model::nil);
        CHECK(e.bug == 0);
        CHECK(e.walk_missed == 0);
        CHECK(e.folio[1].mapcount == 2);
        CHECK_FALSE(e.folio[0].allocated);
        for (auto inv_id : {inv::no_kernel_bug, inv::rmap_complete, inv::refcount_exact})
            CHECK(props::holds(inv_id, cfg, e));
    }
    // The object graph draws each entry, dashed, to the old folio it points to.
    const std::string g = solver::to_dot(cfg, s, -1, "");
    CHECK(g.find("migration_entry1_0 [label=\"migration entry [0] r-\"") != std::string::npos);
    CHECK(g.find("migration_entry2_0 -> folio0 [style=dashed]") != std::string::npos);
    CHECK(g.find("migration_entry0_0") == std::string::npos);   // mm0's is a PTE again
    auto rest = three_gens;
    for (const auto& x : {walk_step, walk_step, walk_step, act::switch_mm(1, 1), act::read(1, 1, 0)}) rest.push_back(x);
    const auto done = run<default_state>(cfg, rest);
    CHECK(done.after(6).pte[1][0].folio == 1);
    CHECK(done.after(6).migration_entry[2][0].folio == 0);
    const auto& d = done.final();
    CHECK(d.walker.folio == model::nil);
    for (int m = 0; m < 3; ++m) {
        CHECK(d.pte[m][0].folio == 1);
        CHECK(d.migration_entry[m][0].folio == model::nil);
    }
    CHECK(d.folio[1].mapcount == 3);
    CHECK_FALSE(d.folio[0].allocated);   // the old folio freed at the end, its context reference dropped
    CHECK(d.cow_ctx[0].refcount == 3);
    CHECK(d.bug == 0);
    CHECK(d.walk_missed == 0);
    CHECK_FALSE(d.bad_read);
}

TEST_CASE("cow_context finding 14: a fork beside remove_migration_ptes copies an entry into a context the walk has "
          "passed", "[cow_context][phased][migrate][finding]") {
    const auto cfg = migrate_cfg(/*parent_first=*/false);
    const auto t = fork_beside_walk();
    const auto o = run<default_state>(cfg, t, /*check_invariants=*/false);
    const auto& forked = o.after(7);
    CHECK(forked.cow_ctx[1].first_child == 3);               // mm3's context, at the head of mm1's children
    CHECK(forked.cow_ctx[3].next_sibling == 2);              // before mm2's, which the walk has visited
    CHECK(forked.migration_entry[3][0].folio == 0);          // mm1's entry, copied
    CHECK(o.after(8).pte[1][0].folio == 1);                  // mm1's restored
    CHECK(props::holds(inv::no_kernel_bug, cfg, o.after(8)));
    CHECK(o.final().walker.folio == model::nil);
    CHECK(o.final().bug.get() == static_cast<int>(model::bug::migration_entry_left));
    CHECK_FALSE(props::holds(inv::no_kernel_bug, cfg, o.final()));
    CHECK(o.final().walk_missed == 0);   // mm3 did not map the folio when the walk began
    // Under anon_vma the fork waits: anon_vma_fork() takes the root's lock the walk holds
    // for read (and the child's AVC would go after the parent's in the tree).
    auto anon = model::config::defaults<model::preset_default>();
    anon.phase(model::phased_op::migrate);
    const auto a = run<default_state>(anon, three_gens);
    CHECK(a.final().walker.migrate_from == 0);
    CHECK_FALSE(model::enabled(anon, a.final(), act::fork(1, 3)));
    // explore finds it from scratch (four mms, one page each, four contexts), 9 steps and no fewer.
    const std::vector<op> ops = {op::mmap, op::write, op::fork, op::migrate, op::walk_step};
    const auto r = explore_bug(cfg, 4, 1, 1, 4, ops, 9);
    INFO(trace_text(r.trace));
    REQUIRE(r.violated == static_cast<int>(inv::no_kernel_bug));
    CHECK(r.trace.size() == 9);
    CHECK(r.clean_depth == 8);
    // --cow-fix walk_parent_first: the walk visits mm1's context before mm2's, so the fork
    // copies mm1's restored PTE; the new child's context, at the head of mm1's list, is
    // visited next (nothing to restore), then mm2's; one more step ends the walk.
    const auto fixed = migrate_cfg();
    auto whole = t;
    whole.push_back(walk_step);
    const auto f = run<default_state>(fixed, whole);   // every invariant after every step
    CHECK(f.after(6).pte[1][0].folio == 1);
    CHECK(f.after(7).pte[3][0].present);
    CHECK(f.after(7).pte[3][0].folio == 1);
    CHECK(f.after(7).migration_entry[3][0].folio == model::nil);
    CHECK(f.final().walker.folio == model::nil);
    CHECK(f.final().bug == 0);
    CHECK(f.final().folio[1].mapcount == 4);
    const auto c = explore_bug(fixed, 4, 1, 1, 4, ops, 9);
    INFO(trace_text(c.trace));
    CHECK(c.violated < 0);
    CHECK(c.clean_depth == 9);
}

TEST_CASE("cowcheck: --phased migrate under the COW context (check finds finding 14, refine refuses)",
          "[cow_context][phased][cli]") {
    std::string fixes;
    for (const auto& f : model::cow_fixes())
        if (f.id != model::cow_fix::walk_parent_first) fixes += std::string(" --cow-fix ") + f.name;
    const auto c = cli_test::run("check --design cow_context" + fixes +
                                 " --phased migrate --invariant no_kernel_bug --seed 3 --seconds 60 --quiet");
    INFO(c.out);
    CHECK(c.code == 1);
    CHECK(c.out.find("remove_migration_ptes() left a migration entry behind") != std::string::npos);
    const auto r = cli_test::run("refine --phased migrate --depth 2");
    CHECK(r.code == 2);
    CHECK(cli_test::lines(r.out) == 1);
}

TEST_CASE("cow_context finding 11's harm: with --phased migrate an mremap moves an entry past remove_migration_ptes, "
          "which leaves it behind", "[cow_context][phased][migrate][finding]") {
    // Finding 11's trace (walk_moved_missed) with `migrate` where the walk began: every fix but
    // walk_rereads_remaps and unmap_removes_records (the trace keeps a stale record).
    auto cfg = migrate_cfg();
    for (auto f : {model::cow_fix::walk_rereads_remaps, model::cow_fix::unmap_removes_records})
        cfg.cow_fixed &= ~(1u << static_cast<int>(f));
    cfg.phase(model::phased_op::walk_remap);
    const std::vector<action> t = {act::mmap(0, 0, 2),      act::write(0, 0, 1, 1),  act::mremap(0, 0, 2, 2),
                                   act::mremap(0, 3, 1, 0), act::mremap(0, 0, 1, 3), act::migrate(0),
                                   act::mremap(0, 2, 2, 0), walk_step,               walk_step};
    const auto o = run<default_state>(cfg, t, /*check_invariants=*/false);
    CHECK(o.after(6).walker.arr_loaded == 1);                  // the root's remap array loaded
    CHECK(o.after(6).migration_entry[0][3].folio == 0);
    CHECK(o.after(7).migration_entry[0][1].folio == 0);        // the move carried the entry
    CHECK(props::holds(inv::no_kernel_bug, cfg, o.after(8)));
    CHECK(o.final().bug.get() == static_cast<int>(model::bug::migration_entry_left));
    // explore finds it in the same 9 steps; with walk_rereads_remaps the walk starts the
    // context again after the move and restores the entry: clean to that depth.
    const std::vector<op> ops = {op::mmap, op::write, op::mremap, op::migrate, op::walk_step};
    const auto r = explore_bug(cfg, 1, 2, 4, 1, ops, 9);
    INFO(trace_text(r.trace));
    REQUIRE(r.violated == static_cast<int>(inv::no_kernel_bug));
    CHECK(r.trace.size() == 9);
    auto fixed = cfg;
    fixed.fix(model::cow_fix::walk_rereads_remaps);
    const auto c = explore_bug(fixed, 1, 2, 4, 1, ops, 9);
    INFO(trace_text(c.trace));
    CHECK(c.violated < 0);
    CHECK(c.clean_depth == 9);
}

TEST_CASE("phased migrate: a /proc/pid/mem write's retry waits on a migration entry", "[cow_context][phased][migrate]") {
    // Found by `check` (every fix, --phased migrate, walk_vma, walk_remap_slots, fork; seed 1)
    // before mem_write waited: the retry wrote through the entry as if it were a PTE.  The
    // migration's walk is paused at the remap array of mm0's context, the entry at page 1.
    auto cfg = migrate_cfg();
    for (auto p : {model::phased_op::walk_vma, model::phased_op::walk_remap_slots, model::phased_op::fork}) cfg.phase(p);
    const std::vector<action> t = {act::mmap(0, 0, 1),         act::mremap(0, 0, 1, 2),     act::munmap(0, 2, 1),
                                   act::tlb_finish_mmu(0),     act::mmap(0, 0, 1),          act::mem_write_faultin(0, 0),
                                   act::mem_write(0, 0, 1),    act::madv_dontneed(0, 0, 1), act::mremap(0, 0, 1, 1),
                                   act::mmap(0, 0, 1),         act::mem_write_faultin(0, 0), act::mem_write(0, 0, 1),
                                   act::mem_write_faultin(0, 1), act::migrate(1)};
    const auto o = run<default_state>(cfg, t);   // every invariant after every step
    const auto& s = o.final();
    REQUIRE(s.migration_entry[0][1].folio == 1);
    CHECK(s.mm[0].foll_force);
    CHECK_FALSE(model::enabled(cfg, s, act::mem_write(0, 1, 2)));   // follow_page_mask: no present PTE, fault, wait
    auto d = s;   // the walk goes on to its end
    for (int k = 0; k < 8 && d.walker.folio != model::nil; ++k) REQUIRE(model::step(cfg, d, walk_step));
    CHECK(d.walker.folio == model::nil);
    CHECK(d.bug == 0);
    CHECK(d.migration_entry[0][1].folio == model::nil);
    CHECK(model::enabled(cfg, d, act::mem_write(0, 1, 2)));
}
